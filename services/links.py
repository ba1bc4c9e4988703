"""Absolute links for messages shown outside the page they lead to (set-password links)."""

from flask import current_app

from services import users


def url_on_host(host: str, endpoint: str, **values) -> str:
    """An absolute URL for `endpoint` on `host`; works in a request, a CLI command or a task."""
    config = current_app.config
    port = f":{config['EXTERNAL_PORT']}" if config.get("EXTERNAL_PORT") else ""
    path = current_app.url_map.bind(host).build(endpoint, values)
    return f"{config['PREFERRED_URL_SCHEME']}://{host}{port}{path}"


def set_password_url(tenant, user) -> str:
    """The set-password link of `user`: on the tenant's primary host, or the platform host."""
    token = users.password_token(user)
    if tenant is None:
        return url_on_host(
            f"app.{current_app.config['PLATFORM_DOMAIN']}", "platform.reset_password", token=token
        )
    host = next(d.host for d in tenant.domains if d.is_primary)
    return url_on_host(host, "auth.reset_password", token=token)
