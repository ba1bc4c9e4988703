"""GET /media/<key>: signed, expiring URLs to stored files (spec 70 §2, §10; acceptance 35)."""

from __future__ import annotations

import io
import time
import uuid

import pytest

from services.storage import get_storage, keys, signing
from tests.functional.conftest import host_of

KEY = keys.page_image_key(uuid.uuid4(), uuid.uuid4(), 1, 1, "hi")


@pytest.fixture
def stored(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_URL", f"file://{tmp_path / 'media'}")
    with app.app_context():
        backend = get_storage()
        backend.put(KEY, io.BytesIO(b"RIFF....WEBPimage"), content_type="image/webp")
        yield backend


@pytest.fixture
def store(make_tenant, host_client):
    return host_client(host_of(make_tenant()))


def test_a_signed_url_serves_the_file_with_nosniff(app, stored, store):
    with app.app_context():
        url = stored.url(KEY, expires_in=3600)
    response = store.get(url)
    assert response.status_code == 200
    assert response.data == b"RIFF....WEBPimage"
    assert response.mimetype == "image/webp"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("private")


def test_a_download_name_is_signed_and_sent_as_attachment(app, stored, store):
    with app.app_context():
        url = stored.url(KEY, expires_in=60, download_name="page-1.webp")
    response = store.get(url)
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert "page-1.webp" in response.headers["Content-Disposition"]
    assert store.get(url.replace("page-1.webp", "other.webp")).status_code == 403


def test_an_expired_url_is_forbidden(app, stored, store):
    url = signing.signed_url(app.config["SECRET_KEY"], KEY, expires_in=60, now=time.time() - 120)
    assert store.get(url).status_code == 403


@pytest.mark.parametrize("change", ["signature", "key", "missing"])
def test_a_changed_or_missing_signature_is_forbidden(app, stored, store, change):
    with app.app_context():
        url = stored.url(KEY, expires_in=3600)
    if change == "signature":
        path, _, query = url.partition("&s=")
        url = f"{path}&s={'0' * len(query)}"
    elif change == "key":
        url = url.replace("1-hi.webp", "2-hi.webp")
    else:
        url = url.partition("?")[0]
    assert store.get(url).status_code == 403


def test_a_signed_url_of_a_missing_file_is_not_found(app, stored, store):
    with app.app_context():
        url = stored.url(KEY.replace("1-hi", "9-hi"), expires_in=3600)
    assert store.get(url).status_code == 404


def test_an_unsafe_key_is_forbidden(store, stored):
    assert store.get("/media/t/../../etc/passwd?e=9999999999&s=00").status_code in (403, 404)
    assert store.get("/media/t/%2e%2e/x?e=9999999999&s=00").status_code == 403
