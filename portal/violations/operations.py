"""Recording and deciding violations. Each function checks the move, sets the fields, flushes
and writes the audit event; the caller commits (one transaction per user action) or rolls
back on :class:`ViolationError`."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import FileStorage

from portal.audit.operations import record
from portal.batches.models import EvaluationBatch
from portal.extensions import db
from portal.people.models import Person
from portal.renewals.models import Violation
from portal.timeutil import utcnow
from portal.uploads.service import UploadRejected, store
from portal.violations import queries, rules
from portal.violations.rules import Decision, RecorderCapacity

AUDIT_FIELDS = ("status", "decision_reason", "decided_by_id", "decided_at")


class ViolationError(ValueError):
    """A refused move; ``errors`` maps form fields to Chinese messages (``""`` for the form
    as a whole)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def recording_problems(user, *, person: Person | None, kind: str, occurred_on: date | None,
                       batch: EvaluationBatch | None, today: date) -> dict[str, str]:
    """Why ``user`` may not record this, field by field (empty when they may): the examiner
    must be one they may record against; the kind one their capacity allows (a batch's rater:
    an incident or a concealed incident, for a batch they rate); the date not in the future;
    the batch one they may attach records to, with the examiner assigned to it."""
    problems: dict[str, str] = {}
    capacity = rules.recorder_capacity(user)
    if capacity is None:
        return {"": "您没有登记违规记录的权限"}
    if person is None or not queries.may_record_against(user, person.id):
        problems["person_id"] = "请从搜索结果中选择考评员（须为您可查看的持证考评员）"
    if occurred_on is not None and (problem := rules.occurred_on_problem(occurred_on, today)):
        problems["occurred_on"] = problem
    allowed = capacity.kinds()
    if batch is None:
        if capacity is RecorderCapacity.RATER:
            problems["batch_id"] = "考场负责人和质量督导员须选择所报告的考评批次"
    else:
        batch_capacity = rules.batch_capacity(user, batch)
        if batch_capacity is None:
            problems["batch_id"] = ("只能选择本单位的考评批次" if user.has_role("unit")
                                    else "只能选择您负责或所辖的考评批次")
        else:
            allowed = batch_capacity.kinds()
            if person is not None and not queries.was_assigned(person.id, batch.id):
                problems["batch_id"] = "该考评员未被指派到此考评批次"
    if kind not in allowed:
        names = "、".join(rules.kind_info(k).label for k in allowed)
        problems["kind"] = f"您只能登记：{names}"
    return problems


def record_violation(user, *, person: Person | None, kind: str, occurred_on: date,
                     batch: EvaluationBatch | None, description: str,
                     evidence: FileStorage | None, today: date) -> Violation:
    """Record a violation (status ``reported``) for ``user``'s organisation or region, with
    the evidence stored through :func:`portal.uploads.service.store` (checked by content);
    audit ``violation.create``. Raises :class:`ViolationError` and writes nothing when
    :func:`recording_problems` finds any or the file is refused."""
    if problems := recording_problems(user, person=person, kind=kind, occurred_on=occurred_on,
                                      batch=batch, today=today):
        raise ViolationError(problems)
    description = (description or "").strip()
    if not description:
        raise ViolationError({"description": "请填写情况说明"})
    evidence_upload = None
    if evidence is not None and evidence.filename:
        try:
            evidence_upload = store(evidence, actor_id=user.id)
        except UploadRejected as exc:
            raise ViolationError({"evidence": str(exc)}) from exc
    org_id, region_id = _reporter(user, batch)
    violation = Violation(
        person_id=person.id, kind=kind, occurred_on=occurred_on,
        batch_id=batch.id if batch else None, description=description,
        evidence_id=evidence_upload.id if evidence_upload else None,
        reported_by_id=user.id, reporter_org_id=org_id, reporter_region_id=region_id,
        status="reported")
    db.session.add(violation)
    record("violation.create", violation, after={
        "person_id": person.id, "kind": kind, "occurred_on": occurred_on,
        "batch_id": violation.batch_id, "description": description,
        "evidence_id": violation.evidence_id, "reporter_org_id": org_id,
        "reporter_region_id": region_id, "status": "reported"})
    return violation


def _reporter(user, batch: EvaluationBatch | None) -> tuple[int | None, int | None]:
    """(reporter_org_id, reporter_region_id) of a new record: the province's region (四川省)
    for the province; the city for a city centre; the organisation for a unit clerk; for a
    batch's rater, their organisation (a site lead's institution) or region if they have
    one."""
    if user.has_role("province"):
        region = queries.province_region()
        return None, region.id if region else None
    if user.has_role("city") and user.region_id:
        return None, user.region_id
    if user.has_role("unit") and user.organisation_id:
        return user.organisation_id, None
    return user.organisation_id, (None if user.organisation_id else user.region_id)


def decide(violation: Violation, decision: Decision, reason: str, *, user) -> None:
    """Confirm or dismiss ``violation`` with ``reason`` (audit ``violation.confirm`` /
    ``violation.dismiss`` with the earlier decision as ``before``). Only the city centre of
    the examiner's city or the province decides, and only a reported record — except a
    province correction of a decided one (:func:`portal.violations.rules.may_decide`)."""
    reason = (reason or "").strip()
    if not reason:
        raise ViolationError({"reason": "请填写理由"})
    if len(reason) > rules.REASON_MAX:
        raise ViolationError({"reason": f"理由不能超过 {rules.REASON_MAX} 个字符"})
    capacity = rules.decider(user, violation.person.region_id)
    if not rules.may_decide(capacity, violation.status):
        if capacity is None:
            raise ViolationError({"": "只有考评员所在市（州）职鉴中心或省职鉴中心可以认定"})
        raise ViolationError({"": f"此记录已“{violation.status_label}”，不能再认定"
                                  "（如需更正，请联系省职鉴中心）"})
    correction = violation.status != "reported"
    before = {f: getattr(violation, f) for f in AUDIT_FIELDS}
    violation.status = decision.status
    violation.decision_reason = reason
    violation.decided_by_id = user.id
    violation.decided_at = utcnow()
    after = {f: getattr(violation, f) for f in AUDIT_FIELDS}
    after["capacity"] = capacity
    if correction:
        after["correction"] = True
    record(decision.audit_action, violation, before=before, after=after)
