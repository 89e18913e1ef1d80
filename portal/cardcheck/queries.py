"""The one read of the public card check."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import aliased

from portal.cardcheck.rules import PublicCard, public_card
from portal.cards.models import Card
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.people.models import Person


def find_public_card(numbers: tuple[str, ...], today: date) -> PublicCard | None:
    """The public view of the card numbered by the first of ``numbers`` that exists, or None.

    One indexed query whatever the numbers (unknown and malformed alike), reading only the
    columns the public view is made of: nothing else of the holder is ever loaded.
    """
    new = aliased(Card)
    rows = db.session.execute(
        select(Card.number, Person.name, Card.level, Occupation.name, Card.issued_on,
               Card.valid_until, Card.collected_on, Card.voided_on, Card.revoked_on,
               Card.superseded_on, new.number)
        .join(Person, Person.id == Card.person_id)
        .join(Occupation, Occupation.id == Card.occupation_id)
        .outerjoin(new, new.id == Card.superseded_by_id)
        .where(Card.number.in_(numbers))
    ).all()
    if not rows:
        return None
    row = min(rows, key=lambda r: numbers.index(r[0]))
    (number, name, level, occupation, issued_on, valid_until, collected_on, voided_on,
     revoked_on, superseded_on, superseded_by) = row
    return public_card(number=number, holder_name=name, level=level, occupation=occupation,
                       issued_on=issued_on, valid_until=valid_until, collected_on=collected_on,
                       voided_on=voided_on, revoked_on=revoked_on, today=today,
                       superseded_on=superseded_on, superseded_by=superseded_by)
