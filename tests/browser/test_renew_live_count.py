"""In a real browser: the holder opens 复核换证, applies on an expired card, and the count
under the work summary follows the typing without a reload (counted by the server: spaces
and full-width spaces do not count); saving keeps the count, and an upload refreshes what a
submission still lacks."""

import io
from datetime import date, timedelta

import pytest
from browser_helpers import log_in
from factories import create_card, create_org, create_person, create_user
from PIL import Image

from portal.extensions import db
from portal.renewals.models import RenewalPlan
from portal.timeutil import local_today, utcnow

pytestmark = pytest.mark.browser


def count(page) -> str:
    return page.locator("#summary-count").inner_text()


def test_the_summary_count_follows_the_typing(page, live_server, tmp_path):
    today = local_today()
    db.session.add(RenewalPlan(year=today.year, title=f"{today.year}年考评员资格复核换证",
                               opens_on=today - timedelta(days=5),
                               closes_on=today + timedelta(days=20),
                               expiry_cutoff=today + timedelta(days=20), published_at=utcnow()))
    db.session.commit()
    unit = create_org("成都测试评价中心", "成都市")
    person = create_person("吴持证", org=unit, seq=79, mobile="13900001111")
    create_card(person, issued_on=date(today.year - 3, 1, 10), number="川考评-2023-000079")
    create_user("wu", ["applicant"], person=person, display_name="吴持证")

    log_in(page, live_server, "wu")
    page.locator("nav.mainnav").get_by_role("link", name="复核换证").click()
    page.wait_for_url("**/renew/")
    assert "可申请复核换证" in page.locator("#my-cards").inner_text()
    page.get_by_role("button", name="申请复核换证").click()
    page.wait_for_url("**/renew/*")
    assert "已写 0 字 / 至少 1000 字" in count(page)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    summary = page.get_by_label("考评工作总结或心得体会")
    summary.click()
    summary.press_sequentially("考评 工作　总结12")
    page.locator("#summary-count").get_by_text("已写 8 字").wait_for()
    assert "还差 992 字" in count(page)
    # Chinese typed through an IME ends with a key (space, Enter) that commits it; Playwright
    # inserts CJK text without key events, so a trailing space stands for that key (and is
    # not counted)
    summary.press_sequentially("，认真负责。 ")
    page.locator("#summary-count").get_by_text("已写 14 字").wait_for()
    assert page.evaluate("window.__sameDocument") is True

    # a text pasted with the mouse (no key pressed) is counted too
    summary.fill("任期内参加考评工作，" * 100)
    summary.dispatch_event("paste")
    page.locator("#summary-count").get_by_text("已写 1000 字").wait_for()
    assert "✓" in count(page)

    page.get_by_label("职业资格等级或技术职称").fill("电工 二级/技师")
    page.get_by_label("本人身体健康，能够胜任考评工作").check()
    page.get_by_label("本人具有良好职业道德，无考评事故经历").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "复核换证申请已保存" in page.content()
    assert "已写 1000 字" in count(page)
    problems = page.locator("#submission-problems")
    assert "考评工作总结" not in problems.inner_text()
    assert "请上传身份证" in problems.inner_text()

    # an htmx upload swaps its row and the check above refreshes
    scan = tmp_path / "身份证.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 200, 200)).save(buffer, "PNG")
    scan.write_bytes(buffer.getvalue())
    page.evaluate("window.__sameDocument = true")
    row = page.locator("#upload-id_copy")
    row.locator("input[type=file]").set_input_files(str(scan))
    row.get_by_role("button", name="上传").click()
    row = page.locator("#upload-id_copy")
    row.get_by_role("link", name="身份证.png").wait_for()
    problems.get_by_text("请上传身份证", exact=True).wait_for(state="detached")
    assert "请上传个人照片" in problems.inner_text()
    assert page.evaluate("window.__sameDocument") is True
