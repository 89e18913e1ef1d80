"""Database work of the import from the old system: what the portal holds for a file's rows
(:func:`known_for`), and writing a checked plan (:func:`apply_plan`). The caller opens the
write transaction and commits.

Every person is created through :func:`portal.people.operations.create_person` and every
card issued through :func:`portal.cards.operations.issue_card` (``origin="imported"``, the
old number and dates), each audited there; the import itself is one ``card.import`` event
whose ``after`` is the import report.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.orm import aliased

from portal.audit.models import AuditEvent
from portal.audit.operations import record
from portal.card_import import rules
from portal.cards.models import Card
from portal.cards.operations import issue_card
from portal.cards.rules import COLLECTION_WORKDAYS
from portal.catalogue.models import Occupation, Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.idcard import normalize_id_number
from portal.people.models import Person
from portal.people.operations import PersonError, create_person, update_person
from portal.workdays import WorkdayCalendar

ACTION = "card.import"
ENTITY_TYPE = "card_import"
#: Rows per IN (...) lookup: well under every database's limit on bound parameters.
CHUNK = 500
#: PostgreSQL advisory lock taken by a confirming import, so two confirmations of the same
#: file run one after the other and the second finds every card already there (SQLite's
#: BEGIN IMMEDIATE serialises writers anyway).
ADVISORY_LOCK_KEY = 5_150_001


class ImportConflict(RuntimeError):
    """The plan could not be written as checked (the database changed under it); the message
    is Chinese. The caller rolls back: nothing is imported."""


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _id_numbers(rows: Iterable[rules.CardRow]) -> set[str]:
    numbers = set()
    for row in rows:
        try:
            numbers.add(normalize_id_number(row.id_number))
        except (ValueError, TypeError):
            continue  # the row's own error; nobody to look up
    return numbers


def known_for(rows: list[rules.CardRow]) -> rules.Known:
    """What :func:`portal.card_import.rules.validate` needs to know of the portal for
    ``rows``, read now: regions, the occupation catalogue (active or not: old cards may name
    a retired occupation), organisation names, and the persons and cards the rows' ID numbers
    and card numbers name."""
    regions = {name: id_ for name, id_ in db.session.execute(select(Region.name, Region.id))}
    occupations: dict[str, tuple[int, str]] = {}
    for occupation_id, code, name in db.session.execute(
            select(Occupation.id, Occupation.code, Occupation.name)).tuples():
        occupations[code] = occupations[name] = (occupation_id, name)
    organisations = {name: id_ for name, id_ in db.session.execute(
        select(Organisation.name, Organisation.id))}

    persons: dict[str, rules.KnownPerson] = {}
    for batch in _chunks(sorted(_id_numbers(rows))):
        for person, region in db.session.execute(
                select(Person, Region.name).join(Region, Region.id == Person.region_id)
                .where(Person.id_number.in_(batch))).tuples():
            persons[person.id_number] = rules.KnownPerson(
                person.id, person.name, region, person.employer, person.mobile,
                person.organisation_id)

    holder = aliased(Person)
    cards: dict[str, rules.KnownCard] = {}
    numbers = sorted({r.number for r in rows if r.number})
    for batch in _chunks(numbers):
        for card, id_number, name, occupation in db.session.execute(
                select(Card, holder.id_number, holder.name, Occupation.name)
                .join(holder, holder.id == Card.person_id)
                .join(Occupation, Occupation.id == Card.occupation_id)
                .where(Card.number.in_(batch))).tuples():
            cards[card.number] = rules.KnownCard(
                card.number, id_number, name, card.occupation_id, occupation, card.level,
                card.issued_on, card.collected_on)
    return rules.Known(regions, occupations, organisations, persons, cards)


def deadline_function():
    """``issued_on -> Deadline`` for the preview's notes: one calendar for the whole file,
    each issue date counted once."""
    calendar = WorkdayCalendar()
    cache: dict[date, object] = {}

    def deadline_for(issued_on: date):
        if issued_on not in cache:
            cache[issued_on] = calendar.deadline_after_workdays(issued_on, COLLECTION_WORKDAYS)
        return cache[issued_on]

    return deadline_for


def lock_for_import() -> None:
    """Serialise confirming imports on PostgreSQL (see :data:`ADVISORY_LOCK_KEY`); released
    when the transaction ends. Call it right after :func:`portal.dbutil.begin_write`."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": ADVISORY_LOCK_KEY})


@dataclass(frozen=True)
class ImportSource:
    """The file an import came from, for the report."""

    name: str
    sha256: str


def apply_plan(plan: rules.ImportPlan, source: ImportSource, *, actor_id: int) -> AuditEvent:
    """Write a checked plan (``plan.ok``): create the new persons, fill the blank profile
    fields of reused ones, issue every card, and record the import report as one
    ``card.import`` audit event (returned). Flushes; the caller commits, or rolls back on
    :class:`ImportConflict` or any other exception — then nothing at all is written.
    """
    if not plan.ok:
        raise ValueError("a plan with errors is never written")
    holders: dict[str, Person] = {}
    # Held for the whole write: the session keeps loaded objects only while something refers
    # to them, and create_person looks each person's region (and unit) up by id.
    references = [*db.session.scalars(select(Region)),
                  *db.session.scalars(select(Organisation).where(Organisation.id.in_(
                      {p.fields["organisation_id"] for p in plan.new_persons} - {None})))]
    row = 0
    try:
        for new in plan.new_persons:
            row = new.row
            person = create_person(actor_id=actor_id, **new.fields)
            holders[person.id_number] = person
        for fill in plan.fills:
            row = fill.row
            update_person(db.session.get(Person, fill.person_id), fill.changes,
                          actor_id=actor_id)
    except PersonError as exc:
        raise ImportConflict(f"第 {row} 行的人员未能保存：{exc}") from exc
    wanted = sorted({c.id_number for c in plan.cards} - holders.keys())
    for batch in _chunks(wanted):
        for person in db.session.scalars(select(Person).where(Person.id_number.in_(batch))):
            holders[person.id_number] = person
    occupations = {o.id: o for o in db.session.scalars(select(Occupation))}
    for card in plan.cards:
        if card.id_number not in holders:
            raise ImportConflict(f"第 {card.row} 行的持证人已不在系统中")
        issue_card(holders[card.id_number], occupations[card.occupation_id], card.level,
                   card.issued_on, origin="imported", actor_id=actor_id, number=card.number,
                   collected_on=card.collected_on)
    event = record(ACTION, None, entity_type=ENTITY_TYPE, entity_id=source.sha256[:40],
                   actor_id=actor_id,
                   after={"file_name": source.name, "file_sha256": source.sha256,
                          **plan.summary()})
    del references
    return event


def report(event_id: int) -> AuditEvent | None:
    """The ``card.import`` audit event ``event_id`` (the import report), or None."""
    event = db.session.get(AuditEvent, event_id)
    return event if event is not None and event.action == ACTION else None


def recent_reports(limit: int = 10) -> list[AuditEvent]:
    """The latest import reports, newest first."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == ACTION)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))
