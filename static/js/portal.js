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

  // A successful request clears a previous error message.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var box = alertBox();
    if (box && evt.detail.successful && evt.detail.target !== box) { box.innerHTML = ""; }
  });
})();
