"""Task modules; register_all binds each module's tasks to the Celery app.

Tasks are declared with shared=False: each Flask app has its own Celery app, and a shared task
would be copied into every later app (tests build several).
"""


def register_all(celery) -> None:
    from workers.tasks import bulk_imports, catalog, commerce, features, mail, shipping, tenancy

    tenancy.register(celery)
    features.register(celery)
    catalog.register(celery)
    commerce.register(celery)
    bulk_imports.register(celery)
    shipping.register(celery)
    mail.register(celery)
