"""Two raters score the same sheet at the same time in two browsers: every click is stored,
and the totals and grade appear for both once both have submitted."""

import pytest
from browser_helpers import log_in
from sheet_factories import create_batch, create_sheet_for

from portal.extensions import db
from portal.sheets.models import EvaluationSheet

pytestmark = pytest.mark.browser

SUP = {n: "A" for n in range(1, 16)} | {3: "B", 9: "C"}  # total 97
LEAD = {n: "B" for n in range(1, 16)}  # total 85 (item 4 prints C = 6 too, but B is 6)


def click(page, n, level):
    page.locator(f"#item-row-{n} label.lv").nth("ABCD".index(level)).click()


def test_two_raters_score_one_sheet_concurrently(browser, live_server):
    batch = create_batch()
    sheet = create_sheet_for(batch)
    contexts = [browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
                for _ in range(2)]
    sup, lead = (c.new_page() for c in contexts)
    log_in(sup, live_server, "sup")
    log_in(lead, live_server, "lead")
    for page in (sup, lead):
        page.goto(f"{live_server}/sheets/{sheet.id}")

    for n in range(1, 16):  # interleaved clicks, no waiting between them
        click(sup, n, SUP[n])
        click(lead, n, LEAD[n])
    for page, role in ((sup, "supervisor"), (lead, "site_lead")):
        for n in range(1, 16):
            page.locator(f"#state-{role}-{n}").get_by_text("已保存").wait_for()
        assert "已评 15/15" in page.locator("#sheet-summary").inner_text()
    # Blind: the supervisor sees the site lead's progress, not their levels.
    assert "对方提交前不显示" in sup.locator("#sheet-summary").inner_text()

    db.session.rollback()
    stored = db.session.get(EvaluationSheet, sheet.id)
    assert stored.column("supervisor").levels == SUP
    assert stored.column("site_lead").levels == LEAD

    for page in (sup, lead):
        page.get_by_role("button", name="提交").click()
        page.wait_for_load_state()
    sup.reload()
    for page in (sup, lead):
        summary = page.locator("#sheet-summary").inner_text()
        assert "97" in summary and "85" in summary and "91.0" in summary and "优" in summary
    for c in contexts:
        c.close()
