"""In a real browser: log in as two roles and see the right navigation; htmx requests carry
the CSRF token from <body hx-headers> and swap their partials; logout works."""

import pytest
from browser_helpers import log_in
from factories import create_org, create_user
from sqlalchemy import select

from portal.catalogue.models import Occupation
from portal.extensions import db

pytestmark = pytest.mark.browser


def nav(page) -> list[str]:
    return page.locator("nav.mainnav a").all_inner_texts()


def test_admin_and_city_officer_see_their_own_navigation(page, live_server):
    create_user("admin1", ["admin"], display_name="管理员甲")
    create_user("cd1", ["city"], city="成都市", display_name="成都经办")

    log_in(page, live_server, "admin1")
    assert page.locator("h1").inner_text() == "您好，管理员甲"
    assert nav(page) == ["首页", "机构", "用户管理", "职业目录", "工作日历", "审计日志"]
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{live_server}/login")
    assert "您已安全退出" in page.content()

    log_in(page, live_server, "cd1")
    assert page.locator("h1").inner_text() == "您好，成都经办"
    assert nav(page) == ["首页", "机构", "考评批次", "培训计划", "申报审核", "换证审核",
                         "换证汇总表", "考评员名册", "违规记录", "证卡工作台"]
    assert "成都市考评员证卡" in page.content()


def test_htmx_posts_carry_the_csrf_header_and_swap_the_row(page, live_server):
    create_user("admin1", ["admin"])
    occ_id = db.session.scalars(select(Occupation.id).where(Occupation.name == "焊工")).one()
    log_in(page, live_server, "admin1")
    page.goto(f"{live_server}/admin/occupations/")
    row = page.locator(f"#occupation-{occ_id}")
    assert "启用" in row.inner_text()
    row.get_by_role("button", name="停用").click()
    page.locator(f"#occupation-{occ_id}").get_by_role("button", name="启用").wait_for()
    assert "已停用" in page.locator(f"#occupation-{occ_id}").inner_text()
    db.session.rollback()  # end the test's read snapshot to see what the server committed
    assert not db.session.get(Occupation, occ_id).active


def test_active_search_updates_the_user_list_and_the_url(page, live_server):
    create_user("admin1", ["admin"])
    create_user("mianyang_b", ["city"], city="绵阳市", display_name="绵阳乙")
    create_user("chengdu_a", ["unit"], org=create_org(), display_name="成都甲")
    log_in(page, live_server, "admin1")
    page.goto(f"{live_server}/admin/users")
    assert page.locator("#users-table").get_by_text("chengdu_a").count() == 1
    page.get_by_placeholder("用户名或姓名").fill("绵阳")
    page.wait_for_url("**/admin/users?q=*")
    page.locator("#users-table").get_by_text("chengdu_a").wait_for(state="detached")
    assert page.locator("#users-table").get_by_text("mianyang_b").count() == 1


def test_a_stale_page_shows_the_reload_message_instead_of_losing_the_click(page, live_server):
    create_user("admin1", ["admin"])
    occ_id = db.session.scalars(select(Occupation.id).where(Occupation.name == "车工")).one()
    log_in(page, live_server, "admin1")
    page.goto(f"{live_server}/admin/occupations/")
    # Simulate a token that no longer matches (e.g. the session was renewed in another tab).
    page.evaluate("""() => {
        document.body.setAttribute('hx-headers', '{"X-CSRFToken": "stale"}');
        document.querySelectorAll('input[name=csrf_token]').forEach(i => { i.value = 'stale'; });
    }""")
    page.locator(f"#occupation-{occ_id}").get_by_role("button", name="停用").click()
    alert = page.locator("#htmx-alert")
    alert.get_by_text("页面已过期").wait_for()
    assert "刷新页面" in alert.inner_text()
    assert "启用" in page.locator(f"#occupation-{occ_id}").inner_text()  # row untouched
    db.session.rollback()  # end the test's read snapshot to see what the server committed
    assert db.session.get(Occupation, occ_id).active
