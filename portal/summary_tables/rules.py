"""Attachment 2 as pure data and functions (no Flask, no database): its title and columns,
how a table is numbered, and when a table may go to the province.

Notice §二(三)2: the initial reviewer "制作《四川省技能人才评价考评员资格培训（复核）汇总表》
（附件2）盖章装订成册，统一上报"; §三(四)3: for renewal "将初审合格人员按照系统提示生成汇总表，加盖
公章后报省职鉴中心". The same form serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ATTACHMENT2_COLUMNS",
    "ATTACHMENT2_HEADERS",
    "ATTACHMENT2_TITLE",
    "Column",
    "OLD_CARD_COLUMN",
    "fit_widths",
    "office_code",
    "send_problems",
    "table_number",
]

ATTACHMENT2_TITLE = "四川省技能人才评价考评员资格培训（复核）汇总表"


@dataclass(frozen=True)
class Column:
    """One column of the printed table: its heading, its share of the PDF's width (percent,
    before :func:`fit_widths`), its XLSX width (Excel units) and how the PDF aligns it
    (``center``, ``idno`` for long digit strings, or left)."""

    header: str
    pdf_width: float
    xlsx_width: int
    style: str = ""


#: The columns of Attachment 2, in the notice's order and wording.
ATTACHMENT2_COLUMNS: tuple[Column, ...] = (
    Column("序号", 4, 6, "center"),
    Column("工作单位", 13, 24),
    Column("姓名", 7, 10, "center"),
    Column("性别", 4, 6, "center"),
    Column("身份证号码", 14, 21, "idno"),
    Column("文化程度", 7, 12, "center"),
    Column("现职业资格(专业技术职务)", 15, 24),
    Column("申报考评职业(工种)", 12, 22),
    Column("联系电话", 10, 14),
    Column("通讯地址", 14, 30),
)
ATTACHMENT2_HEADERS: tuple[str, ...] = tuple(c.header for c in ATTACHMENT2_COLUMNS)

#: Added after the form's ten columns on a renewal table: the card being renewed, which the
#: province's approval supersedes (a holder may hold cards of several occupations).
OLD_CARD_COLUMN = Column("原证卡编号", 12, 20, "idno")


def fit_widths(columns: tuple[Column, ...] | list[Column]) -> list[float]:
    """The PDF widths of ``columns`` (percent, one decimal) filling the page: the ten columns
    of the form keep their widths; with a column added, the ``idno`` columns (ID and card
    numbers, which must not wrap) keep theirs and the others narrow in proportion."""
    total = sum(c.pdf_width for c in columns)
    fixed = sum(c.pdf_width for c in columns if c.style == "idno")
    scale = (100 - fixed) / (total - fixed)
    return [c.pdf_width if c.style == "idno" else round(c.pdf_width * scale, 1)
            for c in columns]


def office_code(region_code: str, reviewer_org_id: int | None) -> str:
    """The part of a summary-table number naming the reviewing office: the city's region
    code, or ``S`` and the institution's id for a provincial-direct institution (several
    institutions share the 四川省 region)."""
    return region_code if reviewer_org_id is None else f"S{reviewer_org_id:05d}"


def table_number(year: int, office: str, seq: int, prefix: str = "HZ") -> str:
    """A summary table's number, unique in the portal: ``HZ2026-510100-003`` is the third
    qualification table of the plan year 2026 from the office ``510100``; renewal tables
    use the prefix ``FH`` (复核), so the two kinds never share a number."""
    return f"{prefix}{year}-{office}-{seq:03d}"


def send_problems(*, has_scan: bool, sent: bool, count: int, not_approved: int,
                  approved_label: str, noun: str = "申报") -> list[str]:
    """Why a summary table cannot go to the province yet (empty: it may).

    It goes with its stamped scan ("盖章装订成册，统一上报"), and every one of its ``count``
    applications must still be approved and waiting (``not_approved`` are not, i.e. not in
    the stage called ``approved_label``). ``noun`` names them (申报, 申请).
    """
    if sent:
        return ["该汇总表已报送省职鉴中心"]
    problems = []
    if not count:
        problems.append(f"汇总表中没有{noun}")
    if not has_scan:
        problems.append("请先上传加盖公章的汇总表扫描件")
    if not_approved:
        problems.append(f"汇总表中有 {not_approved} 份{noun}已不处于“{approved_label}”")
    return problems
