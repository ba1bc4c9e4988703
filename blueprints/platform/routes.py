"""Platform sign-in, home, the activity log, job runs and not-yet-built areas."""

import time

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from app.htmx import render
from blueprints.access import staff_required
from blueprints.areas import PLATFORM_AREAS, find
from blueprints.auth.signin import handle_login, handle_logout, handle_set_password
from blueprints.platform import bp
from services import jobs
from services.activity_queries import recent_activity

STAFF_SESSION_SECONDS = 12 * 3600


@bp.before_request
def _staff_session_expiry():
    """Staff sessions end 12 hours after sign-in, whatever the browser does."""
    login_at = session.get("_login_at")
    if current_user.is_authenticated and (
        not login_at or time.time() - login_at > STAFF_SESSION_SECONDS
    ):
        logout_user()
        session.clear()


@bp.route("/login", methods=["GET", "POST"])
def login():
    return handle_login(
        "platform/login.html",
        scope_label="platform",
        allow_user=lambda user: None,
        default_next=lambda user: url_for("platform.home"),
        permanent_ok=False,
    )


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    return handle_logout("platform/logout.html", after=url_for("platform.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    return handle_set_password(token, "platform/set_password.html", after=url_for("platform.login"))


@bp.get("/")
@staff_required
def home():
    return redirect(url_for("platform.tenants"))


@bp.get("/activity")
@staff_required
def activity():
    page = request.args.get("page", 1, type=int)
    result = recent_activity(tenant_id=None, page=page)
    return render("platform/activity.html", "platform/_activity_rows.html", result=result)


@bp.get("/jobs", endpoint="jobs")
@staff_required
def jobs_page():
    return render_template("platform/jobs.html", runs=jobs.recent())


@bp.get("/<slug>")
@staff_required
def area(slug):
    found = find(PLATFORM_AREAS, slug)
    if found is None:
        abort(404)
    return render_template("platform/not_available.html", area=found)
