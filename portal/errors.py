"""Chinese error pages (400/403/404/413/500), and the htmx variant of each.

For an htmx request the error is rendered as a small alert and retargeted to the page's
``#htmx-alert`` area, so the part of the page the user was working on is left as it was.
"""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.htmx import is_htmx
from portal.ops.request_log import request_id

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理。请返回上一页检查后重试。"),
    403: ("无权操作", "您的账户没有执行此操作的权限。如需开通，请联系系统管理员。"),
    404: ("页面不存在", "您要找的页面不存在，或您无权查看。请检查链接，或从首页重新进入。"),
    405: ("请求方式不支持", "此页面不支持该操作。请从页面上的按钮重新操作。"),
    413: ("文件过大", "上传的内容超过了大小上限。请压缩文件或分开上传后重试。"),
    429: ("操作过于频繁", "请稍后再试。"),
    500: ("系统出错了", "系统处理您的请求时出错，您的操作没有保存。请稍后重试；如果问题持续，请联系系统管理员。"),
}

CSRF_MESSAGE = (
    "页面已过期或安全令牌缺失，本次提交没有保存。请刷新页面（按 F5）后重新提交；"
    "已保存的内容不会丢失。"
)


def _render(code: int, title: str, message: str):
    template = "errors/_alert.html" if is_htmx() else "errors/error.html"
    response = render_template(template, code=code, title=title, message=message,
                               request_id=request_id() if code >= 500 else None)
    headers = {}
    if is_htmx():
        headers = {"HX-Retarget": "#htmx-alert", "HX-Reswap": "innerHTML"}
    return response, code, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        db.session.rollback()
        return _render(400, "页面已过期", CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code >= 500:
            db.session.rollback()
        title, message = MESSAGES.get(exc.code, (exc.name, exc.description or ""))
        return _render(exc.code, title, message)

    @app.errorhandler(500)
    def server_error(exc: Exception):
        # Reached for unhandled exceptions when they are not propagated (not in tests).
        db.session.rollback()
        title, message = MESSAGES[500]
        return _render(500, title, message)
