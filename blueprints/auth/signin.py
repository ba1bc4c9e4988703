"""The sign-in steps shared by tenant hosts and the platform host."""

from __future__ import annotations

import time

from flask import make_response, render_template, request, session
from flask_login import login_user, logout_user

from app.extensions import db
from blueprints.auth.forms import LoginForm
from services import auth
from services.errors import DomainError, Throttled


def safe_next(target: str | None) -> str | None:
    """Only a relative path on this host: '/' followed by anything but '/' or '\\'."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


def handle_login(template: str, scope_label: str, allow_user, default_next, permanent_ok: bool):
    """Render or process the login form; returns a response."""
    form = LoginForm()
    if request.method == "POST" and auth.ip_blocked(request.remote_addr or "?"):
        return make_response(render_template("errors/429.html"), 429)
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = auth.authenticate(
                form.email.data,
                form.password.data,
                scope_label=scope_label,
                ip=request.remote_addr or "?",
            )
            refusal = allow_user(user)
            if refusal:
                db.session.rollback()
                return refusal
            session.clear()  # no fixation: a fresh session for the signed-in user
            login_user(user, remember=False)
            session["_login_at"] = int(time.time())
            session.permanent = bool(permanent_ok and form.remember.data)
            db.session.commit()
            return _redirect(safe_next(form.next.data) or default_next(user))
        except Throttled:
            return make_response(render_template("errors/429.html"), 429)
        except DomainError as exc:
            error, status = exc.message, 422
    elif request.method == "POST":
        error, status = "Enter your email and password.", 422
    form.next.data = form.next.data or request.args.get("next", "")
    response = make_response(render_template(template, form=form, error=error), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _redirect(url: str):
    from app.htmx import hx_redirect

    return hx_redirect(url)


def handle_logout(template: str, after: str):
    from blueprints.auth.forms import LogoutForm

    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        logout_user()
        session.clear()
        return _redirect(after)
    return render_template(template, form=form)


def handle_set_password(token: str, template: str, after: str):
    """The set-password link page: the token's user sets a password; the link then dies."""
    from flask import abort

    from blueprints.auth.forms import SetPasswordForm
    from services import users
    from services.errors import NotFound, ValidationError

    try:
        user = users.user_for_token(token)
    except NotFound:
        abort(404)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            users.set_password(user, form.password.data)
            db.session.commit()
            return _redirect(after)
        except ValidationError as exc:
            form.password.errors.append(exc.message)
    status = 422 if form.errors else 200
    return make_response(render_template(template, form=form, user=user), status)
