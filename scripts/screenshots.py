"""Take screenshots of pages as a user sees them (headless Debian Chromium, 10-inch tablet).

    .venv/bin/python scripts/screenshots.py [out_dir]

Starts the portal on a throwaway demo database, logs in as demo accounts and saves PNGs.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright
from shots import chromium, demo_app, log_in, serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHOTS = [  # (file, user, path, full page)
    ("home-sheng.png", "sheng", "/", False),
    ("home-jigou.png", "jigou", "/", False),
    ("home-shenbao.png", "shenbao", "/", False),
    ("admin-users.png", "admin", "/admin/users", False),
    ("admin-calendar.png", "admin", "/admin/calendar/?year=2026", True),
    ("batches-jigou.png", "jigou", "/batches/", False),
    ("batch-live-jigou.png", "jigou", "/batches/{live_batch}", True),
    ("sheet-live-dudao.png", "dudao", "/sheets/{live_sheet}", True),
    ("sheet-final-sheng.png", "sheng", "/sheets/{final_sheet}", True),
    ("login.png", None, "/login", False),
]


def demo_ids() -> dict[str, int]:
    """The demo records the screenshots show (the ids depend on the seed order)."""
    from sqlalchemy import select

    from portal.batches.models import EvaluationBatch
    from portal.extensions import db
    from portal.sheets.models import EvaluationSheet

    def first_sheet(batch_id: int) -> int:
        return db.session.scalar(select(EvaluationSheet.id).where(
            EvaluationSheet.batch_id == batch_id).order_by(EvaluationSheet.id))

    batches = db.session.scalars(select(EvaluationBatch).order_by(EvaluationBatch.id)).all()
    finished, live = batches[0], batches[1]
    return {"live_batch": live.id, "live_sheet": first_sheet(live.id),
            "final_sheet": first_sheet(finished.id)}


def main(out_dir: Path) -> None:
    app = demo_app()
    with app.app_context():
        ids = demo_ids()
    server, base = serve(app)
    out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = chromium(pw)
        for name, user, path, full in SHOTS:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            page = context.new_page()
            if user:
                log_in(page, base, user)
            page.goto(base + path.format(**ids))
            page.screenshot(path=str(out_dir / name), full_page=full)
            context.close()
            print(out_dir / name)
        browser.close()
    server.shutdown()

if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
