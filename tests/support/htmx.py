"""Reading HTMX answers in tests."""

import json


def location_path(response) -> str | None:
    """Where an HX-Location answer navigates to (the path of its JSON spec)."""
    value = response.headers.get("HX-Location")
    if value is None or not value.startswith("{"):
        return value
    return json.loads(value)["path"]
