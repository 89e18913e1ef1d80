"""Role checks for views: the one decorator, and the navigation each role sees."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from portal.auth.roles import Role


def roles_required(*roles: str):
    """Logged in, and holding at least one of ``roles``; otherwise 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# (endpoint, label, roles allowed). Order is the order shown. Only real pages belong here.
NAV_ITEMS: list[tuple[str, str, frozenset[str]]] = [
    ("home.index", "首页", frozenset(Role)),
    ("people.me", "我的资料", frozenset({Role.APPLICANT})),
    ("apply.index", "我的申报", frozenset({Role.APPLICANT})),
    ("renew.index", "复核换证", frozenset({Role.APPLICANT})),
    ("batches.my_assignments", "我的考评任务", frozenset({Role.APPLICANT})),
    ("orgs.index", "机构", frozenset({Role.ADMIN, Role.PROVINCE, Role.CITY, Role.UNIT,
                                      Role.SITE_LEAD})),
    ("batches.index", "考评批次", frozenset({Role.UNIT, Role.SITE_LEAD, Role.SUPERVISOR,
                                            Role.CITY, Role.PROVINCE})),
    ("training.plans", "培训计划", frozenset({Role.PROVINCE, Role.CITY, Role.UNIT,
                                              Role.APPLICANT})),
    ("applications.queue", "申报审核", frozenset({Role.UNIT, Role.CITY, Role.PROVINCE})),
    ("renewals.queue", "换证审核", frozenset({Role.UNIT, Role.CITY, Role.PROVINCE})),
    ("renewal_plans.index", "复核换证计划", frozenset({Role.PROVINCE})),
    # A unit makes renewal tables only as a provincial-direct institution; the page says so.
    ("renewal_tables.index", "换证汇总表", frozenset({Role.CITY, Role.UNIT, Role.PROVINCE})),
    ("registry.index", "考评员名册", frozenset({Role.UNIT, Role.CITY, Role.PROVINCE})),
    ("violations.index", "违规记录", frozenset({Role.UNIT, Role.CITY, Role.PROVINCE})),
    ("cards.index", "证卡工作台", frozenset({Role.CITY, Role.PROVINCE})),
    ("card_import.page", "历史证卡导入", frozenset({Role.PROVINCE})),
    ("users.admin_index", "用户管理", frozenset({Role.ADMIN})),
    ("catalogue.occupations", "职业目录", frozenset({Role.ADMIN})),
    ("calendar.index", "工作日历", frozenset({Role.ADMIN})),
    ("audit.index", "审计日志", frozenset({Role.ADMIN})),
]


def nav_for(user) -> list[tuple[str, str]]:
    """The navigation entries ``user`` may use, as (endpoint, label)."""
    roles = user.roles
    return [(endpoint, label) for endpoint, label, allowed in NAV_ITEMS if roles & allowed]
