"""In a real browser: the applicant fills the application form and the eligibility verdict
follows every change without a reload (高级考评员 shows the card and first-sheet checks),
choosing 四川省 swaps the units to the provincial-direct institutions, and an upload swaps
its row and refreshes what a submission still lacks."""

import io
from datetime import timedelta

import pytest
from application_factories import create_plan
from browser_helpers import log_in
from factories import create_card, create_org, create_person, create_user
from PIL import Image

from portal.timeutil import local_today

pytestmark = pytest.mark.browser


def verdict(page) -> str:
    return page.locator("#eligibility .verdict").inner_text()


def test_eligibility_updates_live_as_the_applicant_changes_the_level(page, live_server,
                                                                      tmp_path):
    today = local_today()
    create_plan(today.year, opens_on=today - timedelta(days=5),
                closes_on=today + timedelta(days=25))
    create_org("成都测试推荐单位", "成都市")
    create_org("四川省直测试评价机构", "四川省", provincial_direct=True)
    person = create_person("周申报", seq=77)
    create_card(person, issued_on=today - timedelta(days=200), number="川考评-2026-000077")
    create_user("zhou", ["applicant"], person=person, display_name="周申报")

    log_in(page, live_server, "zhou")
    page.locator("nav.mainnav").get_by_role("link", name="我的申报").click()
    page.get_by_role("link", name="申报", exact=True).click()
    page.wait_for_url("**/apply/plans/*/new")
    assert "选择申报级别后" in page.locator("#eligibility").inner_text()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    page.get_by_label("申报考评职业（工种）").select_option(label="电工（6-31-01-03）")
    page.get_by_label("申报级别").select_option("考评员")
    # each change sends a request; wait for the answer to the last one, not the first
    page.locator("#eligibility").get_by_text("暂不符合“考评员”申报条件", exact=True).wait_for()
    assert verdict(page) == "暂不符合“考评员”申报条件"
    page.get_by_label("本职业（工种）国家职业资格等级").select_option(label="三级/高级工")
    page.locator("#eligibility").get_by_text("符合“考评员”申报条件", exact=True).wait_for()

    page.get_by_label("申报级别").select_option("高级考评员")
    page.locator("#eligibility").get_by_text("暂不符合“高级考评员”申报条件").wait_for()
    panel = page.locator("#eligibility").inner_text()
    assert "持有有效的考评员证卡" in panel and "川考评-2026-000077" in panel
    assert "尚无已完成的考评工作记录" in panel and "暂无已完成的评价记录表" in panel
    assert "不具有一级/高级技师国家职业资格" in panel
    page.get_by_label("专业技术职称等级").select_option(label="副高级")
    page.locator("#eligibility").get_by_text("具有高级（副高级或正高级）专业技术职称").wait_for()
    assert page.evaluate("window.__sameDocument") is True

    # 四川省: the unit list becomes the provincial-direct institutions
    page.get_by_label("申报所属地").select_option(label="四川省（省直申报）")
    page.locator("#unit_id").get_by_text("四川省直测试评价机构").wait_for(state="attached")
    assert "成都测试推荐单位" not in page.locator("#unit_id").inner_text()
    page.get_by_label("申报所属地").select_option(label="成都市")
    page.locator("#unit_id").get_by_text("成都测试推荐单位").wait_for(state="attached")
    assert page.evaluate("window.__sameDocument") is True

    # save (the senior application is not eligible yet, but a draft may be kept)
    page.get_by_label("推荐单位（申报单位）").select_option(label="成都测试推荐单位")
    page.get_by_label("证书名称及编号").fill("高级工程师 职称证书 川职改 2020-001")
    page.get_by_label("工作总结").fill("从事电工职业技能培训与考核工作十年。")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/apply/*/edit")
    assert "申报信息已保存" in page.content()
    problems = page.locator("#submission-problems")
    assert "请上传身份证复印件" in problems.inner_text()

    # an htmx upload swaps its row and the check above refreshes
    scan = tmp_path / "身份证.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 200, 200)).save(buffer, "PNG")
    scan.write_bytes(buffer.getvalue())
    page.evaluate("window.__sameDocument = true")
    row = page.locator("#upload-id_copy")
    row.locator("input[type=file]").set_input_files(str(scan))
    row.get_by_role("button", name="上传").click()
    page.locator("#upload-id_copy").get_by_role("link", name="身份证.png").wait_for()
    # the check refreshes with a second request after the upload's: wait for it to land
    problems.get_by_text("请上传身份证复印件").wait_for(state="detached")
    assert "请上传职业资格证书或职称证书复印件" in problems.inner_text()
    assert page.evaluate("window.__sameDocument") is True
