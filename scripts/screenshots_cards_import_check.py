"""Screenshots of the import from the old system and the public card check (issue 5), as a
user sees them (headless Debian Chromium, 1280×800):

    .venv/bin/python scripts/screenshots_cards_import_check.py [out_dir]

Starts the portal on a throwaway demo database, logs in as the province (``sheng``), uploads
a file with errors, then a good file of 10,000 rows (shooting the spinner while the import
runs), and the report; then checks a demo card, an unknown number, and the rate limit.
"""

import random
import sys
import tempfile
from datetime import date
from pathlib import Path

from playwright.sync_api import sync_playwright
from shots import chromium, demo_app, log_in, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def file_with(rows) -> Path:
    from openpyxl import Workbook

    from portal.card_import import rules

    wb = Workbook()
    ws = wb.active
    ws.append([rules.TEMPLATE_TITLE])
    ws.append(list(rules.HEADERS))
    for row in rows:
        ws.append(row)
    path = Path(tempfile.mkdtemp()) / "旧系统证卡.xlsx"
    wb.save(path)
    return path


def main(out_dir: Path) -> None:
    app = demo_app()
    from sqlalchemy import select

    from bench.import_cards import generate
    from portal.cards.models import Card
    from portal.catalogue.models import Occupation, Region
    from portal.extensions import db
    from portal.people.idcard import make_id_number
    from portal.timeutil import local_today

    with app.app_context():
        card_number = db.session.scalars(select(Card.number).where(
            Card.collected_on.is_not(None), Card.revoked_on.is_(None),
            Card.voided_on.is_(None)).order_by(Card.id)).first()
        regions = [(r.name, r.code) for r in db.session.scalars(select(Region))]
        occupations = [(o.code, o.name) for o in db.session.scalars(select(Occupation))]
    rows, _ = generate(10_000, random.Random(7), regions, occupations, local_today())
    good = file_with(rows)
    bad_rows = [list(r) for r in rows[:12]]
    bad_rows[2][2] = bad_rows[2][2][:-1] + ("0" if bad_rows[2][2][-1] != "0" else "1")
    bad_rows[4][6] = "电焊工"
    bad_rows[5][3] = "重庆市"
    bad_rows[7][8] = bad_rows[6][8]
    bad_rows[9][9] = "2023-02-30"
    bad_rows[10][10] = "2020-01-01"
    bad_rows[11][0], bad_rows[11][2] = "周晓川", make_id_number("510104", date(1988, 8, 8), 17)
    bad = file_with(bad_rows)

    server, base = serve(app)
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as pw:
        browser = chromium(pw)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        log_in(page, base, "sheng")

        def shot(name, full=False):
            path = out_dir / name
            page.screenshot(path=str(path), full_page=full)
            shots.append(path)

        page.goto(f"{base}/cards/import/")
        shot("card-import-page.png")
        page.set_input_files("#workbook", str(bad))
        page.get_by_role("button", name="上传并预览").click()
        page.wait_for_selector("#import-errors")
        shot("card-import-errors.png", full=True)

        page.set_input_files("#workbook", str(good))
        page.get_by_role("button", name="上传并预览").click()
        page.wait_for_selector("#upload-busy.htmx-request", timeout=5000)
        page.wait_for_timeout(1200)
        shot("card-import-checking.png")
        page.wait_for_selector(".import-confirm", timeout=60_000)
        page.locator("#import-preview").scroll_into_view_if_needed()
        shot("card-import-preview.png")
        page.get_by_role("button", name="确认导入").click()
        page.wait_for_timeout(2500)
        page.locator("#confirm-busy").scroll_into_view_if_needed()
        shot("card-import-running.png")
        page.wait_for_url("**/cards/import/reports/*", timeout=120_000)
        shot("card-import-report.png")

        anonymous = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = anonymous.new_page()
        page.goto(f"{base}/login")
        shot("login-with-check-link.png")
        page.get_by_role("link", name="查验考评员证卡（无需登录）").click()
        page.get_by_label("证卡编号").fill(card_number)
        page.get_by_role("button", name="查验").click()
        page.wait_for_selector("#check-card")
        shot("card-check-found.png")
        page.get_by_label("证卡编号").fill("川考评-2099-000001")
        page.get_by_role("button", name="查验").click()
        page.wait_for_selector("text=未查到该证卡")
        shot("card-check-unknown.png")
        app.config["CARD_CHECK_LIMIT"] = 2
        page.get_by_role("button", name="查验").click()
        page.wait_for_selector("text=查验过于频繁")
        shot("card-check-limited.png")
        browser.close()
    server.shutdown()
    for path in shots:
        print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
