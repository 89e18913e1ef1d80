"""Entry point: ``python app.py`` serves the portal at http://127.0.0.1:5000.

The database is migrated on start, and demo data is seeded when it is empty
(set SEED_DEMO=0 to start with an empty database). ``flask --app app run`` works too.
Under gunicorn (``deploy/gunicorn.conf.py``) the database is prepared once, before the
workers start, and the workers skip it.
"""

import os

from portal import create_app
from portal.setup import prepare_database

app = create_app()
if os.environ.get("PORTAL_DATABASE_PREPARED") != "1":  # set by deploy/gunicorn.conf.py
    prepare_database(app)

if __name__ == "__main__":
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        debug=os.environ.get("FLASK_DEBUG") == "1",
    )
