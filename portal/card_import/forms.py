"""Forms of the import from the old system."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import InputRequired


class UploadForm(FlaskForm):
    workbook = FileField("填好的导入模板（XLSX 文件）",
                         validators=[FileRequired(message="请选择要上传的 XLSX 文件")])


class ConfirmForm(FlaskForm):
    """The previewed file, named by a token the server signed: the client cannot change what
    is imported."""

    token = HiddenField(validators=[InputRequired(message="缺少导入内容，请重新上传文件")])
