"""Login and password forms."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, ValidationError

from portal.auth.rules import password_problems
from portal.forms import max_len, required


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[required("请输入用户名"), max_len(40)])
    password = PasswordField("密码", validators=[required("请输入密码"), max_len(128)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[required("请输入当前密码")])
    new = PasswordField("新密码", validators=[required("请输入新密码"), max_len(128)])
    confirm = PasswordField(
        "再次输入新密码",
        validators=[required("请再次输入新密码"), EqualTo("new", message="两次输入的新密码不一致")],
    )

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._username = username

    def validate_new(self, field):
        problems = password_problems(field.data or "", username=self._username)
        if field.data and field.data == self.current.data:
            problems.append("新密码不能与当前密码相同")
        if problems:
            raise ValidationError("；".join(problems))
