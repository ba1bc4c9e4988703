"""Stored files behind expiring signed URLs (`/media/<key>?e=&s=`, spec 70 §2, §10)."""

from flask import Blueprint

bp = Blueprint("media", __name__)

from blueprints.media import routes  # noqa: E402,F401
