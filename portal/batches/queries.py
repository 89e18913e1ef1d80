"""Scoped read queries for batches: the list with its status, the eligible card holders of a
batch (the SQL twin of :func:`portal.batches.rules.card_covers_batch`), the facts behind the
assignment warnings, and an examiner's own assignments."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, extract, func, literal, or_, select
from sqlalchemy.orm import selectinload

from portal.applications.rules import SENIOR_EXAMINER
from portal.auth.models import User, UserRole
from portal.auth.roles import Role
from portal.batches import rules
from portal.batches.models import Assignment, BatchDate, EvaluationBatch
from portal.batches.rules import BatchStatus
from portal.cards.models import Card
from portal.catalogue.models import Occupation
from portal.extensions import db
from portal.people.models import Person
from portal.scope import visible
from portal.sheets.models import EvaluationSheet
from portal.timeutil import cn_date

#: At most this many card holders are listed by one search.
CANDIDATE_LIMIT = 20

#: An assignment that still binds the examiner to its dates (for double booking).
BINDING_ANSWERS = ("pending", "accepted")


# --- the list and its status -----------------------------------------------------------------

def _counts():
    """Per batch: assignments, accepted ones, their sheets, and the final sheets (one grouped
    subquery, so a list never counts row by row)."""
    return (
        select(
            Assignment.batch_id.label("batch_id"),
            func.count(Assignment.id).label("assigned"),
            func.sum(case((Assignment.answer == "accepted", 1), else_=0)).label("accepted"),
            func.count(EvaluationSheet.id).label("sheets"),
            func.count(EvaluationSheet.finalised_at).label("final"),
        )
        .outerjoin(EvaluationSheet, EvaluationSheet.assignment_id == Assignment.id)
        .group_by(Assignment.batch_id)
        .subquery("batch_counts")
    )


def status_expr(counts):
    """SQL twin of :func:`portal.batches.rules.batch_status` over :func:`_counts` columns
    (outer-joined, so a batch without assignments has NULLs)."""
    sheets = func.coalesce(counts.c.sheets, 0)
    final = func.coalesce(counts.c.final, 0)
    accepted = func.coalesce(counts.c.accepted, 0)
    return case(
        (sheets == 0, literal(BatchStatus.NOT_STARTED.value)),
        (and_(final >= 1, final == accepted), literal(BatchStatus.DONE.value)),
        else_=literal(BatchStatus.IN_PROGRESS.value),
    )


def search_batches(viewer: User, *, status: str = "", year: str = "",
                   occupation: str = "") -> Select:
    """Visible batches, newest exam date first, filtered by status code, year and occupation."""
    counts = _counts()
    stmt = (
        select(EvaluationBatch)
        .outerjoin(counts, counts.c.batch_id == EvaluationBatch.id)
        .where(visible(EvaluationBatch, viewer))
        .options(selectinload(EvaluationBatch.organisation),
                 selectinload(EvaluationBatch.occupation))
    )
    if status in {s.value for s in BatchStatus}:
        stmt = stmt.where(status_expr(counts) == status)
    if year.isdigit():
        y = int(year)
        stmt = stmt.where(EvaluationBatch.first_date >= date(y, 1, 1),
                          EvaluationBatch.first_date < date(y + 1, 1, 1))
    if occupation.isdigit():
        stmt = stmt.where(EvaluationBatch.occupation_id == int(occupation))
    return stmt.order_by(EvaluationBatch.first_date.desc(), EvaluationBatch.id.desc())


@dataclass(frozen=True)
class Progress:
    assigned: int = 0
    accepted: int = 0
    sheets: int = 0
    final: int = 0
    status: BatchStatus = BatchStatus.NOT_STARTED


def progress_for(batch_ids: list[int]) -> dict[int, Progress]:
    """Counts and status of each of ``batch_ids`` in one query (batches without assignments
    get an empty :class:`Progress`)."""
    if not batch_ids:
        return {}
    counts = _counts()
    rows = db.session.execute(
        select(counts.c.batch_id, counts.c.assigned, counts.c.accepted, counts.c.sheets,
               counts.c.final, status_expr(counts))
        .where(counts.c.batch_id.in_(batch_ids))
    ).all()
    result = {bid: Progress() for bid in batch_ids}
    for bid, assigned, accepted, sheets, final, status in rows:
        result[bid] = Progress(assigned, accepted or 0, sheets, final, BatchStatus(status))
    return result


def batch_years(viewer: User) -> list[int]:
    """Years that have visible batches, newest first (for the list filter)."""
    year = extract("year", EvaluationBatch.first_date)
    rows = db.session.scalars(
        select(year).where(visible(EvaluationBatch, viewer)).distinct().order_by(year.desc())
    ).all()
    return [int(y) for y in rows]


def occupations() -> list[Occupation]:
    return list(db.session.scalars(select(Occupation).order_by(Occupation.code)))


# --- eligible card holders -------------------------------------------------------------------

def eligible_conditions(batch: EvaluationBatch) -> list:
    """SQL conditions on :class:`Card` equal to ``card_covers_batch(...) == []``.

    Each date condition of the rule is monotone over the exam days (issue and collection must
    have happened by the first day; expiry, voiding and revocation must not have happened by
    the last), so checking the first and the last day checks every day. Events count from
    their date on, as in :func:`portal.cards.rules.card_status`.
    """
    days = batch.exam_days or [batch.first_date, batch.last_date]
    first, last = min(days), max(days)
    return [
        Card.occupation_id == batch.occupation_id,
        Card.level.in_(rules.card_levels_for(batch.level)),
        Card.issued_on <= first,
        Card.valid_until >= last,
        Card.collected_on.is_not(None),
        Card.collected_on <= first,
        or_(Card.voided_on.is_(None), Card.voided_on > last),
        or_(Card.revoked_on.is_(None), Card.revoked_on > last),
        or_(Card.superseded_on.is_(None), Card.superseded_on > last),
    ]


def eligible_cards(batch: EvaluationBatch) -> Select:
    """Every card that lets its holder evaluate ``batch`` (no search, no limit)."""
    return select(Card).where(*eligible_conditions(batch)).order_by(Card.id)


def search_candidates(batch: EvaluationBatch, q: str = "",
                      limit: int = CANDIDATE_LIMIT) -> list[Card]:
    """Card holders who may evaluate ``batch`` and are not yet assigned to it, one card per
    person (a 高级考评员 card before a 考评员 one, then the longest valid), matching ``q`` in the
    name or the card number; people of the institution's city first. At most ``limit``.

    Examiners are drawn from the whole province, so this deliberately searches beyond the
    assigner's own people; the page shows only masked ID numbers.
    """
    assigned = select(Assignment.person_id).where(Assignment.batch_id == batch.id)
    ranked = (
        select(
            Card.id.label("card_id"),
            func.row_number().over(
                partition_by=Card.person_id,
                order_by=(case((Card.level == SENIOR_EXAMINER, 0), else_=1),
                          Card.valid_until.desc(), Card.id.desc()),
            ).label("rank"),
        )
        .where(*eligible_conditions(batch), Card.person_id.not_in(assigned))
        .subquery("ranked")
    )
    stmt = (
        select(Card)
        .join(ranked, and_(ranked.c.card_id == Card.id, ranked.c.rank == 1))
        .join(Person, Person.id == Card.person_id)
    )
    text = (q or "").strip()
    if text:
        like = f"%{text}%"
        stmt = stmt.where(or_(Person.name.ilike(like), Card.number.ilike(like)))
    home = batch.organisation.region_id
    stmt = (
        stmt.order_by(case((Person.region_id == home, 0), else_=1), Person.name, Card.id)
        .limit(limit)
        .options(selectinload(Card.person).selectinload(Person.region),
                 selectinload(Card.occupation))
    )
    return list(db.session.scalars(stmt))


# --- the facts behind the warnings -------------------------------------------------------------

def recent_batch_orgs(person_id: int, batch: EvaluationBatch,
                      n: int = rules.ROTATION_BATCHES) -> list[int]:
    """The institutions of the examiner's last ``n`` batches before ``batch`` (accepted
    assignments, newest exam date first)."""
    return list(db.session.scalars(
        select(EvaluationBatch.organisation_id)
        .join(Assignment, Assignment.batch_id == EvaluationBatch.id)
        .where(Assignment.person_id == person_id, Assignment.answer == "accepted",
               EvaluationBatch.id != batch.id, EvaluationBatch.first_date < batch.first_date)
        .order_by(EvaluationBatch.first_date.desc(), EvaluationBatch.id.desc())
        .limit(n)
    ))


def overlapping_batches(person_id: int, batch: EvaluationBatch) -> list[str]:
    """Other batches (any institution) sharing an exam date with ``batch`` to which the
    examiner is assigned and has not refused or recused: "编号（日期、日期）"."""
    rows = db.session.execute(
        select(EvaluationBatch.number, BatchDate.day)
        .join(BatchDate, BatchDate.batch_id == EvaluationBatch.id)
        .join(Assignment, Assignment.batch_id == EvaluationBatch.id)
        .where(Assignment.person_id == person_id, Assignment.answer.in_(BINDING_ANSWERS),
               EvaluationBatch.id != batch.id, BatchDate.day.in_(batch.exam_days))
        .order_by(EvaluationBatch.number, BatchDate.day)
    ).all()
    days: dict[str, list[date]] = {}
    for number, day in rows:
        days.setdefault(number, []).append(day)
    return [f"{number}（{'、'.join(cn_date(d) for d in ds)}）" for number, ds in days.items()]


def warnings_for(batch: EvaluationBatch, person: Person) -> list[rules.Warning]:
    """The warnings of assigning ``person`` to ``batch`` (:func:`rules.assignment_warnings`)."""
    return rules.assignment_warnings(
        works_at_institution=person.organisation_id == batch.organisation_id,
        last_three_batch_orgs=recent_batch_orgs(person.id, batch),
        batch_org=batch.organisation_id,
        overlapping_batches=overlapping_batches(person.id, batch),
    )


# --- one batch's page --------------------------------------------------------------------------

def assignments_of(batch: EvaluationBatch) -> list[Assignment]:
    return list(db.session.scalars(
        select(Assignment).where(Assignment.batch_id == batch.id)
        .order_by(Assignment.assigned_at, Assignment.id)
        .options(selectinload(Assignment.person), selectinload(Assignment.card))
    ))


def sheets_by_assignment(batch: EvaluationBatch) -> dict[int, EvaluationSheet]:
    sheets = db.session.scalars(
        select(EvaluationSheet).where(EvaluationSheet.batch_id == batch.id)
    )
    return {s.assignment_id: s for s in sheets}


def users_with_role(role: Role, *, organisation_id: int | None = None) -> list[User]:
    """Active users holding ``role`` (of one organisation when given), by display name."""
    stmt = select(User).where(
        User.active, User.id.in_(select(UserRole.user_id).where(UserRole.role == role))
    )
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    return list(db.session.scalars(stmt.order_by(User.display_name, User.id)))


# --- the examiner's own assignments -----------------------------------------------------------

def my_assignments(person_id: int) -> list[Assignment]:
    """An examiner's assignments, latest exam date first."""
    return list(db.session.scalars(
        select(Assignment).join(EvaluationBatch, EvaluationBatch.id == Assignment.batch_id)
        .where(Assignment.person_id == person_id)
        .order_by(EvaluationBatch.first_date.desc(), Assignment.id.desc())
        .options(selectinload(Assignment.batch).selectinload(EvaluationBatch.organisation),
                 selectinload(Assignment.batch).selectinload(EvaluationBatch.occupation),
                 selectinload(Assignment.card))
    ))
