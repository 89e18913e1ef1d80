"""The one audit function. Call it inside the transaction that makes the change, so the
event and the change commit (or roll back) together."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from portal.audit.models import AuditEvent
from portal.extensions import db


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """A JSON-ready dict of the named attributes of ``obj`` (for before/after)."""
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def record(
    action: str,
    entity: Any,
    *,
    before: dict | None = None,
    after: dict | None = None,
    actor_id: int | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
) -> AuditEvent:
    """Add an audit event for ``entity`` to the current session and flush it.

    ``action`` is a dotted code such as ``user.create`` (labels in :data:`ACTION_LABELS`).
    The actor defaults to the logged-in user and the address to the request's remote address.
    Only fields that changed are kept when both ``before`` and ``after`` are given.
    """
    if entity is not None:
        db.session.flush()  # make sure a new entity has its id
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: v for k, v in before.items() if k in changed}
        after = {k: v for k, v in after.items() if k in changed}
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        entity_type=entity_type or type(entity).__tablename__,
        entity_id=str(entity_id if entity_id is not None else entity.id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    db.session.flush()
    return event


ACTION_LABELS = {
    "auth.login": "登录",
    "auth.logout": "退出登录",
    "auth.lockout": "登录锁定",
    "auth.password_change": "修改密码",
    "user.create": "创建用户",
    "user.update": "修改用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "user.password_reset": "重置密码",
    "organisation.create": "创建机构",
    "organisation.update": "修改机构",
    "occupation.create": "新增职业",
    "occupation.update": "修改职业",
    "upload.create": "上传文件",
    "person.photo": "更新照片",
    "person.create": "新建人员资料",
    "person.update": "修改人员资料",
    "registry.export": "导出考评员名册",
    "demo.seed": "生成演示数据",
    "calendar.set": "设置工作日历",
    "calendar.remove": "删除工作日历设置",
    "calendar.confirm_year": "确认全年工作日历",
    "card.deadline_recompute": "重算领取截止日期",
    "card.issue": "发放证卡",
    "card.import": "导入历史证卡",
    "card.collect": "登记领取证卡",
    "card.void": "证卡作废（逾期未领取）",
    "card.revoke": "注销证卡",
    "person_ban.create": "禁止申报（连续两次未领取证卡）",
    "person_ban.lift": "解除禁止申报",
    "sheet.create": "生成评价表",
    "sheet.level": "评分",
    "sheet.submit": "提交评分",
    "sheet.finalise": "评价表完成并封存",
    "sheet.scan": "上传签字扫描件",
    "sheet.reopen": "重新打开评分列",
    "sheet.import": "批量导入评分",
    "sheet.rater_change": "更换评价表评分人",
    "batch.create": "创建考评批次",
    "batch.raters": "更换考评批次评价人员",
    "assignment.create": "指派考评员",
    "assignment.accept": "考评员接受指派",
    "assignment.refuse": "考评员拒绝指派",
    "assignment.judge": "认定拒绝理由",
    "assignment.recuse": "考评员申请回避",
    "training_plan.create": "新建培训计划",
    "training_plan.quota": "调整单位培训名额",
    "training_plan.publish": "发布培训计划",
    "application.save": "保存申报信息",
    "application.upload": "上传申报材料",
    "application.submit": "提交申报",
    "application.withdraw": "撤回申报",
    "application.recommend": "申报单位推荐",
    "application.decline": "申报单位不予推荐",
    "application.return": "退回修改",
    "application.approve": "审核通过",
    "application.reject": "初审不通过",
    "application.send_to_province": "随汇总表报送省职鉴中心",
    "application.attend": "记录参加培训",
    "application.absent": "记录未参加培训",
    "application.pass": "考核合格",
    "application.fail": "考核不合格",
    "application.session_assign": "安排培训场次",
    "application.session_remove": "移出培训场次",
    "application.absence": "记录缺席原因",
    "application.result": "录入考核成绩",
    "training_session.create": "新建培训场次",
    "training_session.update": "修改培训场次",
    "training_session.delete": "删除培训场次",
    "training_session.request": "申请专场培训",
    "training_session.schedule": "安排专场培训",
    "training_session.decline": "拒绝专场培训申请",
    "training_session.assessment_date": "设定考核日期",
    "training_session.results_import": "导入考核成绩",
    "summary_table.create": "生成汇总表",
    "summary_table.scan": "上传汇总表盖章扫描件",
    "summary_table.send": "报送汇总表",
    "summary_table.release": "申报移出汇总表",
    "summary_table.delete": "删除汇总表",
    "card.supersede": "复核换证，原证卡由新证卡替代",
    "renewal_plan.create": "新建复核换证计划",
    "renewal_plan.update": "修改复核换证计划",
    "renewal_plan.publish": "发布复核换证计划",
    "renewal_plan.close": "复核换证结束，注销未参加或未完成复核人员证卡",
    "renewal.save": "保存复核换证申请",
    "renewal.upload": "上传复核换证材料",
    "renewal.submit": "提交复核换证申请",
    "renewal.withdraw": "撤回复核换证申请",
    "renewal.agree": "申报单位同意复核换证",
    "renewal.disagree": "申报单位不同意复核换证",
    "renewal.return": "复核换证退回修改",
    "renewal.approve": "复核换证审核通过",
    "renewal.reject": "复核换证审核不通过",
    "renewal.send_to_province": "复核换证随汇总表报送省职鉴中心",
    "renewal.finding": "核实任期内工作情况",
    "renewal_summary_table.create": "生成复核换证汇总表",
    "renewal_summary_table.send": "报送复核换证汇总表",
    "renewal_summary_table.scan": "上传复核换证汇总表盖章扫描件",
    "renewal_summary_table.delete": "删除复核换证汇总表",
    "renewal_summary_table.release": "退回的复核换证申请移出汇总表",
    "violation.create": "登记违规记录",
    "violation.confirm": "确认违规记录",
    "violation.dismiss": "违规记录不予认定",
}

ENTITY_LABELS = {
    "user_account": "用户",
    "organisation": "机构",
    "occupation": "职业",
    "upload": "文件",
    "person": "人员",
    "registry": "考评员名册",
    "card": "证卡",
    "application": "资格申报",
    "summary_table": "汇总表",
    "training_plan": "培训计划",
    "training_session": "培训场次",
    "card_import": "证卡导入文件",
    "person_ban": "禁止申报",
    "system": "系统",
    "calendar_day": "工作日历",
    "calendar_year": "工作日历年度",
    "evaluation_sheet": "评价表",
    "evaluation_batch": "考评批次",
    "assignment": "考评指派",
    "renewal_plan": "复核换证计划",
    "renewal_application": "复核换证申请",
    "renewal_summary_table": "复核换证汇总表",
    "violation": "违规记录",
}
