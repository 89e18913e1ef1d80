"""Screenshots of the review pages (申报审核, an application with its timeline, summary tables)
and a PNG of the Attachment 2 PDF, on a throwaway demo database with applications added.

    .venv/bin/python scripts/screenshots_applications.py [out_dir]
"""

import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright
from shots import chromium, demo_app, log_in, pdf_png, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMES = ["王建国", "李珺", "张彧", "刘海燕", "陈立新", "杨晓东", "赵敏", "黄志强", "周丽", "吴昇"]


def seed_applications() -> dict[str, int]:
    """A 2026 plan with quotas, applications at each review stage, one unsent summary table
    (Chengdu) and one sent (the provincial-direct institution)."""
    from io import BytesIO

    from PIL import Image
    from sqlalchemy import select
    from werkzeug.datastructures import FileStorage

    from portal.applications import review, summary
    from portal.applications.models import Application, TrainingPlan, UnitQuota
    from portal.auth.models import User
    from portal.catalogue.models import Occupation, Region
    from portal.extensions import db
    from portal.orgs.models import Organisation
    from portal.people.idcard import make_id_number
    from portal.people.models import Person
    from portal.timeutil import local_today, utcnow
    from portal.uploads import service

    today = local_today()
    users = {u.username: u for u in db.session.scalars(select(User))}
    orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
    regions = {r.name: r for r in db.session.scalars(select(Region))}
    occupations = list(db.session.scalars(select(Occupation).order_by(Occupation.id)))[:3]
    plan = TrainingPlan(year=today.year, title=f"{today.year}年度考评员资格培训",
                        levels="考评员,高级考评员", opens_on=today - timedelta(days=40),
                        closes_on=today + timedelta(days=20), mode="central", places=200,
                        published_at=utcnow(), occupations=occupations)
    db.session.add(plan)
    tianfu, direct = orgs["成都天府职业技能评价中心"], orgs["四川省交通运输职业技能评价中心"]
    for org, base in ((tianfu, 6), (direct, 5), (orgs["成都市第一职业技能鉴定所"], 4)):
        db.session.add(UnitQuota(plan=plan, organisation=org, base=base,
                                 absences=1 if org is tianfu else 0))
    out = BytesIO()
    Image.new("RGB", (300, 400), (235, 235, 235)).save(out, "PNG")
    upload = service.store(FileStorage(BytesIO(out.getvalue()), filename="身份证复印件.png"))

    def person(i, city="成都市", org=None):
        p = Person(name=NAMES[i], gender="女" if i % 3 == 1 else "男", education="本科",
                   id_number=make_id_number(regions[city].code[:4] + "04",
                                            date(1978 + i, 3, 9), 301 + i * 2),
                   employer=(org or tianfu).name, region=regions[city], organisation=org,
                   title="工程师" if i % 2 else "", position="技术主管",
                   address=f"成都市武侯区人民南路{i + 1}号", mobile=f"1380000{i:04d}",
                   years_worked=12 + i)
        db.session.add(p)
        return p

    def application(i, unit, city="成都市"):
        a = Application(plan=plan, person=person(i, "成都市", unit), level="考评员",
                        occupation=occupations[i % len(occupations)], region=regions[city],
                        unit=unit, qualification_level=3, title_level=2 if i % 2 else None,
                        qualification_text="", work_summary="从事职业技能培训与鉴定工作十余年。")
        a.id_copy_id = a.certificate_copy_id = a.photo_id = a.signed_form_id = upload.id
        db.session.add(a)
        db.session.flush()
        return a

    jigou, chengdu, shengzhi, sheng = (users[n] for n in ("jigou", "chengdu", "shengzhi",
                                                          "sheng"))

    def applicant_of(a):
        u = User(username=f"app{a.id}", display_name=a.person.name, person_id=a.person.id)
        u.set_password("Demo@2026", temporary=False)
        u.set_roles({"applicant"})
        db.session.add(u)
        db.session.flush()
        return u

    def walk(a, moves):
        for who, action, comment in moves:
            review.act(a, action, user=who, comment=comment, today=today)
            db.session.flush()

    apps = [application(i, tianfu) for i in range(6)] + [
        application(i, direct, "四川省") for i in range(6, 9)]
    submit = [("submit", "")]
    for a in apps:
        walk(a, [(applicant_of(a), *m) for m in submit])
    recommend = (jigou, "recommend", "同意推荐。该同志业务熟练，作风正派。")
    walk(apps[1], [recommend])
    walk(apps[2], [recommend, (chengdu, "return", "照片不符合要求；请上传近期白底免冠证件照")])
    for a in apps[3:6]:
        walk(a, [recommend, (chengdu, "approve", "")])
    for a in apps[6:9]:
        walk(a, [(shengzhi, "recommend", "同意推荐。"), (shengzhi, "approve", "")])
    db.session.flush()
    [city_office] = summary.offices_of(chengdu)
    unsent = summary.create_table(user=chengdu, office=city_office, plan=plan,
                                  application_ids=[apps[3].id, apps[4].id],
                                  filled_by=city_office.name, contact_name="张经办",
                                  contact_phone="028-86136211")
    [direct_office] = summary.offices_of(shengzhi)
    sent = summary.create_table(user=shengzhi, office=direct_office, plan=plan,
                                application_ids=[a.id for a in apps[6:9]],
                                filled_by=direct_office.name, contact_name="赵经办",
                                contact_phone="028-85550000")
    summary.attach_scan(sent, upload.id, user=shengzhi)
    summary.send(sent, user=shengzhi)
    db.session.commit()
    return {"recommended": apps[1].id, "returned": apps[2].id, "unit_review": apps[0].id,
            "province": apps[6].id, "unsent": unsent.id, "sent": sent.id}


SHOTS = [  # (file, user, path, full page)
    ("review-queue-chengdu.png", "chengdu", "/applications/", True),
    ("review-show-chengdu.png", "chengdu", "/applications/{recommended}", True),
    ("review-show-jigou.png", "jigou", "/applications/{unit_review}", True),
    ("review-show-returned.png", "chengdu", "/applications/{returned}", True),
    ("review-tables-chengdu.png", "chengdu", "/applications/tables", False),
    ("review-table-new-chengdu.png", "chengdu", "/applications/tables/new", True),
    ("review-table-unsent-chengdu.png", "chengdu", "/applications/tables/{unsent}", True),
    ("review-table-sent-sheng.png", "sheng", "/applications/tables/{sent}", True),
    ("review-queue-sheng.png", "sheng", "/applications/", False),
    ("review-show-applicant.png", "app{returned}", "/applications/{returned}", True),
]


def main(out_dir: Path) -> None:
    app = demo_app()
    with app.app_context():
        ids = seed_applications()
        from portal.applications import summary
        from portal.applications.models import SummaryTable
        from portal.extensions import db

        pdf = summary.pdf_bytes(db.session.get(SummaryTable, ids["sent"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "attachment2.pdf").write_bytes(pdf)
    pdf_png(out_dir / "attachment2.pdf", out_dir / "attachment2")
    server, base = serve(app)
    with sync_playwright() as pw:
        browser = chromium(pw)
        for name, user, path, full in SHOTS:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            page = context.new_page()
            log_in(page, base, user.format(**ids))
            page.goto(base + path.format(**ids))
            page.screenshot(path=str(out_dir / name), full_page=full)
            context.close()
            print(out_dir / name)
        browser.close()
    server.shutdown()

if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="review-shots-")))
