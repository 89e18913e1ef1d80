"""The one place that decides between a full page and an htmx partial."""

from flask import render_template, request


def is_htmx() -> bool:
    """True for a request made by htmx (it sends ``HX-Request: true``)."""
    return request.headers.get("HX-Request") == "true"


def render_page_or_partial(page_template: str, partial_template: str, **context) -> str:
    """Render the partial alone for htmx, else the full page (which includes the partial).

    The response must vary on HX-Request; :func:`portal.security.add_headers` sets it.
    """
    if is_htmx() and not request.headers.get("HX-Boosted"):
        return render_template(partial_template, **context)
    return render_template(page_template, **context)
