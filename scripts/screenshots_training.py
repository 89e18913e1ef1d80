"""Screenshots of training sessions, attendance and assessment (issue 6), as users see them
(headless Debian Chromium, 1280×800), on a throwaway demo database with a plan added:

    .venv/bin/python scripts/screenshots_training.py [out_dir]

The province (``sheng``) opens the plan, puts the approved applicants into a session, records
attendance row by row (one absence with a special reason, one without), enters two scores on
the page, uploads a results file with errors, then a good one, and confirms; then it opens a
unit's 专场 request. The unit (``jigou``) sees the session and the request form.
"""

import io
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright
from shots import chromium, demo_app, log_in, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMES = ["王建国", "李珺", "张彧", "刘海燕", "陈立新", "杨晓东", "赵敏", "黄志强"]


def seed() -> dict[str, int]:
    """A published plan of this year with quotas, eight applications the province approved,
    a scheduled session held last week, and a 专场 request of 成都天府职业技能评价中心."""
    from pypdf import PdfWriter
    from sqlalchemy import select
    from werkzeug.datastructures import FileStorage

    from portal.applications.models import Application, TrainingPlan, TrainingSession, UnitQuota
    from portal.catalogue.models import Occupation, Region
    from portal.extensions import db
    from portal.orgs.models import Organisation
    from portal.people.idcard import make_id_number
    from portal.people.models import Person
    from portal.timeutil import local_today, utcnow
    from portal.uploads import service

    today = local_today()
    orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
    regions = {r.name: r for r in db.session.scalars(select(Region))}
    occupations = list(db.session.scalars(select(Occupation).order_by(Occupation.id)))[:2]
    tianfu, direct = orgs["成都天府职业技能评价中心"], orgs["四川省交通运输职业技能评价中心"]
    plan = TrainingPlan(year=today.year, title=f"{today.year}年度考评员资格培训（第二期）",
                        levels="考评员,高级考评员", opens_on=today - timedelta(days=60),
                        closes_on=today - timedelta(days=20), mode="central", places=120,
                        published_at=utcnow(), occupations=occupations)
    db.session.add(plan)
    for org, base in ((tianfu, 6), (direct, 4)):
        db.session.add(UnitQuota(plan=plan, organisation=org, base=base))
    for i, name in enumerate(NAMES):
        unit, city = (tianfu, "成都市") if i < 6 else (direct, "四川省")
        person = Person(name=name, gender="女" if i % 3 == 1 else "男", education="本科",
                        id_number=make_id_number("510104", date(1979 + i, 4, 2), 401 + i * 2),
                        employer=unit.name, region=regions["成都市"], organisation=unit)
        db.session.add(person)
        db.session.add(Application(plan=plan, person=person, level="考评员",
                                   occupation=occupations[i % 2], region=regions[city],
                                   unit=unit, qualification_level=3, stage="training"))
    session = TrainingSession(plan=plan, starts_on=today - timedelta(days=6),
                              ends_on=today - timedelta(days=4), place="成都市青羊区培训中心",
                              mode="central", status="scheduled", notes="8:30 报到，携带身份证",
                              decline_reason="")
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    upload = service.store(FileStorage(io.BytesIO(out.getvalue()), filename="天府专场培训方案.pdf"))
    special = TrainingSession(plan=plan, starts_on=today + timedelta(days=20),
                              ends_on=today + timedelta(days=22), place="天府评价中心三楼报告厅",
                              mode="special", status="requested", requested_by=tianfu,
                              request_plan_id=upload.id, decline_reason="",
                              notes="本单位本年度申报 36 人，师资由省中心指派，场地和设备由本单位提供。")
    db.session.add_all([session, special])
    db.session.commit()
    return {"plan": plan.id, "session": session.id, "special": special.id}


def results_file(rows) -> Path:
    from openpyxl import Workbook

    from portal.training.result_imports import HEADERS

    wb = Workbook()
    ws = wb.active
    ws.append(["考评员资格培训考核成绩"])
    ws.append(list(HEADERS))
    for row in rows:
        ws.append(row)
    path = Path(tempfile.mkdtemp()) / "考核成绩.xlsx"
    wb.save(path)
    return path


def main(out_dir: Path) -> None:
    app = demo_app()
    from sqlalchemy import select

    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        ids = seed()

    def attendees():
        with app.app_context():
            return [(a.id, a.person.name, a.person.id_number) for a in db.session.scalars(
                select(Application).where(Application.session_id == ids["session"],
                                          Application.stage == "assessment")
                .order_by(Application.id))]

    server, base = serve(app)
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as pw:
        browser = chromium(pw)

        def login(username):
            context = browser.new_context(locale="zh-CN",
                                          viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            log_in(page, base, username)
            return page

        def shot(page, name, full=False):
            path = out_dir / name
            page.screenshot(path=str(path), full_page=full)
            shots.append(path)

        page = login("sheng")
        session_url = f"{base}/training/sessions/{ids['session']}"
        page.goto(session_url)
        page.locator("#assign").scroll_into_view_if_needed()
        shot(page, "training-session-assign.png")
        for box in page.locator("#assign input[type=checkbox]").all():
            box.check()
        page.get_by_role("button", name="将勾选的申报人加入本场培训").click()
        page.wait_for_load_state()

        rows = page.locator("#participant-table tbody tr")
        names = [rows.nth(i).locator("td").nth(1).locator("a").inner_text()
                 for i in range(rows.count())]
        for name in names[:5]:
            page.get_by_role("button", name=f"{name} 已参加").click()
            page.wait_for_selector(f"tr:has-text('{name}') >> text=已参加培训，待考核")
        absent_excused, absent = names[5], names[6]
        row = page.locator(f"tr.participant:has-text('{absent_excused}')")
        row.locator("summary").click()
        row.get_by_label("有特殊原因").check()
        row.locator("input[name=reason]").fill("参加省技能大赛裁判工作（有省赛组委会函）")
        row.get_by_role("button", name=f"{absent_excused} 未参加").click()
        page.wait_for_selector(f"tr:has-text('{absent_excused}') >> text=未参加（有特殊原因）")
        row = page.locator(f"tr.participant:has-text('{absent}')")
        row.locator("summary").click()
        row.get_by_role("button", name=f"{absent} 未参加").click()
        page.wait_for_selector(f"tr:has-text('{absent}') >> text=未参加（无特殊原因）")
        row = page.locator(f"tr.participant:has-text('{names[7]}')")
        row.locator("summary").click()
        row.get_by_label("有特殊原因").check()
        row.get_by_role("button", name=f"{names[7]} 未参加").click()
        page.wait_for_selector(f"tr:has-text('{names[7]}') >> text=有特殊原因的缺席须填写原因")
        page.locator("#participants").scroll_into_view_if_needed()
        shot(page, "training-session-attendance.png", full=True)

        page.goto(session_url)
        people = attendees()
        for (app_id, _name, _), score in zip(people[:2], ("88.5", "52"), strict=True):
            page.locator(f"#score-{app_id}").fill(score)
            page.locator(f"#participant-{app_id}").get_by_role("button", name="保存成绩").click()
            page.wait_for_selector(f"#participant-{app_id} >> text=分")
        page.locator(f"#score-{people[2][0]}").fill("101")
        page.locator(f"#participant-{people[2][0]}").get_by_role("button", name="保存成绩").click()
        page.wait_for_selector(f"#participant-{people[2][0]} >> text=0–100")
        shot(page, "training-session-results.png", full=True)

        rest = people[2:]
        bad = results_file([
            [1, rest[0][0], rest[0][1], rest[0][2], "", "", "", 75, "不合格"],
            [2, 99999, "某某", "", "", "", "", 80, ""],
            [3, rest[1][0], rest[1][1], rest[1][2], "", "", "", 120, ""],
            [4, people[0][0], people[0][1], people[0][2], "", "", "", 90, "合格"],
        ])
        page.goto(f"{session_url}/results/import")
        page.set_input_files("#workbook", str(bad))
        page.get_by_role("button", name="上传并预览").click()
        page.wait_for_selector("#import-preview")
        page.locator("#import-preview").scroll_into_view_if_needed()
        shot(page, "training-results-import-errors.png", full=True)
        good = results_file(
            [[1, people[0][0], people[0][1], people[0][2], "", "", "", 88.5, "合格"]]
            + [[n + 2, a, name, idn, "", "", "", s, ""]
               for n, ((a, name, idn), s) in enumerate(zip(rest, (76, 61.5, 93), strict=False))])
        page.set_input_files("#workbook", str(good))
        page.get_by_role("button", name="上传并预览").click()
        page.wait_for_selector(".import-confirm")
        page.locator("#import-preview").scroll_into_view_if_needed()
        shot(page, "training-results-import-preview.png")
        page.get_by_role("button", name="确认导入").click()
        page.wait_for_load_state()
        shot(page, "training-session-done.png", full=True)

        page.goto(f"{base}/training/plans/{ids['plan']}")
        page.locator("#sessions").scroll_into_view_if_needed()
        shot(page, "training-plan-sessions.png", full=True)
        page.goto(f"{session_url}/edit")
        shot(page, "training-session-edit.png")
        page.goto(f"{base}/training/sessions/{ids['special']}")
        shot(page, "training-special-request-province.png", full=True)

        unit = login("jigou")
        unit.goto(session_url)
        shot(unit, "training-session-unit.png", full=True)
        unit.goto(f"{base}/training/plans/{ids['plan']}/sessions/request")
        shot(unit, "training-special-request-form.png", full=True)
        browser.close()
    server.shutdown()
    for path in shots:
        print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
