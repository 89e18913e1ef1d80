"""Scoped reads of the registry: the search (one row per card, or per person without a card),
its export, the filter choices, and everything an examiner's page shows.

Every read starts from :func:`portal.scope.visible` on :class:`Person` (a card is visible with
its holder). Text searches are prefix searches that use an index (:func:`_starts_with`); a
status filter adds the date condition its status implies, so the card indexes
(:mod:`portal.registry.models`) narrow the rows before :func:`portal.cards.queries.status_expr`
decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, case, func, literal, literal_column, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.elements import True_

from portal.applications.rules import CARD_LEVELS
from portal.auth.models import User
from portal.batches.models import Assignment, EvaluationBatch
from portal.cards.models import Card, PersonBan
from portal.cards.numbering import PREFIX as CARD_PREFIX
from portal.cards.queries import bans_of, card_history, status_expr
from portal.cards.rules import EXPIRING_DAYS, CardStatus, workdays_left
from portal.catalogue.models import Occupation, Region
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.people.models import Person
from portal.registry import models as _indexes  # noqa: F401  (the indexes these queries use)
from portal.registry import rules
from portal.registry.rules import NO_CARD, Filters
from portal.renewals.rules import RefusalRecord, SheetRecord
from portal.scope import visible
from portal.sheets.models import EvaluationSheet
from portal.timeutil import to_local
from portal.workdays import WorkdayCalendar

PER_PAGE = 30


# --- the search --------------------------------------------------------------------------------

def _starts_with(column, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, written so that an index on ``column`` serves it.

    SQLite compares text in code point order (BINARY), so a half-open range is exact there
    and uses the index; its LIKE is case-insensitive and cannot. PostgreSQL gets LIKE (with
    the wildcards in ``prefix`` escaped): a range is exact only under a code point collation,
    which a deployment need not use.
    """
    if db.engine.dialect.name == "sqlite":
        return and_(column >= prefix, column < rules.prefix_upper_bound(prefix))
    return column.startswith(prefix, autoescape=True)


def row_status(today: date):
    """The status shown on a registry row: :func:`portal.cards.queries.status_expr` for a
    card, :data:`portal.registry.rules.NO_CARD` for a person without one."""
    return case((Card.id.is_(None), literal(NO_CARD)), else_=status_expr(today))


def _status_condition(status: str, today: date) -> list[ColumnElement[bool]]:
    """``status_expr(today) == status``, plus, for the statuses few cards have (即将到期,
    待领取, 已作废, 已注销), the date condition that status implies, so that an index on that
    date finds the candidates (:mod:`portal.registry.models`). 有效 and 已过期 are the state
    of most cards: an index range over half the table is slower than reading it in name
    order. ``tests/test_registry_search.py`` checks that no condition removes a card of its
    status."""
    if status == NO_CARD:
        return [Card.id.is_(None)]
    conditions: list[ColumnElement[bool]] = [status_expr(today) == status]
    soon = today + timedelta(days=EXPIRING_DAYS)
    if status == CardStatus.EXPIRING.value:
        conditions.append(Card.valid_until.between(today, soon))
    elif status == CardStatus.PENDING_COLLECTION.value:
        # Not collected, voided or revoked on today: either none of the three happened (the
        # partial index ix_card_awaiting_collection; the always-true range on its column lets
        # SQLite use it inside the OR) or one is dated after today.
        conditions.append(or_(
            and_(Card.collected_on.is_(None), Card.voided_on.is_(None),
                 Card.revoked_on.is_(None), Card.collection_deadline >= date.min),
            Card.collected_on > today, Card.voided_on > today, Card.revoked_on > today))
    elif status == CardStatus.VOIDED.value:
        conditions.append(Card.voided_on <= today)
    elif status == CardStatus.REVOKED.value:
        conditions.append(Card.revoked_on <= today)
    elif status == CardStatus.SUPERSEDED.value:
        conditions.append(Card.superseded_on <= today)
    return conditions


def _card_conditions(f: Filters, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.card:
        numbers = [_starts_with(Card.number, f.card)]
        if f.card[0].isdigit():  # typed without the prefix: 2026-000123
            numbers.append(_starts_with(Card.number, f"{CARD_PREFIX}-{f.card}"))
        conditions.append(or_(*numbers))
    if f.occupation:
        conditions.append(Card.occupation_id == int(f.occupation))
    if f.level in CARD_LEVELS:
        conditions.append(Card.level == f.level)
    if f.status and f.status != NO_CARD:
        conditions.extend(_status_condition(f.status, today))
    return conditions


#: Statuses few cards have at any time; their date condition finds them by index.
NARROW_STATUSES = (CardStatus.EXPIRING.value, CardStatus.PENDING_COLLECTION.value,
                   CardStatus.VOIDED.value, CardStatus.REVOKED.value,
                   CardStatus.SUPERSEDED.value)


def _narrow(f: Filters) -> bool:
    """Whether an index on the card finds the few cards the filters want (a status of
    :data:`NARROW_STATUSES`, a card number prefix)."""
    return f.status in NARROW_STATUSES or bool(f.card)


def _scope(viewer: User, f: Filters, narrow: bool) -> ColumnElement[bool]:
    """``visible(Person, viewer)``, marked as unselective for SQLite when it is a city's.

    Without ANALYZE statistics (the app never runs it) SQLite assumes that an equality on an
    indexed column keeps about ten rows, so it starts a city officer's status search from the
    city's thousands of people rather than from the few cards of that status (``narrow``:
    :func:`_narrow`). ``likelihood``
    (SQLite's documented planner hint; the value is unchanged) tells it that most rows pass,
    and it starts from the card index. Not with a name or ID prefix, which the
    ``(region_id, name)`` index serves best, nor for a unit, whose people are few.
    """
    scope = visible(Person, viewer)
    if (narrow and not f.name and not f.id_number and db.engine.dialect.name == "sqlite"
            and rules.single_city(viewer)):
        return func.likelihood(scope, literal_column("0.9"))  # must be a literal
    return scope


def _person_conditions(viewer: User, f: Filters, narrow: bool = False
                       ) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_scope(viewer, f, narrow)]
    if f.name:
        conditions.append(_starts_with(Person.name, f.name))
    if f.id_number and not rules.id_search_problem(
            f.id_number, may_search_prefix=may_search_id_prefix(viewer)):
        if len(f.id_number) == 18:
            conditions.append(Person.id_number == f.id_number)
        else:
            conditions.append(_starts_with(Person.id_number, f.id_number))
    if f.region:
        conditions.append(Person.region_id == int(f.region))
    if f.organisation:
        conditions.append(Person.organisation_id == int(f.organisation))
    if f.status == NO_CARD:
        conditions.append(Card.id.is_(None))
    return conditions


def may_search_id_prefix(viewer: User) -> bool:
    """Whether ``viewer`` may search by part of an ID number: only those who see every
    whole number of their scope, the province and city centres
    (:func:`portal.registry.rules.id_search_problem`)."""
    return viewer.has_role("province", "city")


def _base(viewer: User, f: Filters, today: date) -> Select:
    """FROM person [LEFT] JOIN card WHERE scope and filters. An inner join when the filters
    are about cards (then a person without a card cannot match anyway)."""
    card_conditions = _card_conditions(f, today)
    stmt = select().select_from(Person)
    if card_conditions:
        stmt = stmt.join(Card, Card.person_id == Person.id)
    else:
        stmt = stmt.outerjoin(Card, Card.person_id == Person.id)
    return stmt.where(*_person_conditions(viewer, f, _narrow(f)), *card_conditions)


def _count(viewer: User, f: Filters, today: date) -> Select:
    """The number of rows of the search. When nothing restricts the people (the province,
    no filter on the person) and the filters are about cards, the cards alone are counted:
    every card has its holder (a NOT NULL foreign key), so the join would only cost a lookup
    per card."""
    card_conditions = _card_conditions(f, today)
    person_conditions = _person_conditions(viewer, f, _narrow(f))
    if card_conditions and all(isinstance(c, True_) for c in person_conditions):
        return select(func.count()).select_from(Card).where(*card_conditions)
    return _base(viewer, f, today).with_only_columns(func.count())


def _city_name():
    return select(Region.name).where(Region.id == Person.region_id).scalar_subquery()


def _occupation_name():
    return select(Occupation.name).where(Occupation.id == Card.occupation_id).scalar_subquery()


def _order(key: str, descending: bool, today: date) -> list:
    columns = {
        "name": [Person.name],
        "id_number": [Person.id_number],
        "card": [Card.number],
        "occupation": [_occupation_name()],
        "level": [Card.level],
        "city": [select(Region.sort_order).where(Region.id == Person.region_id)
                 .scalar_subquery()],
        "employer": [Person.employer],
        "status": [row_status(today)],
        "valid_until": [Card.valid_until],
        "deadline": [Card.collection_deadline],
    }[key]
    ordered = [c.desc() if descending else c.asc() for c in columns]
    if key in ("card", "occupation", "level", "valid_until", "deadline"):
        ordered = [c.nulls_last() for c in ordered]  # people without a card last
    tie = [Person.name, Person.id, Card.id] if key != "name" else [Person.id, Card.id]
    if key == "name" and descending:
        tie = [Person.id.desc(), Card.id.desc()]
    return ordered + tie


def _display(today: date) -> tuple:
    """Every column a row shows or exports. The city and occupation names are scalar
    subqueries, not joins, which would let SQLite start a city's search from the region."""
    return (
        Person.id.label("person_id"), Person.name, Person.gender, Person.id_number,
        Person.employer, Person.mobile, _city_name().label("city"),
        Card.id.label("card_id"), Card.number, Card.level,
        _occupation_name().label("occupation"), Card.issued_on, Card.valid_until,
        Card.collection_deadline, Card.deadline_provisional, row_status(today).label("status"),
    )


def _rows(viewer: User, f: Filters, today: date) -> Select:
    """Every row of the search with all its columns, in the chosen order (the export)."""
    key, descending = rules.sort_key(f.sort, f.status)
    return (_base(viewer, f, today).add_columns(*_display(today))
            .order_by(*_order(key, descending, today)))


def _page(viewer: User, f: Filters, today: date, limit: int, offset: int) -> Select:
    """One page of the search: first the keys of the page's rows in the chosen order (so
    the sort carries two ids and the sort key, not every column of thousands of rows), then
    the columns of those rows only."""
    key, descending = rules.sort_key(f.sort, f.status)
    order = _order(key, descending, today)
    keys = (_base(viewer, f, today)
            .add_columns(Person.id.label("pid"), Card.id.label("cid"))
            .order_by(*order).limit(limit).offset(offset).subquery("page_keys"))
    return (select(*_display(today)).select_from(keys)
            .join(Person, Person.id == keys.c.pid)
            .outerjoin(Card, Card.id == keys.c.cid)
            .order_by(*order))


class RowPagination(Pagination):
    """Pagination of a select of columns (Flask-SQLAlchemy's ``db.paginate`` returns only
    the first column of each row): ``page_select(limit, offset)`` gives the page's
    statement, ``count_select`` the count."""

    def _query_items(self) -> list:
        stmt = self._query_args["page_select"](self.per_page, self._query_offset)
        return list(db.session.execute(stmt))

    def _query_count(self) -> int:
        return db.session.scalar(self._query_args["count_select"])


def search(viewer: User, f: Filters, today: date, page: int = 1,
           per_page: int = PER_PAGE) -> RowPagination:
    """One page of the registry for ``viewer``: rows of person and card columns and the
    row's status (:func:`_display`), and ``total`` (:func:`_count`)."""
    return RowPagination(
        page_select=lambda limit, offset: _page(viewer, f, today, limit, offset),
        count_select=_count(viewer, f, today), page=max(page, 1), per_page=per_page,
        error_out=False)


def count(viewer: User, f: Filters, today: date) -> int:
    """How many rows the search has."""
    return db.session.scalar(_count(viewer, f, today))


def export_rows(viewer: User, f: Filters, today: date) -> Iterator:
    """Every row of the search, streamed in batches (for the XLSX export)."""
    result = db.session.execute(_rows(viewer, f, today).execution_options(yield_per=1000))
    yield from result


@dataclass(frozen=True)
class CollectionDays:
    """Working days left to collect a card, and whether that is an estimate (预计)."""

    left: int
    provisional: bool
    overdue: bool


def collection_days(rows, today: date) -> dict[int, CollectionDays]:
    """For each 待领取 row: the working days after ``today`` up to its collection deadline
    (:func:`portal.cards.rules.workdays_left`), counted with one calendar for the page; an
    estimate when the deadline is provisional."""
    calendar = WorkdayCalendar()
    days = {}
    for row in rows:
        if row.status != CardStatus.PENDING_COLLECTION.value:
            continue
        left = workdays_left(today, row.collection_deadline,
                             lambda d: calendar.provisional_add_workdays(d, 1))
        days[row.card_id] = CollectionDays(left, bool(row.deadline_provisional),
                                           row.collection_deadline < today)
    return days


# --- filter choices ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Choices:
    occupations: list[Occupation]
    regions: list[Region]
    organisations: list[Organisation]
    levels: tuple[str, ...] = CARD_LEVELS


def choices(viewer: User) -> Choices:
    """What the filter lists offer ``viewer``: every occupation; the cities (a city centre
    only its own); the registered units it may see (none for a unit, which sees only its
    own people anyway)."""
    occupations = list(db.session.scalars(select(Occupation).order_by(Occupation.code)))
    regions_stmt = select(Region).where(~Region.is_province).order_by(Region.sort_order)
    if rules.single_city(viewer) and viewer.region_id:
        regions_stmt = regions_stmt.where(Region.id == viewer.region_id)
    organisations: list[Organisation] = []
    if viewer.has_role("province", "city"):
        organisations = list(db.session.scalars(
            select(Organisation).where(visible(Organisation, viewer)).order_by(Organisation.name)))
    return Choices(occupations, list(db.session.scalars(regions_stmt)), organisations)


def units_for_profile(viewer: User) -> list[Organisation]:
    """The registered units an officer may give a person (those it may see), by name."""
    return list(db.session.scalars(
        select(Organisation).where(visible(Organisation, viewer), Organisation.active)
        .order_by(Organisation.name)))


# --- an examiner's page ------------------------------------------------------------------------

@dataclass
class CardEntry:
    card: Card
    status: CardStatus
    history: list
    days: CollectionDays | None


@dataclass
class WorkEntry:
    """One assignment of the examiner, its sheet (if any), and whether the viewer may open
    the batch and the sheet."""

    assignment: Assignment
    sheet: EvaluationSheet | None
    batch_visible: bool
    sheet_visible: bool


@dataclass
class ExaminerPage:
    cards: list[CardEntry]
    bans: list[PersonBan]
    work: list[WorkEntry]
    refusals: list[WorkEntry]
    quality: rules.QualityLine


def _local_day(value) -> date:
    return to_local(value).date()


def examiner_page(person: Person, viewer: User, today: date) -> ExaminerPage:
    """Everything the examiner's page shows. ``person`` was loaded in scope
    (:func:`portal.scope.get_visible_or_404`).

    The examiner's whole record is listed (batches of any institution included: it is their
    work history, and the quality line is computed over all of it, as the renewal review
    does); links lead only to the batches and sheets the viewer may open.
    """
    calendar = WorkdayCalendar()
    cards = []
    for card in db.session.scalars(select(Card).where(Card.person_id == person.id)
                                   .options(joinedload(Card.occupation))
                                   .order_by(Card.issued_on.desc(), Card.id.desc())):
        status = card.status(today)
        days = None
        if status is CardStatus.PENDING_COLLECTION:
            left = workdays_left(today, card.collection_deadline,
                                 lambda d: calendar.provisional_add_workdays(d, 1))
            days = CollectionDays(left, card.deadline_provisional,
                                  card.collection_deadline < today)
        cards.append(CardEntry(card, status, card_history(card), days))

    assignments = list(db.session.scalars(
        select(Assignment).join(EvaluationBatch, EvaluationBatch.id == Assignment.batch_id)
        .where(Assignment.person_id == person.id)
        .options(selectinload(Assignment.batch).selectinload(EvaluationBatch.organisation),
                 selectinload(Assignment.batch).selectinload(EvaluationBatch.occupation),
                 selectinload(Assignment.card))
        .order_by(EvaluationBatch.first_date.desc(), Assignment.id.desc())))
    sheets = {s.assignment_id: s for s in db.session.scalars(
        select(EvaluationSheet).where(EvaluationSheet.person_id == person.id))}
    batch_ids = {a.batch_id for a in assignments}
    open_batches = set(db.session.scalars(select(EvaluationBatch.id).where(
        EvaluationBatch.id.in_(batch_ids), visible(EvaluationBatch, viewer)))) if batch_ids \
        else set()
    sheet_ids = {s.id for s in sheets.values()}
    open_sheets = set(db.session.scalars(select(EvaluationSheet.id).where(
        EvaluationSheet.id.in_(sheet_ids), visible(EvaluationSheet, viewer)))) if sheet_ids \
        else set()
    work = [WorkEntry(a, sheets.get(a.id), a.batch_id in open_batches,
                      a.id in sheets and sheets[a.id].id in open_sheets) for a in assignments]

    finals = [SheetRecord(s.id, _local_day(s.finalised_at), s.grade)
              for s in sheets.values() if s.finalised_at is not None and s.grade]
    refused = [w for w in work if w.assignment.answer == "refused"]
    judged = [RefusalRecord(w.assignment.id, w.assignment.refusal_day,
                            bool(w.assignment.reason_justified))
              for w in refused if w.assignment.reason_justified is not None]
    pending = [w.assignment.refusal_day for w in refused
               if w.assignment.reason_justified is None]
    quality = rules.quality_line(finals, judged, pending_refusals=pending, today=today)
    return ExaminerPage(cards, bans_of(person.id), work, refused, quality)

