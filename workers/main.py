"""The Celery entry point: `celery -A workers.main worker` and `celery -A workers.main beat`."""

from app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
app = celery
