"""The initial reviewer's decisions on the term report (notice §三(四)3 "任期内工作情况核实";
DESIGN.md "Explainable verdicts"): each finding is confirmed, or overridden with a reason.
The caller commits."""

from __future__ import annotations

from portal.audit.operations import record
from portal.extensions import db
from portal.renewals.models import RenewalApplication, RenewalFinding
from portal.renewals.queries import term_report
from portal.renewals.rules import Finding, IllegalRenewalMove, RenewalStage
from portal.timeutil import utcnow

DECISIONS = {"confirmed": "确认存在", "overridden": "不予认定"}


def _ids(finding: Finding) -> list:
    return sorted(finding.record_ids)


def decision_for(application: RenewalApplication, finding: Finding) -> RenewalFinding | None:
    """The reviewer's decision on ``finding``, if one was taken on the same records; a
    decision taken when other records were behind the rule does not count any more."""
    for row in application.findings:
        if row.rule == finding.rule and sorted(row.record_ids) == _ids(finding):
            return row
    return None


def undecided_or_confirmed(application: RenewalApplication) -> tuple[list[int], list[int]]:
    """The rules of the live term report with no (current) decision, and those confirmed."""
    undecided, confirmed = [], []
    for finding in term_report(application).findings:
        row = decision_for(application, finding)
        if row is None:
            undecided.append(finding.rule)
        elif row.decision == "confirmed":
            confirmed.append(finding.rule)
    return undecided, confirmed


def decide_finding(application: RenewalApplication, rule: int, decision: str, reason: str, *,
                   actor_id: int) -> RenewalFinding:
    """Record the reviewer's ``decision`` ('confirmed' or 'overridden') on the live finding of
    ``rule``; an override needs a reason. Replaces an earlier decision on that rule. Audited
    as ``renewal.finding``. Raises :class:`IllegalRenewalMove` with a Chinese message."""
    if application.stage != RenewalStage.INITIAL_REVIEW.value:
        raise IllegalRenewalMove("只有待初审的申请可以核实任期内工作情况。")
    if decision not in DECISIONS:
        raise IllegalRenewalMove("请选择“确认存在”或“不予认定”。")
    reason = (reason or "").strip()
    if decision == "overridden" and not reason:
        raise IllegalRenewalMove("不予认定须填写理由。")
    if len(reason) > 300:
        raise IllegalRenewalMove("理由不超过300字。")
    finding = next((f for f in term_report(application).findings if f.rule == rule), None)
    if finding is None:
        raise IllegalRenewalMove(f"任期核实报告中没有第{rule}项情形。")
    row = next((r for r in application.findings if r.rule == rule), None)
    before = None if row is None else {"decision": row.decision, "reason": row.reason,
                                       "record_ids": row.record_ids}
    if row is None:
        row = RenewalFinding(rule=rule)
        application.findings.append(row)
    row.record_ids = _ids(finding)
    row.detail = finding.detail
    row.decision = decision
    row.reason = reason
    row.decided_by_id = actor_id
    row.decided_at = utcnow()
    db.session.flush()
    record("renewal.finding", application, actor_id=actor_id, before=before or {},
           after={"rule": rule, "decision": decision, "reason": reason,
                  "record_ids": row.record_ids})
    return row
