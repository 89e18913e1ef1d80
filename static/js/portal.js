/* Small page behaviours. No inline scripts: the Content-Security-Policy forbids them. */
(function () {
  "use strict";

  function alertBox() { return document.getElementById("htmx-alert"); }

  function showAlert(text) {
    var box = alertBox();
    if (!box) { return; }
    box.innerHTML = "";
    var div = document.createElement("div");
    div.className = "alert alert-error";
    div.textContent = text;
    box.appendChild(div);
  }

  // The connection dropped: nothing was saved, and the user must know it.
  document.addEventListener("htmx:sendError", function () {
    showAlert("网络连接中断，本次操作没有保存。请检查网络后重试。");
  });
  document.addEventListener("htmx:timeout", function () {
    showAlert("服务器响应超时，本次操作可能没有保存。请刷新页面确认。");
  });

  // Sheet cells: say "保存中…" while a click is in flight, and on a network error say so and
  // send the same click again (same version: if the first one did land, the server answers it
  // idempotently). "已保存" only ever comes from the server's response.
  function stateOf(elt) {
    var id = elt && elt.getAttribute && elt.getAttribute("data-save-state");
    return id ? document.getElementById(id) : null;
  }
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var state = stateOf(evt.detail.elt);
    if (state) { state.className = "save-state pending"; state.textContent = "保存中…"; }
  });
  function retry(evt, text) {
    var elt = evt.detail.elt, state = stateOf(elt);
    if (!state) { return false; }
    var tries = parseInt(elt.getAttribute("data-tries") || "0", 10) + 1;
    elt.setAttribute("data-tries", String(tries));
    var delay = Math.min(1000 * Math.pow(2, tries - 1), 15000);
    state.className = "save-state failed";
    state.textContent = text + "，" + Math.round(delay / 1000) + " 秒后重试…";
    window.setTimeout(function () {
      if (document.body.contains(elt) && elt.checked) { htmx.trigger(elt, "change"); }
    }, delay);
    return true;
  }
  document.addEventListener("htmx:sendError", function (evt) { retry(evt, "未保存：网络中断"); }, true);
  document.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status >= 500) { retry(evt, "未保存：服务器暂时无法处理"); }
  }, true);

  // A button with data-confirm asks first (a move that cannot be undone, such as revoking a
  // card); cancelling the dialog sends nothing.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      evt.preventDefault();
      evt.stopPropagation();
    }
  }, true);

  // A successful request clears a previous error message.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var box = alertBox();
    if (box && evt.detail.successful && evt.detail.target !== box) { box.innerHTML = ""; }
  });
})();
