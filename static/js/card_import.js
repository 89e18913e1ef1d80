/* Import from the old system: while an upload or an import runs (an htmx request from a form
   with data-busy="<indicator id>"), count the seconds in the indicator's [data-elapsed] and
   show the upload's progress in its [data-upload]. No inline scripts: the CSP forbids them. */
(function () {
  "use strict";

  function indicatorOf(elt) {
    var id = elt && elt.getAttribute && elt.getAttribute("data-busy");
    return id ? document.getElementById(id) : null;
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt, busy = indicatorOf(form);
    if (!busy) { return; }
    var elapsed = busy.querySelector("[data-elapsed]"), start = Date.now();
    if (elapsed) { elapsed.textContent = "0"; }
    var timer = window.setInterval(function () {
      if (elapsed) { elapsed.textContent = String(Math.floor((Date.now() - start) / 1000)); }
    }, 1000);
    form.setAttribute("data-timer", String(timer));
  });

  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt, timer = form && form.getAttribute && form.getAttribute("data-timer");
    if (timer) { window.clearInterval(parseInt(timer, 10)); form.removeAttribute("data-timer"); }
  });

  document.addEventListener("htmx:xhr:progress", function (evt) {
    var busy = indicatorOf(evt.detail.elt), out = busy && busy.querySelector("[data-upload]");
    var d = evt.detail;
    if (!out || !d.lengthComputable || !d.total) { return; }
    out.textContent = d.loaded < d.total ? "（已上传 " + Math.floor(100 * d.loaded / d.total) + "%）" : "";
  });
})();
