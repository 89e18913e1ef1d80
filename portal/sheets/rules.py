"""Pure rules of the evaluation sheet: who may see which column, how a save based on a page
version is judged, which items the raters disagree on, and the seal of a final sheet.

DESIGN.md "Beyond the notice": blind double scoring, no lost or overwritten score, sealed
sheets. Scores and grades themselves come from :mod:`portal.scoring.rubric`.
"""

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from portal.scoring.rubric import LEVELS

ITEM_COUNT = 15
LEVEL_RANK = {level: i for i, level in enumerate(LEVELS)}  # A=0 … D=3


class SaveOutcome(StrEnum):
    APPLY = "apply"  # based on the stored version: store it
    IDEMPOTENT = "idempotent"  # stale version, but the stored level is already this one
    STALE = "stale"  # stale version and a different stored level: refuse, show fresh state
    LOCKED = "locked"  # the column is submitted: nothing may change


def judge_save(
    *,
    stored_version: int,
    based_on_version: int,
    stored_level: str | None,
    requested_level: str,
    submitted: bool,
) -> SaveOutcome:
    """Decide what to do with a click that was made on a page showing ``based_on_version``.

    A retry of a save that already landed (the response was lost) arrives with the old version
    and the level that is now stored: it succeeds without change (idempotent). A click from a
    stale page (another tab, an old retry) that would change a newer choice is refused: the
    rater sees the fresh column and decides again. Nothing is ever silently overwritten.
    Clicking the level that is already stored changes nothing, whatever the version (so it
    is never refused). A submitted column is locked.
    """
    if stored_level == requested_level:
        return SaveOutcome.IDEMPOTENT
    if submitted:
        return SaveOutcome.LOCKED
    if stored_version != based_on_version:
        return SaveOutcome.STALE
    return SaveOutcome.APPLY


def may_see_column(*, viewer_is_rater_of: str | None, column_role: str,
                   own_column_submitted: bool, sheet_final: bool) -> bool:
    """Blind double scoring: whether a viewer may see a column's choices and total.

    A rater always sees their own column and sees the other rater's only once their own is
    submitted. Anyone else (the institution's clerk, officers) sees the choices once the sheet
    is final; before that only each column's progress. ``viewer_is_rater_of`` is the role of
    the column the viewer rates on this sheet, or None.
    """
    if viewer_is_rater_of == column_role:
        return True
    if viewer_is_rater_of is not None:
        return own_column_submitted
    return sheet_final


def disagreements(levels_1: Mapping[int, str], levels_2: Mapping[int, str]) -> list[int]:
    """Items on which the two raters are two or more levels apart (e.g. A and C)."""
    return [
        item
        for item in sorted(set(levels_1) & set(levels_2))
        if abs(LEVEL_RANK[levels_1[item]] - LEVEL_RANK[levels_2[item]]) >= 2
    ]


def seal(content: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of a final sheet's content (sorted keys, no spaces):
    any later change to a level, total, score, rater, date or attached scan changes it."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
