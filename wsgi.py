"""The WSGI entry point: `flask --app wsgi`, gunicorn `wsgi:app`."""

from app import create_app

app = create_app()
