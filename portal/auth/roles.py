"""The roles of DESIGN.md "Who uses it", with their Chinese names and scope needs."""

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    UNIT = "unit"
    SITE_LEAD = "site_lead"
    SUPERVISOR = "supervisor"
    CITY = "city"
    PROVINCE = "province"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.APPLICANT: "申报人/考评员",
    Role.UNIT: "申报单位/评价机构经办人",
    Role.SITE_LEAD: "评价机构考场负责人",
    Role.SUPERVISOR: "质量督导员",
    Role.CITY: "市（州）职鉴中心",
    Role.PROVINCE: "省职鉴中心",
    Role.ADMIN: "系统管理员",
}

# Roles whose scope is one organisation: the user must be attached to it.
ORG_SCOPED = frozenset({Role.UNIT, Role.SITE_LEAD})
# Roles whose scope is one city/prefecture.
CITY_SCOPED = frozenset({Role.CITY})


def scope_problems(roles: set[str], region_is_city: bool | None, has_org: bool) -> dict[str, str]:
    """Check that a role set has the scope it needs; return field → Chinese message.

    ``region_is_city`` is None when no region is chosen, False when it is the province row.
    A city officer needs a city (not 四川省); a unit clerk or site lead needs an organisation.
    """
    problems: dict[str, str] = {}
    if not roles:
        problems["roles"] = "请至少选择一个角色"
    if roles & CITY_SCOPED:
        if region_is_city is None:
            problems["region"] = "市（州）职鉴中心用户必须指定所属市（州）"
        elif region_is_city is False:
            problems["region"] = "市（州）职鉴中心用户的所属地区必须是一个市（州），不能是四川省"
    if roles & ORG_SCOPED and not has_org:
        problems["organisation"] = "申报单位经办人和考场负责人必须指定所属机构"
    return problems
