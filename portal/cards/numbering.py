"""The card number scheme, decided here and nowhere else: 川考评-2026-000123."""

import re

PREFIX = "川考评"
_PATTERN = re.compile(rf"^{PREFIX}-(\d{{4}})-(\d{{6}})$")


def format_card_number(year: int, sequence: int) -> str:
    """The printed number of the ``sequence``-th card issued in ``year`` (1-based)."""
    if not 1 <= sequence <= 999_999:
        raise ValueError("证卡序号超出范围")
    return f"{PREFIX}-{year:04d}-{sequence:06d}"


def parse_card_number(number: str) -> tuple[int, int] | None:
    """(year, sequence) of a well-formed card number, else None."""
    m = _PATTERN.match(number.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def next_card_number(year: int) -> str:
    """The next free number of ``year``: one more than the highest sequence issued in it.

    Reads the database (app context). Two concurrent issuers may compute the same number; the
    unique constraint on ``card.number`` refuses the second, whose transaction then rolls back.
    """
    from sqlalchemy import func, select

    from portal.cards.models import Card
    from portal.extensions import db

    prefix = f"{PREFIX}-{year:04d}-"
    highest = db.session.scalar(
        select(func.max(Card.number)).where(Card.number.startswith(prefix, autoescape=True))
    )
    sequence = parse_card_number(highest)[1] + 1 if highest else 1
    return format_card_number(year, sequence)
