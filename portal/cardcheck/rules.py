"""What the public card check shows, and how it reads what was typed — pure functions.

DESIGN.md "Public card check": anyone on the intranet can verify a card number and see the
holder's masked name, the level, the occupation, the validity and the status — nothing else
(no ID number, no city, no organisation).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from portal.cards.numbering import PREFIX
from portal.cards.rules import CardStatus, card_status

__all__ = ["MAX_INPUT", "PublicCard", "lookup_numbers", "mask_name", "public_card"]

#: Longest text looked up (card numbers are at most 30 characters); longer input is cut.
MAX_INPUT = 40
_SHORT_FORM = re.compile(r"\d{4}-\d{6}")


def mask_name(name: str | None) -> str:
    """A person's name as the public may see it: the first character and, for names of three
    characters or more, the last one; every other character becomes ``*``.

    >>> mask_name("张明"), mask_name("张晓明"), mask_name("欧阳晓明")
    ('张*', '张*明', '欧**明')

    A one-character name shows only ``*``; surrounding whitespace is ignored; None or an
    empty name gives "". Each hidden character is one ``*``, so the length stays visible,
    as on printed notices (张*明).
    """
    text = unicodedata.normalize("NFC", name or "").strip()
    if len(text) <= 1:
        return "*" * len(text)
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]


def lookup_numbers(text: str | None) -> tuple[str, ...]:
    """The card numbers to look up for what was typed, or () when nothing was.

    NFKC (full-width ``－`` and digits typed with a Chinese IME become ASCII), every space
    removed, cut at :data:`MAX_INPUT` characters. A number typed without its prefix
    (``2026-000123``) is also looked up with it (``川考评-2026-000123``). The result depends on
    the text only, never on the database, so a malformed number costs the same one query as
    an unknown one.
    """
    number = "".join(unicodedata.normalize("NFKC", text or "").split())[:MAX_INPUT]
    if not number:
        return ()
    if _SHORT_FORM.fullmatch(number):
        return (number, f"{PREFIX}-{number}")
    return (number,)


@dataclass(frozen=True)
class PublicCard:
    """Everything the public check shows of a card."""

    number: str
    holder: str  # masked
    level: str
    occupation: str
    issued_on: date
    valid_until: date
    status: CardStatus
    #: The number of the card that replaced this one (复核换证), shown with 已换证.
    replaced_by: str | None = None


def public_card(*, number: str, holder_name: str, level: str, occupation: str,
                issued_on: date, valid_until: date, collected_on: date | None,
                voided_on: date | None, revoked_on: date | None, today: date,
                superseded_on: date | None = None,
                superseded_by: str | None = None) -> PublicCard:
    """The public view of a card on ``today``: the holder's name masked (:func:`mask_name`)
    and the status derived by :func:`portal.cards.rules.card_status`. A card renewed by
    ``today`` (已换证) also names the new card (``superseded_by``), so whoever checks the old
    one knows which card to check instead; before that day the new number is not shown."""
    status = card_status(valid_until=valid_until, collected_on=collected_on,
                         voided_on=voided_on, revoked_on=revoked_on, today=today,
                         superseded_on=superseded_on)
    replaced_by = superseded_by if status is CardStatus.SUPERSEDED else None
    return PublicCard(number, mask_name(holder_name), level, occupation, issued_on,
                      valid_until, status, replaced_by)
