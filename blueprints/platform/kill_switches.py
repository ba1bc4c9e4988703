"""Staff kill-switch panel, toggle dialog, schedules and history (spec 20 §11.5, §6.3, §6.4)."""

from flask import abort, flash, make_response, render_template, request, url_for

from app.extensions import db
from app.htmx import hx_location, is_partial, render, toast, varies
from blueprints.access import actor, staff_required
from blueprints.platform import bp
from blueprints.platform.forms import field_error
from blueprints.platform.switch_forms import CancelScheduleForm, ScheduleForm, ToggleForm
from services.errors import Conflict, DomainError, NotFound
from services.features import kill_switches as switch_service
from services.features import switch_queries

PAGE = "platform/kill_switches.html"
DIALOG = "platform/_switch_dialog.html"


def _switch(name) -> switch_queries.SwitchView:
    try:
        return switch_queries.switch_view(name)
    except NotFound:
        abort(404)


def _dialog(mode, switch, form, status=200, error=None):
    """The dialog fragment, or for a plain request the panel with the dialog open."""
    dialog = {"mode": mode, "switch": switch, "form": form, "error": error}
    dialog["affects"] = switch_queries.affects(switch.name)
    page = {} if is_partial() else {"panel": switch_queries.panel()}
    return render(PAGE, DIALOG, status, dialog=dialog, **page)


def _refused(mode, name, form, exc: DomainError):
    """A domain error as a field error (422), or a stale toggle as the 409 "review and retry"."""
    db.session.rollback()
    switch = _switch(name)
    if mode == "toggle" and isinstance(exc, Conflict) and exc.field is None:
        form.expected_updated_at.data = switch.expected  # the retry goes against what is there now
        form.target.data = "off" if switch.db_enabled else "on"
        return _dialog(mode, switch, form, 409, exc.message)
    return _dialog(mode, switch, form, 422, field_error(form, exc, banner=False))


def _changed(message):
    """Success: over HTMX the closed dialog, the table out of band and a toast."""
    if not is_partial():
        flash(message, "success")
        return hx_location(url_for("platform.kill_switches"))
    html = render_template(DIALOG, dialog=None) + render_template(
        "platform/_switch_rows.html", panel=switch_queries.panel(), oob=True
    )
    return toast(varies(make_response(html)), message, "success")


@bp.get("/kill-switches")
@staff_required
def kill_switches():
    return render(PAGE, "platform/_switch_rows.html", panel=switch_queries.panel(), dialog=None)


@bp.get("/kill-switches/<name>")
@staff_required
def kill_switch_history(name):
    switch = _switch(name)
    result = switch_queries.history(name, request.args.get("page", 1, type=int))
    return render(
        "platform/kill_switch_history.html",
        "platform/_switch_history_rows.html",
        switch=switch,
        result=result,
    )


@bp.get("/kill-switches/<name>/toggle")
@staff_required
def toggle_dialog(name):
    switch = _switch(name)
    target = "off" if switch.db_enabled else "on"
    return _dialog("toggle", switch, ToggleForm(target=target, expected_updated_at=switch.expected))


@bp.post("/kill-switches/<name>/toggle")
@staff_required
def toggle_kill_switch(name):
    switch, form = _switch(name), ToggleForm()
    if not form.validate_on_submit():
        return _dialog("toggle", switch, form, 422)
    try:
        switch_service.toggle_switch(
            actor(),
            name,
            form.turning_on,
            form.reason.data,
            source="ui",
            expected_updated_at=form.expected,
            turn_back_on_at=form.run_at_utc,
        )
        db.session.commit()
    except DomainError as exc:
        return _refused("toggle", name, form, exc)
    return _changed(f"{name} is {'ON' if form.turning_on else 'OFF'}")


@bp.get("/kill-switches/<name>/schedule")
@staff_required
def schedule_dialog(name):
    switch = _switch(name)
    form = ScheduleForm(target="off" if switch.db_enabled else "on")
    return _dialog("schedule", switch, form)


@bp.post("/kill-switches/<name>/schedule")
@staff_required
def schedule_kill_switch(name):
    switch, form = _switch(name), ScheduleForm()
    if not form.validate_on_submit():
        return _dialog("schedule", switch, form, 422)
    try:
        schedule = switch_service.create_schedule(
            actor(), name, form.turning_on, form.run_at_utc, form.reason.data
        )
        db.session.commit()
    except DomainError as exc:
        return _refused("schedule", name, form, exc)
    when = f"{schedule.run_at:%Y-%m-%d %H:%M} UTC"
    return _changed(f"{name} turns {'on' if form.turning_on else 'off'} at {when}")


@bp.get("/kill-switches/<name>/schedules/<int:schedule_id>/cancel")
@staff_required
def cancel_dialog(name, schedule_id):
    switch = _switch(name)
    if switch.pending is None or switch.pending.id != schedule_id:
        abort(404)
    return _dialog("cancel", switch, CancelScheduleForm())


@bp.post("/kill-switches/<name>/schedules/<int:schedule_id>/cancel")
@staff_required
def cancel_kill_switch_schedule(name, schedule_id):
    switch, form = _switch(name), CancelScheduleForm()
    if not form.validate_on_submit():
        return _dialog("cancel", switch, form, 422)
    try:
        switch_service.cancel_schedule(actor(), schedule_id, form.reason.data, name=name)
        db.session.commit()
    except DomainError as exc:
        return _refused("cancel", name, form, exc)
    return _changed(f"The pending change of {name} is cancelled")
