"""Error pages (400, 403, 404, 429, 500), CSRF failures, quota refusals and the expired-login
answer."""

from flask import jsonify, make_response, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from app.extensions import db, login_manager
from app.htmx import is_htmx, is_partial, toast, varies
from app.tenancy import outcome
from blueprints.feature_gates import wants_json
from services.errors import QuotaExceeded
from services.features import UNLIMITED


def _page(template: str, status: int):
    response = make_response(render_template(template), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id):
        from services.users import load_session_user

        return load_session_user(user_id)

    @login_manager.unauthorized_handler
    def _unauthorized():
        endpoint = "platform.login" if outcome().kind == "platform" else "auth.login"
        # url_for encodes the query, so a next with its own "&" survives the round trip.
        target = url_for(endpoint, next=request.full_path.rstrip("?"))
        if is_htmx():
            response = make_response("", 401)
            response.headers["HX-Redirect"] = target
            return response
        from flask import redirect

        return redirect(target, 302)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        if is_htmx():
            response = make_response("", 400)
            response.headers["HX-Refresh"] = "true"
            return toast(response, "Your form expired, reload and try again", "error")
        return _page("errors/csrf.html", 400)

    @app.errorhandler(400)
    def _bad_request(exc):
        return _page("errors/400.html", 400)

    @app.errorhandler(403)
    def _forbidden(exc):
        # htmx swaps 403 answers (base.html), so a fragment request gets a fragment.
        if is_partial():
            return varies(_page("errors/_forbidden.html", 403))
        return varies(_page("errors/403.html", 403))

    @app.errorhandler(QuotaExceeded)
    def _quota(exc):
        """A quota refusal no view turned into a form error: JSON for APIs, else a message."""
        db.session.rollback()
        if wants_json():
            limit = "unlimited" if exc.limit is UNLIMITED else exc.limit
            body = jsonify(
                error="quota_exceeded", feature=exc.slug, limit=limit, current=exc.current
            )
            response = make_response(body, 403)
        else:
            template = (
                "errors/_quota_exceeded.html" if is_partial() else "errors/quota_exceeded.html"
            )
            response = make_response(
                render_template(template, message=exc.message, feature_slug=exc.slug), 403
            )
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Accept")
        return varies(response)

    @app.errorhandler(404)
    def _not_found(exc):
        return _page("errors/404.html", 404)

    @app.errorhandler(405)
    def _method(exc):
        response = _page("errors/405.html", 405)
        response.headers["Allow"] = ", ".join(exc.valid_methods or ())
        return response

    @app.errorhandler(429)
    def _throttled(exc):
        return _page("errors/429.html", 429)

    @app.errorhandler(500)
    def _server_error(exc):
        db.session.rollback()
        return _page("errors/500.html", 500)
