"""Checked import rows handed from the preview to the confirm step, signed by the server.

An import previews an uploaded workbook, then the user confirms. The rows the preview judged
travel in a hidden form field, signed with the app's secret and a salt naming the import, and
bound to the record they were checked for (a batch, a training session): the client can
neither change what is imported nor replay it against another record. The confirm step checks
the rows again against the database as it is then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app
from itsdangerous import BadSignature, URLSafeSerializer


def sign(salt: str, scope: dict[str, int], rows: list[Any], *, sha256: str, name: str) -> str:
    """The token for ``rows`` (objects with ``to_json()``) of the file ``name``/``sha256``,
    checked for ``scope`` (e.g. ``{"batch": 7}``)."""
    return URLSafeSerializer(current_app.secret_key, salt=salt).dumps(
        {**scope, "sha256": sha256, "name": name, "rows": [r.to_json() for r in rows]})


def unsign(salt: str, token: str, scope: dict[str, int],
           from_json: Callable[[Any], Any]) -> tuple[dict, list[Any]]:
    """The payload and rows of a token made by :func:`sign` for this ``scope``; 400 for a
    forged, foreign or malformed token."""
    try:
        payload = URLSafeSerializer(current_app.secret_key, salt=salt).loads(token)
        if (any(payload[k] != v for k, v in scope.items())
                or not isinstance(payload["rows"], list)
                or not isinstance(payload["name"], str)
                or not isinstance(payload["sha256"], str)):
            abort(400)
        rows = [from_json(r) for r in payload["rows"]]
    except (BadSignature, KeyError, TypeError, ValueError):
        abort(400)
    return payload, rows
