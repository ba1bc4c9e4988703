"""GET /media/<key>: the file when the URL's signature and expiry hold, 403 otherwise."""

import mimetypes
import time

from flask import abort, request, send_file

from blueprints.media import bp
from services.storage import InvalidKey, MissingObject, get_storage, validate_key, verify_signed


@bp.get("/media/<path:key>")
def media(key: str):
    download_name = request.args.get("dl") or None
    expiry, signature = request.args.get("e"), request.args.get("s")
    try:
        validate_key(key)
    except InvalidKey:
        abort(403)
    if not verify_signed(key, expiry, signature, download_name):
        abort(403)
    try:
        fileobj = get_storage().open(key)
    except MissingObject:
        abort(404)
    mimetype = mimetypes.guess_type(key)[0] or "application/octet-stream"
    response = send_file(
        fileobj,
        mimetype=mimetype,
        as_attachment=download_name is not None,
        download_name=download_name or key.rpartition("/")[2],
        max_age=max(0, int(expiry) - int(time.time())),
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = f"private, max-age={response.cache_control.max_age or 0}"
    return response
