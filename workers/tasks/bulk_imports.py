"""bulk imports jobs (spec 30 §11)."""


def register(celery) -> None:
    """Binds this module's tasks to the Celery app."""
