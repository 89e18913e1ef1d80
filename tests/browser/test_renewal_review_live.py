"""In a real browser: the city centre opens 换证审核, the application with its term report, and
decides a finding — the finding and the count above the findings change without a reload; the
province's 不通过 asks first (a dismissed dialog sends nothing).

With ``SCREENSHOTS=/some/dir`` the pages are also saved there at 1280×800 and 1024×768."""

import os
from pathlib import Path

import pytest
from browser_helpers import log_in
from factories import create_user
from test_renewal_review import add_refusals, add_sheets, add_violation, create_renewal

from portal.extensions import db
from portal.renewals.models import RenewalApplication
from portal.renewals.rules import RenewalStage

pytestmark = pytest.mark.browser

SIZES = ((1280, 800), (1024, 768))


def shoot(page, name):
    folder = os.environ.get("SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{folder}/{name}-{width}x{height}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_reviewer_decides_a_finding_in_place(page, live_server):
    from test_renewal_review import create_renewal_plan

    plan = create_renewal_plan()
    application = create_renewal(plan)
    add_sheets(application, ["差"] * 3 + ["良"] * 6 + ["优"])
    add_refusals(application, False, True)
    add_violation(application, kind="erroneous_judgment")
    create_renewal(plan, name="李后到", seq=52)
    create_renewal(plan, name="周单位", seq=53, stage="unit_review")
    create_user("chengdu", ["city"], city="成都市", display_name="成都市职鉴中心 张经办")

    log_in(page, live_server, "chengdu")
    page.locator("nav.mainnav").get_by_role("link", name="换证审核").click()
    page.wait_for_url("**/renewals/")
    queue = page.locator("#renewal-queue").inner_text()
    assert "王考评" in queue and "李后到" in queue and "周单位" not in queue
    shoot(page, "renewal-queue")

    page.get_by_role("link", name="王考评").click()
    page.wait_for_url(f"**/renewals/{application.id}")
    assert "待核实 2 项" in page.locator("#findings-status").inner_text()
    shoot(page, "renewal-review")
    page.evaluate("window.__sameDocument = true")

    finding = page.locator("#finding-5")
    finding.get_by_label("理由").fill("经复核，该次评判系考场计时设备故障所致，未造成不良影响")
    finding.get_by_role("button", name="不予认定").click()
    page.locator("#finding-5 .finding-overridden").wait_for()
    assert "成都市职鉴中心 张经办" in page.locator("#finding-5").inner_text()
    assert "待核实 1 项" in page.locator("#findings-status").inner_text()
    assert page.evaluate("window.__sameDocument") is True

    page.locator("#finding-1").get_by_role("button", name="确认存在").click()
    page.locator("#finding-1 .finding-confirmed").wait_for()
    assert "待核实 0 项" in page.locator("#findings-status").inner_text()
    assert "只能不通过" in page.locator("#panel-notes").inner_text()
    shoot(page, "renewal-review-decided")


def test_the_province_is_asked_before_revoking(page, live_server):
    from test_renewal_review import create_renewal_plan

    application = create_renewal(create_renewal_plan(), stage="province_review")
    create_user("sheng", ["province"])
    log_in(page, live_server, "sheng")
    page.goto(f"{live_server}/renewals/{application.id}")
    page.get_by_label("意见或理由").fill("任期内评价“差”等次比例过高")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="不通过").click()
    assert asked and "将注销原证卡" in asked[0]
    db.session.rollback()
    assert db.session.get(RenewalApplication, application.id).stage == RenewalStage.PROVINCE_REVIEW
    shoot(page, "renewal-province")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="不通过").click()
    page.get_by_role("heading", name="原证卡已注销").wait_for()
    db.session.rollback()  # end the test's read transaction: see what the server committed
    assert db.session.get(RenewalApplication, application.id).stage == RenewalStage.REVOKED
