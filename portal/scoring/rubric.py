"""The examiner evaluation rubric (notice Attachment 4, 考评员考评工作评价记录表) and its
scoring rules: rater totals, the final score, the grade and the blind-scoring flag.

Rubrics are versioned, immutable data.  :data:`RUBRIC_2021` is the form exactly as published,
including its misprint in item 4; a sheet stores :meth:`Rubric.to_snapshot` of the rubric it
was started with, so a later version never rewrites old sheets (DESIGN.md "Rubric").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

__all__ = [
    "GRADE_BANDS",
    "GRADE_NOTE",
    "GRADES",
    "LEVELS",
    "RUBRIC_2021",
    "Rubric",
    "RubricItem",
    "final_score",
    "grade",
    "grade_bands_differ",
    "rater_total",
]

#: The four levels of the evaluation scale (评价尺度), best first.
LEVELS: tuple[str, ...] = ("A", "B", "C", "D")

#: Grade bands of Attachment 4 note 2, best first: (grade, lowest final score in the band).
#: "85分及以上为优；71分—84分为良；57分—70分为中；56分及以下为差".
GRADE_BANDS: tuple[tuple[str, int], ...] = (("优", 85), ("良", 71), ("中", 57), ("差", 0))

#: The grades, best first.
GRADES: tuple[str, ...] = tuple(name for name, _ in GRADE_BANDS)

#: Printed next to the grade on the sheet: the band is decided by the exact mean.
GRADE_NOTE = "按平均分下限判定，不四舍五入"


@dataclass(frozen=True)
class RubricItem:
    """One row of the rubric: its number, the published text and the points per level.

    ``points`` maps every level of :data:`LEVELS` to its points and is stored read-only.
    ``published_anomaly`` is a note shown with the item when the published form is
    questionable but kept as published (item 4 of the 2021 form).
    """

    number: int
    text: str
    points: Mapping[str, int]
    published_anomaly: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.number, bool) or not isinstance(self.number, int) or self.number < 1:
            raise ValueError(f"rubric item number must be a positive int, got {self.number!r}")
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError(f"rubric item {self.number} needs its text")
        points = dict(self.points)
        if set(points) != set(LEVELS):
            raise ValueError(
                f"rubric item {self.number} must give points for exactly {LEVELS}, "
                f"got {sorted(points)}"
            )
        for level in LEVELS:
            value = points[level]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"rubric item {self.number} level {level}: points must be an int ≥ 0, "
                    f"got {value!r}"
                )
        # Read-only view in level order, so the item is truly immutable.
        object.__setattr__(
            self, "points", MappingProxyType({level: points[level] for level in LEVELS})
        )

    def __hash__(self) -> int:  # MappingProxyType is unhashable; hash its content instead
        return hash((self.number, self.text, tuple(self.points.items()), self.published_anomaly))

    @property
    def max_points(self) -> int:
        return max(self.points.values())

    @property
    def min_points(self) -> int:
        return min(self.points.values())


@dataclass(frozen=True)
class Rubric:
    """A versioned rubric: its ``version`` label and its items in number order."""

    version: str
    items: tuple[RubricItem, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not self.version.strip():
            raise ValueError("a rubric needs a version label")
        items = tuple(self.items)
        if not items:
            raise ValueError("a rubric needs at least one item")
        if not all(isinstance(item, RubricItem) for item in items):
            raise TypeError("rubric items must be RubricItem instances")
        numbers = [item.number for item in items]
        if numbers != sorted(set(numbers)):
            raise ValueError(f"rubric item numbers must be unique and ascending, got {numbers}")
        object.__setattr__(self, "items", items)

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(item.number for item in self.items)

    def item(self, number: int) -> RubricItem:
        """The item with this number (KeyError if there is none)."""
        for item in self.items:
            if item.number == number:
                return item
        raise KeyError(number)

    @property
    def max_total(self) -> int:
        """The best possible rater total (all A)."""
        return sum(item.max_points for item in self.items)

    @property
    def min_total(self) -> int:
        """The lowest possible rater total once every item is scored (all D)."""
        return sum(item.min_points for item in self.items)

    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable copy of this rubric, stored with each sheet."""
        return {
            "version": self.version,
            "items": [
                {
                    "number": item.number,
                    "text": item.text,
                    "points": dict(item.points),
                    "published_anomaly": item.published_anomaly,
                }
                for item in self.items
            ],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Rubric:
        """Rebuild a rubric from :meth:`to_snapshot` output (e.g. after a JSON round trip)."""
        return cls(
            version=data["version"],
            items=tuple(
                RubricItem(
                    number=item["number"],
                    text=item["text"],
                    points=item["points"],
                    published_anomaly=item.get("published_anomaly"),
                )
                for item in data["items"]
            ),
        )


def _points(a: int, b: int, c: int, d: int) -> dict[str, int]:
    return dict(zip(LEVELS, (a, b, c, d), strict=True))


_ITEM_4_ANOMALY = "原表C档印为6分（与B档相同），按原表保留"

#: Attachment 4 of the notice exactly as published (items 1–9 and 13–14: 7/6/5/4, items 10–12:
#: 6/5/4/3, item 15: 5/4/3/2; item 4 prints C as 6 and is kept so, marked as an anomaly).
#: A-sum 100, D-sum 55.
RUBRIC_2021 = Rubric(
    version="2021",
    items=(
        RubricItem(
            1, "熟悉考评职业的职业标准和考评的项目、内容、要求及评分标准。", _points(7, 6, 5, 4)
        ),
        RubricItem(2, "考前对考核现场、设备、材料、工具和检测仪器进行核查。", _points(7, 6, 5, 4)),
        RubricItem(3, "佩带考评人员证卡，考场作风严谨。", _points(7, 6, 5, 4)),
        RubricItem(4, "独立完成考评任务，履行考评职责。", _points(7, 6, 6, 4), _ITEM_4_ANOMALY),
        RubricItem(5, "严格执行工作规程和考场规则。", _points(7, 6, 5, 4)),
        RubricItem(6, "严格执行评分标准，评分客观、准确。", _points(7, 6, 5, 4)),
        RubricItem(7, "严格按照规定的考核方式、方法和评分标准。", _points(7, 6, 5, 4)),
        RubricItem(8, "考评中发生人员伤害和设备损毁能采取紧急处置措施。", _points(7, 6, 5, 4)),
        RubricItem(9, "忠于职守、公道正派，清正廉洁。", _points(7, 6, 5, 4)),
        RubricItem(10, "自觉执行回避制度。", _points(6, 5, 4, 3)),
        RubricItem(11, "自觉执行轮换制度。", _points(6, 5, 4, 3)),
        RubricItem(12, "自觉遵守保密规定。", _points(6, 5, 4, 3)),
        RubricItem(13, "政策水平和专业水平符合技能人才评价工作要求。", _points(7, 6, 5, 4)),
        RubricItem(14, "具有良好的职业道德水准和敬业精神。", _points(7, 6, 5, 4)),
        RubricItem(15, "自觉接受有关部门和人员的监督。", _points(5, 4, 3, 2)),
    ),
)


def rater_total(levels: Mapping[int, str | None], rubric: Rubric = RUBRIC_2021) -> int | None:
    """One rater's column total (合计) on Attachment 4: the sum of the points of the levels
    chosen for every item.

    ``levels`` maps item numbers to a level of :data:`LEVELS`; an item that is absent or
    mapped to None is not scored yet, and the total is None until all items are scored
    (DESIGN.md "Scores": no partial totals that could be mistaken for a result).  Raises
    ValueError for an item number the rubric does not have or a level outside A–D (checked
    even while the column is incomplete).
    """
    numbers = set(rubric.numbers)
    for number, level in levels.items():
        if isinstance(number, bool) or number not in numbers:
            raise ValueError(f"rubric {rubric.version} has no item {number!r}")
        if level is not None and level not in LEVELS:
            raise ValueError(f"unknown level {level!r} for item {number}; expected one of {LEVELS}")
    total = 0
    for item in rubric.items:
        level = levels.get(item.number)
        if level is None:
            return None
        total += item.points[level]
    return total


def _check_total(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"a rater total must be an int, got {type(value).__name__}")
    return value


_ONE_DECIMAL = Decimal("0.1")


def final_score(total_1: int | None, total_2: int | None) -> Decimal | None:
    """The final score (最终评价分数): the mean of the two raters' totals (Attachment 4
    note 1: "取质量督导员、评价机构平均得分为最终评价分数").

    Kept exact as a Decimal with one decimal place — always ``x.0`` or ``x.5``, e.g.
    ``final_score(84, 85) == Decimal("84.5")`` and ``final_score(84, 84)`` is
    ``Decimal("84.0")`` (which equals ``Decimal("84")`` and ``84``).  None while either column
    is incomplete.  Totals must be ints (TypeError otherwise).
    """
    if total_1 is None or total_2 is None:
        return None
    mean = (Decimal(_check_total(total_1)) + Decimal(_check_total(total_2))) / 2
    return mean.quantize(_ONE_DECIMAL)  # exact: a half-integer needs one decimal place


def grade(score: int | Decimal) -> str:
    """The grade (等次) of a final score by Attachment 4 note 2, without rounding.

    ≥ 85 优, ≥ 71 良, ≥ 57 中, otherwise 差.  The notice names integer bands
    (71分—84分为良 …) while the mean of two totals can end in .5; we decide by the lower bound
    of each band and never round (DESIGN.md "Scores", :data:`GRADE_NOTE`), so 84.5 is 良,
    70.5 is 中 and 56.5 is 差.

    Accepts an int or a finite Decimal.  Floats are rejected with TypeError: a float such as
    84.99999999 from an earlier division would silently land in the wrong band; compute scores
    with :func:`final_score`.
    """
    if isinstance(score, bool) or not isinstance(score, int | Decimal):
        raise TypeError(f"a score must be an int or a Decimal, got {type(score).__name__}")
    if isinstance(score, Decimal) and not score.is_finite():
        raise ValueError(f"a score must be a finite number, got {score}")
    for name, lowest in GRADE_BANDS[:-1]:
        if score >= lowest:
            return name
    return GRADE_BANDS[-1][0]


def grade_bands_differ(total_1: int | None, total_2: int | None) -> bool:
    """True when the two raters' own totals fall in different grade bands.

    Used by blind double scoring (DESIGN.md "Beyond the notice") to flag a final score whose
    raters disagree about the grade, e.g. 86 (优) and 80 (良).  False while either total is
    None — there is nothing to compare yet.
    """
    if total_1 is None or total_2 is None:
        return False
    return grade(_check_total(total_1)) != grade(_check_total(total_2))
