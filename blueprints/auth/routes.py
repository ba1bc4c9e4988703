"""Tenant-host sign-in, sign-out and the set-password link."""

from flask import url_for

from blueprints.auth import bp
from blueprints.auth.signin import handle_login, handle_logout, handle_set_password
from services.tenancy import current_tenant


def _allow(user):
    """On a suspended store only administrators may sign in (spec 10 §6)."""
    if current_tenant().is_suspended and not user.is_admin:
        from app.tenancy import suspended_store_response

        return suspended_store_response()
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    return handle_login(
        "auth/login.html",
        scope_label=str(current_tenant().id),
        allow_user=_allow,
        default_next=lambda user: url_for("dashboard.home") if user.is_admin else "/",
        permanent_ok=True,
    )


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    return handle_logout("auth/logout.html", after=url_for("auth.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    return handle_set_password(token, "auth/set_password.html", after=url_for("auth.login"))
