"""Forms on a person's profile."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class PhotoForm(FlaskForm):
    photo = FileField("照片（JPG 或 PNG，不超过上传大小上限）",
                      validators=[FileRequired(message="请选择照片文件")])
