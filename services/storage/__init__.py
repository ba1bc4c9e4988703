"""File storage behind one interface (spec 70 §2): the local directory backend, or S3 when
configured. `get_storage()` builds the backend of the app's STORAGE_URL once per app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app

from services.storage import keys, signing
from services.storage.keys import InvalidKey, validate_key
from services.storage.local import LocalStorage, MissingObject

COVER_URL_SECONDS = 7 * 24 * 3600
PAGE_URL_SECONDS = 3600

__all__ = [
    "COVER_URL_SECONDS",
    "PAGE_URL_SECONDS",
    "InvalidKey",
    "LocalStorage",
    "MissingObject",
    "Storage",
    "StorageConfigError",
    "get_storage",
    "keys",
    "validate_key",
    "verify_signed",
]


class StorageConfigError(RuntimeError):
    """STORAGE_URL names a backend this installation cannot use."""


class Storage(Protocol):
    def put(self, key: str, fileobj: BinaryIO, *, content_type: str) -> int: ...
    def put_file(self, key: str, path: Path, *, content_type: str) -> int: ...
    def open(self, key: str) -> BinaryIO: ...
    def local_copy(self, key: str) -> AbstractContextManager[Path]: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def list(self, prefix: str) -> Iterator[str]: ...
    def url(self, key: str, *, expires_in: int, download_name: str | None = None) -> str: ...


def build(url: str, secrets: list[str]) -> Storage:
    """The backend for a STORAGE_URL: `file:///path` or `s3://bucket/prefix`."""
    parts = urlsplit(url or "")
    if parts.scheme == "file":
        path = unquote(parts.path)
        if not path:
            raise StorageConfigError("STORAGE_URL file:// needs an absolute path")
        return LocalStorage(Path(path), secrets)
    if parts.scheme == "s3":
        try:
            import boto3  # noqa: F401
        except ImportError:
            raise StorageConfigError(
                "STORAGE_URL is s3://, but boto3 is not installed; install boto3 or use file://"
            ) from None
        raise StorageConfigError("The S3 storage backend is not available in this build yet")
    raise StorageConfigError(f"STORAGE_URL must start with file:// or s3://, not {url!r}")


def get_storage() -> Storage:
    """The current app's storage backend (rebuilt when STORAGE_URL changes, as in tests)."""
    config = current_app.config
    url = config["STORAGE_URL"]
    cached = current_app.extensions.get("storage")
    if cached is None or cached[0] != url:
        secrets = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
        cached = current_app.extensions["storage"] = (url, build(url, secrets))
    return cached[1]


def verify_signed(
    key: str, expiry: str | None, given: str | None, download_name: str | None = None
) -> bool:
    """Check a `/media/` URL's signature and expiry against SECRET_KEY and its fallbacks."""
    config = current_app.config
    secrets = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
    return signing.verify(secrets, key, expiry, given, download_name)
