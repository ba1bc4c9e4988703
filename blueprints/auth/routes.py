"""Tenant-host sign-in, sign-out and the set-password link."""

from flask import abort, make_response, render_template, url_for

from app.extensions import db
from app.htmx import hx_redirect
from blueprints.auth import bp
from blueprints.auth.forms import SetPasswordForm
from blueprints.auth.signin import handle_login, handle_logout
from services import users
from services.errors import NotFound, ValidationError
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
    try:
        user = users.user_for_token(token)
    except NotFound:
        abort(404)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            users.set_password(user, form.password.data)
            db.session.commit()
            return hx_redirect(url_for("auth.login"))
        except ValidationError as exc:
            form.password.errors.append(exc.message)
    status = 422 if form.errors else 200
    return make_response(render_template("auth/set_password.html", form=form, user=user), status)
