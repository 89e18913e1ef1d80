"""PROTOTYPE FOR MEASUREMENT ONLY — not part of the portal, never imported by it.

The real app (``app:app``) with one view replaced: the level save, restructured as proposed in
bench/README.md ("Where the time goes"), so a proposal can be measured under the same load
before anyone changes ``portal/sheets/*``:

    .venv/bin/python bench/run.py --app bench.fastsave:app --server gunicorn-sync
    FASTSAVE=optimistic .venv/bin/python bench/run.py --app bench.fastsave:app ...

Same checks, same order, same outcomes and the same response as ``portal.sheets.routes
.save_level`` (404 out of scope, 403 not this column's rater, 400 bad form, 409 stale/locked),
and the same domain call (``operations.save_level``: conditional version bump, mark, audit
event). Two variants (environment variable ``FASTSAVE``):

``light`` (default) — P1 + P2:
  * P2: the read transaction only answers "may this user save in this column?" with two light
    queries (scope: ``SELECT id``; the two columns' ``role``/``rater_id``) instead of loading
    the whole sheet (rubric snapshot, both columns with their raters, the raters' roles, all
    30 marks) and then loading it all again after ``begin_write`` expired it. The sheet is
    loaded once, inside the write transaction.
  * P1: commits do not expire the session (``expire_on_commit = False`` for this request): the
    user from the user loader stays loaded through ``begin_write``, and the partial is
    rendered from the objects the save just wrote (version, marked, total are set with
    ``set_committed_value``; the mark is in ``column.marks``) — no reload after the commit.

``optimistic`` — P1 + P4:
  * P4: the sheet is loaded once, scoped, in the READ transaction (exactly the current
    ``_load``), and the write transaction holds only the writes: the conditional
    ``UPDATE … WHERE version = :based_on`` (it is what makes the save safe: if it matches,
    nothing in the column changed since the read), the mark, the audit event, COMMIT. The
    SQLite write lock is held for three statements instead of a full sheet load plus them.
"""

import os

from flask import abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from app import app
from portal.dbutil import begin_write
from portal.extensions import db
from portal.scope import can_see, get_visible_or_404
from portal.sheets import operations, view
from portal.sheets.forms import level_form_class
from portal.sheets.models import RATER_ROLES, EvaluationSheet, SheetColumn
from portal.sheets.routes import SAVE_MESSAGES
from portal.sheets.rules import SaveOutcome

__all__ = ["MODE", "app"]

MODE = os.environ.get("FASTSAVE", "light")
if MODE not in ("light", "optimistic"):
    raise RuntimeError(f"FASTSAVE must be 'light' or 'optimistic', not {MODE!r}")


def _form(item: int):
    form = level_form_class(item)() if 1 <= item <= 15 else abort(404)
    if not form.validate_on_submit():
        abort(400)
    return form[f"item-{item}"].data, int(form.version.data)


def _respond(sheet, user, item, result):
    v = view.build(sheet, user)
    message = SAVE_MESSAGES.get(result.outcome)
    response = render_template("sheets/_save_response.html", v=v, item=item, message=message,
                               all_rows=result.outcome is SaveOutcome.STALE)
    return response, 409 if message else 200


@login_required
def save_level_light(sheet_id: int, role: str, item: int):
    user = current_user._get_current_object()
    session = db.session()
    session.expire_on_commit = False  # P1 (the session is discarded after the request)
    if not can_see(EvaluationSheet, sheet_id, user):
        abort(404)
    # Both columns of the sheet by sheet_id alone: filtering on rater_id too makes SQLite
    # (no ANALYZE statistics) walk ix_sheet_column_rater_id over every column the user rates.
    columns = db.session.execute(
        select(SheetColumn.role, SheetColumn.rater_id).where(SheetColumn.sheet_id == sheet_id)
        .order_by(SheetColumn.id)
    ).all()
    # view.rater_role_of: the first column this user rates and holds the role for.
    own = next((r for r, rater in columns if rater == user.id and user.has_role(r)), None)
    if role not in RATER_ROLES or own != role:
        abort(403)
    level, version = _form(item)
    begin_write()
    sheet = db.session.get(EvaluationSheet, sheet_id)
    result = operations.save_level(sheet, role, item, level, based_on_version=version,
                                   actor_id=user.id)
    session.commit()  # P1: what we render is what we just wrote
    return _respond(sheet, user, item, result)


@login_required
def save_level_optimistic(sheet_id: int, role: str, item: int):
    user = current_user._get_current_object()
    session = db.session()
    session.expire_on_commit = False  # P1 (the session is discarded after the request)
    sheet = get_visible_or_404(EvaluationSheet, sheet_id, user)
    if role not in RATER_ROLES or view.rater_role_of(sheet, user) != role:
        abort(403)
    level, version = _form(item)
    begin_write()  # P4: the read state is kept; the version check in the UPDATE guards it
    result = operations.save_level(sheet, role, item, level, based_on_version=version,
                                   actor_id=user.id)
    session.commit()
    return _respond(sheet, user, item, result)


app.view_functions["sheets.save_level"] = (
    save_level_optimistic if MODE == "optimistic" else save_level_light)
