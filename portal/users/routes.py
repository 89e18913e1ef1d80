"""User administration for the admin; a read-only user page for whoever may see the user."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.auth.access import roles_required
from portal.auth.models import User
from portal.auth.roles import Role
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.pagination import paginate
from portal.scope import get_visible_or_404
from portal.users import operations
from portal.users.forms import NewUserForm, ResetPasswordForm, UserForm
from portal.users.queries import search_users

bp = Blueprint("users", __name__)


def _form_values(form: UserForm) -> dict:
    return {
        "display_name": form.display_name.data,
        "phone": form.phone.data,
        "roles": form.roles.data or [],
        "region_id": form.region_id.data,
        "organisation_id": form.organisation_id.data,
    }


@bp.get("/admin/users")
@roles_required(Role.ADMIN)
def admin_index():
    filters = {k: request.args.get(k, "") for k in ("q", "role", "status")}
    page = paginate(search_users(current_user, **filters))
    return render_page_or_partial(
        "users/index.html", "users/_table.html", page=page, filters=filters, roles=list(Role)
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create():
    form = NewUserForm()
    if form.validate_on_submit():
        user = operations.create_user(
            username=form.username.data, password=form.password.data, **_form_values(form)
        )
        db.session.commit()
        flash(f"已创建用户 {user.username}，首次登录时须修改初始密码", "success")
        return redirect(url_for("users.show", user_id=user.id))
    return render_template("users/form.html", form=form, user=None), 422 if form.errors else 200


@bp.get("/users/<int:user_id>")
@login_required
def show(user_id: int):
    user = get_visible_or_404(User, user_id, current_user)
    return render_template("users/show.html", user=user, reset_form=ResetPasswordForm())


def _admin_target(user_id: int) -> User:
    """Visible user (else 404) that the current user may administer (else 403)."""
    user = get_visible_or_404(User, user_id, current_user)
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    return user


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit(user_id: int):
    user = _admin_target(user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        try:
            operations.update_user(user, actor=current_user, **_form_values(form))
        except operations.UserError as exc:
            form.roles.errors = [*form.roles.errors, str(exc)]
        else:
            db.session.commit()
            flash("用户信息已保存", "success")
            return redirect(url_for("users.show", user_id=user.id))
    return render_template("users/form.html", form=form, user=user), 422 if form.errors else 200


@bp.post("/admin/users/<int:user_id>/active")
@login_required
def toggle_active(user_id: int):
    user = _admin_target(user_id)
    try:
        operations.set_active(user, not user.active, actor=current_user)
    except operations.UserError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("账户已启用" if user.active else "账户已停用，其登录会话已全部失效", "success")
    return redirect(url_for("users.show", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/password")
@login_required
def reset_password(user_id: int):
    user = _admin_target(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        operations.reset_password(user, form.password.data)
        db.session.commit()
        flash(f"已为 {user.username} 设置临时密码，该用户下次登录时须修改密码", "success")
        return redirect(url_for("users.show", user_id=user.id))
    return render_template("users/show.html", user=user, reset_form=form), 422
