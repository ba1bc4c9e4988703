"""The local-directory storage backend: atomic writes, paths confined to the root, signed
`/media/` URLs (spec 70 §2)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from services.storage import signing
from services.storage.keys import InvalidKey, validate_key

CHUNK = 1024 * 1024


class MissingObject(FileNotFoundError):
    """No object is stored under that key."""


class LocalStorage:
    """Objects are files under `root`; a key is a relative path of safe characters."""

    def __init__(self, root: Path | str, secrets: Sequence[str]):
        self.root = Path(root).resolve()
        self.secrets = tuple(s for s in secrets if s)
        if not self.secrets:
            raise ValueError("LocalStorage needs a secret to sign URLs")

    def path(self, key: str, *, prefix: bool = False) -> Path:
        """The file of `key`, resolved; InvalidKey when it would leave the root."""
        validate_key(key, prefix=prefix)
        target = (self.root / key).resolve()
        if target != self.root and self.root not in target.parents:
            raise InvalidKey("Invalid storage key.")
        return target

    def put(self, key: str, fileobj: BinaryIO, *, content_type: str) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := fileobj.read(CHUNK):
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)  # readers see the old file or the whole new one
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return written

    def put_file(self, key: str, path: Path, *, content_type: str) -> int:
        with open(path, "rb") as source:
            return self.put(key, source, content_type=content_type)

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")  # noqa: SIM115 - the caller closes it
        except (FileNotFoundError, IsADirectoryError):
            raise MissingObject(key) from None

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A private copy for external tools, removed afterwards (tools may write beside it)."""
        source = self.path(key)
        if not source.is_file():
            raise MissingObject(key)
        with tempfile.TemporaryDirectory(prefix="storage-") as folder:
            copy = Path(folder) / source.name
            shutil.copyfile(source, copy)
            yield copy

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise MissingObject(key) from None

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        keys = list(self.list(prefix))
        for key in keys:
            self.delete(key)
        self._prune(prefix)
        return len(keys)

    def list(self, prefix: str) -> Iterator[str]:
        """Keys starting with `prefix`, sorted."""
        folder_key, _, _ = prefix.rpartition("/")
        folder = self.path(folder_key + "/", prefix=True) if folder_key else self.root
        if not folder.is_dir():
            return iter(())
        keys = []
        for path in folder.rglob("*"):
            if path.is_file() and not path.name.startswith(".upload-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def url(self, key: str, *, expires_in: int, download_name: str | None = None) -> str:
        validate_key(key)
        return signing.signed_url(
            self.secrets[0], key, expires_in=expires_in, download_name=download_name
        )

    def verify(
        self, key: str, expiry: str | None, given: str | None, download_name: str | None = None
    ) -> bool:
        return signing.verify(self.secrets, key, expiry, given, download_name)

    def _prune(self, prefix: str) -> None:
        """Remove folders the deletion left empty, up to the root."""
        folder_key = prefix.rpartition("/")[0]
        if not folder_key:
            return
        folder = self.path(folder_key + "/", prefix=True)
        if folder.is_dir():
            for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
        while folder != self.root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
