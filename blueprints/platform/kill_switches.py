"""Staff kill-switch panel, toggle dialog, schedules and history (spec 20 §11.5, §6.3, §6.4)."""

from blueprints.platform import bp  # noqa: F401
