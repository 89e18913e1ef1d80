"""Screenshots of renewal (复核换证), the violations register and the dashboards as their users
see them, plus PNGs of the Attachment 3 and renewal summary-table PDFs, on a throwaway demo
database (the demo seeds huanzheng1–9 at every renewal stage).

    .venv/bin/python scripts/screenshots_renewals.py [out_dir]     # default: a new temporary folder
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from shots import chromium, demo_app, log_in, pdf_png, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHOTS = [  # (file, user, path, full page, viewport width)
    ("renew-index-huanzheng1.png", "huanzheng1", "/renew/", True, 1280),
    ("renew-form-huanzheng1.png", "huanzheng1", "/renew/{draft}", True, 1280),
    ("renew-progress-huanzheng7.png", "huanzheng7", "/renew/", True, 1280),
    ("renewal-queue-chengdu.png", "chengdu", "/renewals/", True, 1280),
    ("renewal-review-chengdu.png", "chengdu", "/renewals/{flagged}", True, 1280),
    ("renewal-plan-sheng.png", "sheng", "/renewals/plans/{plan}", True, 1280),
    ("renewal-tables-chengdu.png", "chengdu", "/renewals/tables/", True, 1280),
    ("violations-sheng.png", "sheng", "/violations/", True, 1280),
    ("dashboard-sheng.png", "sheng", "/dashboard/", True, 1280),
    ("dashboard-chengdu-tablet.png", "chengdu", "/dashboard/", True, 1024),
    ("dashboard-jigou.png", "jigou", "/dashboard/", True, 1280),
    ("home-sheng-tablet.png", "sheng", "/", False, 1024),
    ("home-huanzheng1.png", "huanzheng1", "/", True, 1280),
]


def demo_ids() -> dict[str, int]:
    """The demo records the screenshots show."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.extensions import db
    from portal.renewals.models import RenewalApplication, RenewalPlan, RenewalSummaryTable

    def application_of(username: str) -> RenewalApplication:
        person_id = db.session.scalar(select(User.person_id).where(User.username == username))
        return db.session.scalars(select(RenewalApplication).where(
            RenewalApplication.person_id == person_id)).first()

    table = db.session.scalars(select(RenewalSummaryTable)).first()
    return {"draft": application_of("huanzheng1").id, "flagged": application_of("huanzheng5").id,
            "plan": db.session.scalar(select(RenewalPlan.id)),
            "table": table.id if table else 0,
            "province": application_of("huanzheng6").id}


def fetch_pdf(base: str, cookies, out_dir: Path, name: str, path: str) -> None:
    """Download a PDF with a logged-in session's cookies and render its first page."""
    import urllib.request

    request = urllib.request.Request(base + path, headers={  # noqa: S310 - our own server
        "Cookie": "; ".join(f"{c['name']}={c['value']}" for c in cookies)})
    with urllib.request.urlopen(request) as response:  # noqa: S310
        (out_dir / f"{name}.pdf").write_bytes(response.read())
    pdf_png(out_dir / f"{name}.pdf", out_dir / name, dpi=80)
    print(out_dir / f"{name}.pdf")


def main(out_dir: Path) -> None:
    app = demo_app()
    with app.app_context():
        ids = demo_ids()
    server, base = serve(app)
    out_dir.mkdir(parents=True, exist_ok=True)
    cookies = {}
    with sync_playwright() as pw:
        browser = chromium(pw)
        for name, user, path, full, width in SHOTS:
            context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800})
            page = context.new_page()
            log_in(page, base, user)
            page.goto(base + path.format(**ids))
            page.screenshot(path=str(out_dir / name), full_page=full)
            cookies[user] = context.cookies()
            context.close()
            print(out_dir / name)
        browser.close()
    fetch_pdf(base, cookies["huanzheng1"], out_dir, "attachment3-huanzheng1",
              f"/renew/{ids['draft']}/attachment3.pdf")
    if ids["table"]:
        fetch_pdf(base, cookies["chengdu"], out_dir, "renewal-table-chengdu",
                  f"/renewals/tables/{ids['table']}/pdf")
    server.shutdown()

if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="renewal-shots-")))
