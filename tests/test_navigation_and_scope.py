"""Each role sees its own navigation; records out of scope answer 404, forbidden actions 403."""

import re

import pytest
from factories import create_org, create_user, region

NAV = {
    "admin": ["首页", "机构", "用户管理", "职业目录", "工作日历", "审计日志"],
    "province": ["首页", "机构", "考评批次", "培训计划", "申报审核", "换证审核", "复核换证计划",
                 "换证汇总表", "考评员名册", "违规记录", "证卡工作台", "历史证卡导入"],
    "city": ["首页", "机构", "考评批次", "培训计划", "申报审核", "换证审核", "换证汇总表",
             "考评员名册", "违规记录", "证卡工作台"],
    "unit": ["首页", "机构", "考评批次", "培训计划", "申报审核", "换证审核", "换证汇总表",
             "考评员名册", "违规记录"],
    "site_lead": ["首页", "机构", "考评批次"],
    "supervisor": ["首页", "考评批次"],
    "applicant": ["首页", "我的资料", "我的申报", "复核换证", "我的考评任务", "培训计划"],
}


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    return re.findall(r">([^<>]+)</a>", nav)


@pytest.mark.parametrize("role", NAV)
def test_each_role_sees_only_its_navigation(client, login_as, role):
    login_as(role)
    html = client.get("/").get_data(as_text=True)
    assert nav_labels(html) == NAV[role]


def test_a_user_with_two_roles_sees_both(client, login_as):
    login_as("unit", "site_lead")
    html = client.get("/").get_data(as_text=True)
    assert nav_labels(html) == NAV["unit"]
    assert "申报单位/评价机构经办人、评价机构考场负责人" in html


@pytest.mark.parametrize(
    "path", ["/admin/users", "/admin/users/new", "/admin/occupations/", "/admin/audit/",
             "/orgs/new", "/admin/calendar/"],
)
@pytest.mark.parametrize("role", ["province", "city", "unit", "supervisor", "applicant"])
def test_admin_pages_are_forbidden_to_other_roles(client, login_as, role, path):
    login_as(role)
    response = client.get(path)
    assert response.status_code == 403
    assert "无权操作" in response.get_data(as_text=True)


def test_anonymous_users_are_sent_to_login(client):
    for path in ["/", "/orgs/", "/admin/users", "/me"]:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_chengdu_officer_cannot_see_mianyang_organisation_or_user(client, login_as):
    mianyang_org = create_org("绵阳测试评价中心", "绵阳市")
    mianyang_officer = create_user("mianyang", ["city"], city="绵阳市")
    mianyang_clerk = create_user("mianyang_clerk", ["unit"], org=mianyang_org)
    chengdu_org = create_org("成都另一评价中心", "成都市")
    chengdu_clerk = create_user("chengdu_clerk", ["unit"], org=chengdu_org)
    login_as("city")  # 成都市

    assert client.get(f"/orgs/{mianyang_org.id}").status_code == 404
    assert client.get(f"/users/{mianyang_officer.id}").status_code == 404
    assert client.get(f"/users/{mianyang_clerk.id}").status_code == 404
    # A record that does not exist looks exactly the same.
    assert client.get("/orgs/99999").status_code == 404
    # Their own city's records are visible, but editing them is the admin's job: 403.
    assert client.get(f"/orgs/{chengdu_org.id}").status_code == 200
    assert client.get(f"/users/{chengdu_clerk.id}").status_code == 200
    assert client.get(f"/orgs/{chengdu_org.id}/edit").status_code == 403
    assert client.get(f"/admin/users/{chengdu_clerk.id}/edit").status_code == 403
    # Out of scope stays 404 even on the admin URLs.
    assert client.get(f"/orgs/{mianyang_org.id}/edit").status_code == 404
    assert client.get(f"/admin/users/{mianyang_clerk.id}/edit").status_code == 404

    listing = client.get("/orgs/").get_data(as_text=True)
    assert "成都另一评价中心" in listing and "绵阳测试评价中心" not in listing


def test_unit_sees_only_its_own_organisation(client, login_as):
    other = create_org("成都别家评价中心", "成都市")
    user = login_as("unit")
    assert client.get(f"/orgs/{user.organisation_id}").status_code == 200
    assert client.get(f"/orgs/{other.id}").status_code == 404
    listing = client.get("/orgs/").get_data(as_text=True)
    assert "成都别家评价中心" not in listing and "成都测试评价中心" in listing


def test_province_sees_every_city(client, login_as):
    create_org("绵阳测试评价中心", "绵阳市")
    create_org("凉山测试鉴定所", "凉山彝族自治州", org_type="station")
    login_as("province")
    listing = client.get("/orgs/").get_data(as_text=True)
    assert "绵阳测试评价中心" in listing and "凉山测试鉴定所" in listing
    filtered = client.get(f"/orgs/?region={region('凉山彝族自治州').id}").get_data(as_text=True)
    assert "凉山测试鉴定所" in filtered and "绵阳测试评价中心" not in filtered
