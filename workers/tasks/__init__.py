"""Task modules; register_all binds each module's tasks to the Celery app."""


def register_all(celery) -> None:
    from workers.tasks import tenancy

    tenancy.register(celery)
