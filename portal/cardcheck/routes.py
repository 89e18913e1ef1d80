"""The public card check at ``/check``: no login, a card number in, the masked public view
out (:mod:`portal.cardcheck.rules`), rate-limited per client address.

Decisions:

* **GET with the number in the query string** (``/check?number=川考评-2026-000123``): the
  result has its own address (bookmark it, print it as a QR code on the card, go back and
  forth in the browser), and a GET needs no CSRF token — an anonymous kiosk page would
  otherwise fail once its token expired. The number is not secret: it is printed on the card.
  Every response says ``Cache-Control: no-store``: a status changes (a card is voided or
  revoked), and a cached answer would also skip the rate limit.
* **Rate limit**: :data:`DEFAULT_LIMIT` (20) lookups per client address per
  :data:`DEFAULT_WINDOW_MINUTES` (10) minutes — a person checking a few cards never meets it,
  while walking the sequential numbers of the register takes weeks. Counted in the database
  (:mod:`portal.ratelimit`), so it holds across every worker and server; configurable with
  ``CARD_CHECK_LIMIT`` and ``CARD_CHECK_WINDOW_MINUTES``. Behind a reverse proxy set
  ``PROXY_COUNT`` so that the client's address, not the proxy's, is counted. Over the limit:
  429 with a Chinese message and ``Retry-After``.
* **Unknown and malformed numbers get the same answer**: one neutral message, the same
  status, the same single query (:func:`portal.cardcheck.rules.lookup_numbers` depends on the
  text only), so the response tells nothing about why nothing was found.
"""

from datetime import timedelta

from flask import Blueprint, current_app, make_response, request
from sqlalchemy.exc import OperationalError

from portal import ratelimit
from portal.cardcheck import queries, rules
from portal.cardcheck.forms import CheckForm
from portal.dbutil import begin_write
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.timeutil import local_today, to_local

bp = Blueprint("cardcheck", __name__)

SCOPE = "card_check"
DEFAULT_LIMIT = 20
DEFAULT_WINDOW_MINUTES = 10


def _limit() -> tuple[int, timedelta]:
    config = current_app.config
    return (int(config.get("CARD_CHECK_LIMIT", DEFAULT_LIMIT)),
            timedelta(minutes=int(config.get("CARD_CHECK_WINDOW_MINUTES",
                                             DEFAULT_WINDOW_MINUTES))))


def _count(limit: int, window: timedelta) -> ratelimit.Verdict | None:
    """Count this lookup for the client's address; None when the count could not be written
    (SQLite busy past its timeout, e.g. during a long import): the lookup is then allowed —
    a read-only public page degrades to unlimited for a moment rather than failing."""
    try:
        begin_write()
        verdict = ratelimit.hit(SCOPE, request.remote_addr or "", limit=limit, window=window)
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        current_app.logger.warning("card check not counted: the database is busy")
        return None
    return verdict


@bp.get("/check")
def check():
    form = CheckForm(request.args)
    numbers = rules.lookup_numbers(form.number.data)
    limit, window = _limit()
    today = local_today()
    context = {"form": form, "asked": bool(numbers), "card": None, "limited": None,
               "today": today, "limit": limit, "window_minutes": int(window.total_seconds() // 60)}
    if numbers:
        verdict = _count(limit, window)
        if verdict is None or verdict.allowed:
            context["card"] = queries.find_public_card(numbers, today)
        else:
            context["limited"] = verdict
            context["retry_time"] = f"{to_local(verdict.retry_at):%H:%M}"
    html = render_page_or_partial("cardcheck/check.html", "cardcheck/_result.html", **context)
    response = make_response(html, 429 if context["limited"] else 200)
    response.headers["Cache-Control"] = "no-store"
    if context["limited"]:
        response.headers["Retry-After"] = str(context["limited"].retry_after)
    return response
