"""The applicant's side of an application (notice §二(二)(三), §五(二)(三)): when it may be
filled in or corrected, which region and recommending unit fit, which materials it needs, and
what the printed Attachment 1 would leave blank.

Pure functions of plain values: no Flask, no database. The eligibility verdict itself is
:mod:`portal.applications.rules`; the workflow (submit, withdraw) is its transition table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from portal.applications.rules import SENIOR_EXAMINER, Stage

__all__ = [
    "EDITABLE_STAGES",
    "MAX_QUALIFICATION_TEXT",
    "MAX_WORK_SUMMARY",
    "PROFILE_PRINTED",
    "UPLOAD_KINDS",
    "UploadKind",
    "duplicate_message",
    "edit_problem",
    "profile_gaps",
    "unit_fits_region",
    "upload_kind",
    "upload_kinds_for",
]

#: Stages in which the applicant may change the data and materials: before submitting, and
#: after a return for correction (notice §五(三) "信息填写有误的可……作相应修改完善，重新提交").
EDITABLE_STAGES = frozenset({Stage.DRAFT, Stage.RETURNED_BY_UNIT, Stage.RETURNED_BY_REVIEWER})

#: 工作总结 must fit the one-page Attachment 1 (its box holds about a thousand characters).
MAX_WORK_SUMMARY = 1000
#: The certificate text (证书名称、等级、编号) kept with the levels held.
MAX_QUALIFICATION_TEXT = 100


def edit_problem(stage: Stage | str, *, window_open: bool) -> str | None:
    """Why the applicant may not change the application now (Chinese), or None.

    Changes are allowed in :data:`EDITABLE_STAGES` while the plan's registration window is
    open: the window bounds applying and correcting alike (notice §五(三) "在……时限内").
    """
    stage = Stage(stage)
    if stage not in EDITABLE_STAGES:
        if stage.final:
            return f"申报处于“{stage.label}”，不能再修改。"
        return f"申报已提交（{stage.label}），审核期间不能修改；如被退回，可按审核意见修改后重新提交。"
    if not window_open:
        return "报名时间已结束（或尚未开始），不能新建或修改申报。"
    return None


def unit_fits_region(*, region_is_province: bool, region_id: int, unit_region_id: int,
                     unit_provincial_direct: bool, unit_active: bool = True) -> bool:
    """Whether a unit may recommend an application filed under a region (notice §二(二)).

    A city application goes through a unit of that city to the city centre; a 四川省
    (provincial-direct) application through a 省直备案评价机构, which also does the initial
    review (§二(三)2). Inactive units recommend nobody.
    """
    if not unit_active:
        return False
    if region_is_province:
        return unit_provincial_direct
    return unit_region_id == region_id


@dataclass(frozen=True)
class UploadKind:
    """One material of the application (notice §二(三)1): the ``Application`` column that
    holds it, its Chinese name, whether only an image will do, and whether only a
    高级考评员 application needs it."""

    key: str
    column: str
    label: str
    hint: str
    image_only: bool = False
    senior_only: bool = False


#: The materials, in the order of the notice's list.
UPLOAD_KINDS: tuple[UploadKind, ...] = (
    UploadKind("id_copy", "id_copy_id", "身份证复印件", "正反面，PDF、JPG 或 PNG"),
    UploadKind("certificate_copy", "certificate_copy_id", "职业资格证书或职称证书复印件",
               "与所填职业资格等级或职称一致的证书，PDF、JPG 或 PNG"),
    UploadKind("photo", "photo_id", "照片", "近期免冠证件照，JPG 或 PNG（打印在申报表上）",
               image_only=True),
    UploadKind("card_copy", "card_copy_id", "考评员证卡复印件", "申报高级考评员须提交，PDF、JPG 或 PNG",
               senior_only=True),
    UploadKind("signed_form", "signed_form_id", "签字盖章的申报表扫描件",
               "下载申报表，本人签字、推荐单位盖章后扫描上传，PDF、JPG 或 PNG"),
)


def upload_kinds_for(level: str) -> list[UploadKind]:
    """The materials an application of ``level`` asks for (the card copy only for
    高级考评员, notice §二(三)1 "申报高级考评员的，还须提交考评员资格证卡复印件")."""
    return [k for k in UPLOAD_KINDS if not k.senior_only or level == SENIOR_EXAMINER]


def upload_kind(key: str) -> UploadKind | None:
    """The material called ``key`` (e.g. "photo"), or None."""
    return next((k for k in UPLOAD_KINDS if k.key == key), None)


def duplicate_message(level: str, stage_label: str) -> str:
    """The refusal of a second application for the same plan and level."""
    return (f"您已在本期培训计划中申报了“{level}”（{stage_label}），同一计划同一级别只能申报一次。"
            "请修改原申报，或撤回后再重新申报。")


#: The profile fields Attachment 1 prints, with their names, in the form's order.
PROFILE_PRINTED: tuple[tuple[str, str], ...] = (
    ("gender", "性别"), ("education", "文化程度"), ("employer", "工作单位"),
    ("position", "职务"), ("address", "联系地址"), ("mobile", "联系手机"),
    ("years_worked", "工龄"),
)


def profile_gaps(profile: Mapping[str, object], *, has_photo: bool) -> list[str]:
    """The Attachment 1 boxes the applicant's profile would leave blank (their Chinese names).

    A reminder, not a refusal: 职务 and 专业技术职称 may rightly be empty, so only the
    fields every applicant has are listed, and the photo (the application's or the
    profile's).
    """
    optional = {"position"}
    gaps = [label for key, label in PROFILE_PRINTED
            if key not in optional and profile.get(key) in (None, "")]
    if not has_photo:
        gaps.append("照片")
    return gaps
