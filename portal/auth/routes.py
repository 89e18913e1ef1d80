"""Login, logout (POST only) and password change."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.audit.operations import record
from portal.auth import operations
from portal.auth.forms import ChangePasswordForm, LoginForm
from portal.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths may be redirected to after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        username = form.username.data.strip()
        ip = request.remote_addr or ""
        end = operations.lock_end(username, ip)
        if end is not None:
            error = operations.lockout_message(end)
        else:
            user, error = operations.authenticate(username, form.password.data, ip)
            db.session.commit()
            if user is not None:
                next_url = _safe_next(request.args.get("next"))
                session.clear()
                login_user(user)
                if user.must_change_password:
                    return redirect(url_for("auth.change_password"))
                return redirect(next_url or url_for("home.index"))
    status = 200 if error is None and not form.errors else 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    record("auth.logout", current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出", "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(username=user.username)
    if form.validate_on_submit():
        if not user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确")
        else:
            operations.change_password(user, form.new.data)
            db.session.commit()
            login_user(user)  # the session token rotated: keep this session, end the others
            flash("密码已修改", "success")
            return redirect(url_for("home.index"))
    status = 422 if form.errors else 200
    return render_template("auth/password.html", form=form, forced=user.must_change_password), status
