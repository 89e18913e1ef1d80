"""The uploaded file between preview and confirmation.

The sheet import carries its checked rows to the confirm step in a signed hidden field. A
register of 10,000 cards does not fit there: its rows are about 2 MB of JSON (450 kB even
compressed, twice that for the 20,000 rows an upload may hold), and a form body may hold at
most 500 kB (Flask's ``MAX_FORM_MEMORY_SIZE``, applied when the CSRF check reads the form,
before any view runs). So the upload itself waits on disk under
``UPLOAD_FOLDER/card-imports/<sha256>.xlsx`` and the confirm form carries a signed token
naming its SHA-256 (:mod:`portal.card_import.routes`): the client cannot change what is
imported, and the confirm step reads exactly the bytes that were previewed.

A staged file is removed when its import is done, and any staged file older than
:data:`KEEP_HOURS` when the next file is staged. Several app servers must share
``UPLOAD_FOLDER``, as they already must for uploads.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from pathlib import Path

from flask import current_app

#: A staged file older than this is removed (the confirm token expires before).
KEEP_HOURS = 24
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "card-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(sha256: str) -> Path:
    if not _SHA256.fullmatch(sha256):
        raise ValueError("not a SHA-256")
    return _folder() / f"{sha256}.xlsx"


def stage(data: bytes) -> str:
    """Keep ``data`` for the confirm step; returns its SHA-256 (hex). Removes stale files."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = _path(sha256)
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a reader never sees half a file
    else:
        path.touch()  # staged again: keep it as long as a new one
    _purge(keep=path)
    return sha256


def load(sha256: str) -> bytes | None:
    """The staged bytes whose SHA-256 is ``sha256``, or None when they are gone or altered."""
    try:
        data = _path(sha256).read_bytes()
    except (OSError, ValueError):
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None


def discard(sha256: str) -> None:
    """Remove a staged file (after its import)."""
    with contextlib.suppress(ValueError):
        _path(sha256).unlink(missing_ok=True)


def _purge(*, keep: Path) -> None:
    cutoff = time.time() - KEEP_HOURS * 3600
    for path in _folder().iterdir():
        try:
            if path != keep and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass  # another process removed it first
