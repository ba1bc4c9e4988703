"""View guards: signed-in tenant admins on the dashboard, staff and super admins on the platform."""

from functools import wraps

from flask import abort
from flask_login import current_user

from app.extensions import login_manager


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.is_staff or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def staff_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def super_admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not (current_user.is_staff and current_user.is_super_admin):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def actor():
    """The signed-in user as the actor of activity rows, with this request's id."""
    from app.observability import request_id
    from services.activity import Actor

    return Actor.for_user(current_user._get_current_object(), request_id())
