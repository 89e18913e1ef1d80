"""Import from the old system (issue 5), the pure part: reading the template's rows, dates,
occupations, and judging rows against what the portal holds — no app, no database."""

from datetime import date

import pytest

from portal.card_import import rules
from portal.card_import.rules import (
    CardRow,
    Known,
    KnownCard,
    KnownPerson,
    find_occupation,
    parse_date,
    rows_from_table,
    validate,
)
from portal.cards.models import CARD_LEVELS
from portal.people.idcard import make_id_number
from portal.workdays import Deadline
from portal.xlsx_read import ImportFileError

pytestmark = pytest.mark.pure  # no app, no database: skips the per-test cleanup

TODAY = date(2026, 11, 28)
ID_A = make_id_number("510104", date(1980, 5, 6), 11)  # a man
ID_B = make_id_number("510703", date(1975, 1, 2), 22)  # a woman
OCCUPATIONS = {"电工": (1, "电工"), "6-31-01-03": (1, "电工"),
               "焊工": (2, "焊工"), "6-18-02-04": (2, "焊工")}
KNOWN = Known(regions={"成都市": 10, "绵阳市": 11, "四川省": 1}, occupations=OCCUPATIONS,
              organisations={"成都天府职业技能评价中心": 7})


def card_row(row=5, **kw) -> CardRow:
    fields = {"name": "张三", "gender": "男", "id_number": ID_A, "city": "成都市",
              "employer": "某公司", "mobile": "13800001234", "occupation": "电工",
              "level": "考评员", "number": "旧-2024-0001", "issued_on": "2024-05-06",
              "collected_on": "2024-06-03", **kw}
    return CardRow(row, **fields)


def known(**kw) -> Known:
    return Known(**{**KNOWN.__dict__, **kw})


def statuses(plan):
    return [r.status for r in plan.results]


# --- reading ------------------------------------------------------------------------------------
def test_levels_agree_with_the_card_model():
    assert rules.LEVELS == CARD_LEVELS
    assert len(rules.HEADERS) == len(rules.FIELDS) == len(rules.EXAMPLE_ROW) \
        == len(rules.TEMPLATE_WIDTHS)


def test_rows_are_found_under_the_instructions_in_any_column_order():
    headers = list(rules.HEADERS)
    headers[0], headers[8] = headers[8], headers[0]  # 证卡编号 first, 姓名 ninth
    values = list(rules.EXAMPLE_ROW)
    values[0], values[8] = values[8], values[0]
    table = [["考评员证卡历史数据导入模板"], ["填写说明：……"], headers, values,
             [None] * 11, ["旧-1", "男", ID_B, "绵阳市", "", "", "焊工", "高级考评员", "王五",
                           "2024/3/1", None]]
    example, parsed = rows_from_table(table)
    assert example.number == rules.EXAMPLE_NUMBER and example.row == 4
    assert (parsed.row, parsed.name, parsed.number, parsed.issued_on) == (6, "王五", "旧-1",
                                                                          "2024/3/1")


def test_an_id_number_stored_as_a_number_is_flagged():
    table = [list(rules.HEADERS), ["张三", "男", 510104198005060000, "成都市"]]
    [row] = rows_from_table(table)
    assert row.id_was_number and row.id_number == "510104198005060000"
    plan = validate([row], KNOWN, today=TODAY)
    assert rules.E_ID_AS_NUMBER in plan.results[0].errors


@pytest.mark.parametrize("table, message", [
    ([["姓名", "证卡"], ["张三", "X"]], "没有找到模板的表头"),
    ([list(rules.HEADERS[:-1])], "表头缺少以下列：领取日期"),
])
def test_a_sheet_without_the_template_header_is_refused(table, message):
    with pytest.raises(ImportFileError, match=message):
        rows_from_table(table)


def test_a_sheet_with_too_many_rows_is_refused(monkeypatch):
    monkeypatch.setattr(rules, "MAX_ROWS", 3)
    table = [list(rules.HEADERS)] + [["张三"]] * 4
    with pytest.raises(ImportFileError, match="一次最多导入 3 行"):
        rows_from_table(table)


@pytest.mark.parametrize("text, expected", [
    ("2023-05-06", date(2023, 5, 6)), ("2023/5/6", date(2023, 5, 6)),
    ("2023.05.06", date(2023, 5, 6)), ("2023年5月6日", date(2023, 5, 6)),
    ("２０２３－０５－０６", date(2023, 5, 6)), ("2023-05-06T08:30:00", date(2023, 5, 6)),
    ("2023-05-06 00:00:00", date(2023, 5, 6)), ("20230506", date(2023, 5, 6)),
    ("45052", date(2023, 5, 6)),  # an Excel serial: a date cell formatted as a number
])
def test_dates_are_read_in_the_forms_people_type(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2023-02-30", "2023-13-01", "去年", "05/06/2023", "123",
                                  "2023-5", ""])
def test_impossible_or_unclear_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize("text, expected", [
    ("电工", (1, "电工")), ("6-31-01-03", (1, "电工")), ("6-31-01-03 电工", (1, "电工")),
    ("电工（6-31-01-03）", (1, "电工")), ("电工(6-31-01-03)", (1, "电工")),
    ("6-18-02-04 电工", None),  # code and name disagree
    ("电焊工", None), ("", None),
])
def test_occupations_by_name_or_code(text, expected):
    assert find_occupation(text, OCCUPATIONS) == expected


# --- judging ------------------------------------------------------------------------------------
def test_a_good_row_plans_a_new_person_and_an_imported_card():
    plan = validate([card_row()], KNOWN, today=TODAY)
    assert plan.ok and statuses(plan) == ["import"]
    [person] = plan.new_persons
    assert person.fields == {"name": "张三", "id_number": ID_A, "region_id": 10,
                             "employer": "某公司", "mobile": "13800001234",
                             "organisation_id": None, "gender": "男"}
    [card] = plan.cards
    assert (card.number, card.occupation_id, card.level, card.issued_on, card.collected_on) \
        == ("旧-2024-0001", 1, "考评员", date(2024, 5, 6), date(2024, 6, 3))
    assert plan.results[0].card_status.value == "有效"
    assert plan.summary() == {"rows": 1, "persons_created": 1, "persons_updated": 0,
                              "persons_reused": 0, "cards_created": 1, "skipped": 0}


def test_a_person_with_several_cards_is_created_once():
    rows = [card_row(5), card_row(6, number="旧-2023-0002", occupation="焊工", gender="",
                                  employer="另一公司")]
    plan = validate(rows, KNOWN, today=TODAY)
    assert plan.ok and len(plan.new_persons) == 1 and len(plan.cards) == 2
    assert plan.results[1].notes == ["人员资料以第 5 行为准"]


def test_an_employer_that_is_a_registered_unit_links_the_person_to_it():
    plan = validate([card_row(employer="成都天府职业技能评价中心")], KNOWN, today=TODAY)
    assert plan.new_persons[0].fields["organisation_id"] == 7


def test_a_blank_gender_is_left_to_the_id_number():
    plan = validate([card_row(gender="")], KNOWN, today=TODAY)
    assert plan.ok and "gender" not in plan.new_persons[0].fields


def test_an_existing_person_is_reused_and_only_blank_fields_are_filled():
    person = KnownPerson(42, "张三", "成都市", employer="原单位", mobile="")
    plan = validate([card_row()], known(persons={ID_A: person}), today=TODAY)
    assert plan.ok and plan.new_persons == [] and plan.reused_persons == 1
    assert [(f.person_id, dict(f.changes)) for f in plan.fills] == [
        (42, {"mobile": "13800001234"})]
    assert plan.results[0].notes == ["工作单位与系统中的不同，保留系统中的“原单位”"]


def _existing_card(**kw):
    fields = {"number": "旧-2024-0001", "holder_id_number": ID_A, "holder_name": "张三",
              "occupation_id": 1, "occupation": "电工", "level": "考评员",
              "issued_on": date(2024, 5, 6), "collected_on": date(2024, 6, 3), **kw}
    return KnownCard(**fields)


def test_a_card_already_there_with_the_same_data_is_skipped():
    person = KnownPerson(42, "张三", "成都市", "某公司", "13800001234")
    world = known(persons={ID_A: person}, cards={"旧-2024-0001": _existing_card()})
    plan = validate([card_row()], world, today=TODAY)
    assert plan.ok and statuses(plan) == ["skip"] and plan.cards == [] and plan.fills == []
    assert plan.results[0].status_label == "已存在，跳过"
    # A card collected in the portal since: a row without a collection date still matches.
    plan = validate([card_row(collected_on="")], world, today=TODAY)
    assert statuses(plan) == ["skip"]


@pytest.mark.parametrize("change, message", [
    ({"issued_on": "2024-05-07"}, "发证日期（系统中为2024年5月6日）"),
    ({"level": "高级考评员"}, "证卡级别（系统中为考评员）"),
    ({"occupation": "焊工"}, "职业（工种）（系统中为电工）"),
    ({"collected_on": "2024-06-04"}, "领取日期（系统中为2024年6月3日）"),
])
def test_a_card_already_there_with_other_data_is_an_error(change, message):
    person = KnownPerson(42, "张三", "成都市", "某公司", "13800001234")
    world = known(persons={ID_A: person}, cards={"旧-2024-0001": _existing_card()})
    plan = validate([card_row(**change)], world, today=TODAY)
    assert not plan.ok
    assert plan.results[0].errors == ["证卡编号已存在，但与系统中的记录不一致：" + message]


def test_one_bad_row_means_nothing_is_planned():
    plan = validate([card_row(5), card_row(6, number="旧-2", city="重庆市")], KNOWN,
                    today=TODAY)
    assert not plan.ok and statuses(plan) == ["import", "error"]
    assert plan.new_persons == [] and plan.cards == [] and plan.fills == []


def test_the_example_row_is_ignored_and_a_file_of_only_the_example_is_not_ok():
    example = CardRow(4, *rules.EXAMPLE_ROW)
    plan = validate([example], KNOWN, today=TODAY)
    assert statuses(plan) == ["example"] and not plan.ok and plan.data_rows == 0
    plan = validate([example, card_row()], KNOWN, today=TODAY)
    assert plan.ok and statuses(plan) == ["example", "import"] and plan.data_rows == 1


def test_notes_about_the_collection_deadline():
    def deadline_for(issued):
        return Deadline(date(2024, 8, 2), provisional=False)

    plan = validate([card_row(collected_on="")], KNOWN, today=TODAY, deadline_for=deadline_for)
    assert plan.ok and plan.results[0].card_status.value == "待领取"
    assert plan.results[0].notes == [
        "未填写领取日期，领取期限（2024年8月2日）已过：导入后将按规定作废（连续两次作废将取消申报资格）"]
    plan = validate([card_row(collected_on="2024-09-02")], KNOWN, today=TODAY,
                    deadline_for=deadline_for)
    assert plan.results[0].notes == ["领取日期晚于领取期限（2024年8月2日），按旧系统记录导入为已领取"]
    provisional = validate([card_row(collected_on="")], KNOWN, today=TODAY,
                           deadline_for=lambda d: Deadline(date(2024, 8, 2), True))
    assert provisional.results[0].notes == []


BAD_ID = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")


@pytest.mark.parametrize("change, message", [
    ({"id_number": BAD_ID}, "身份证号码校验位不正确"),
    ({"id_number": "510104198002300011"}, "身份证号码中的出生日期无效（19800230不是有效日期）"),
    ({"id_number": "51010419800506"}, "身份证号码应为18位（当前为14位）"),
    ({"id_number": ""}, "未填写身份证号码"),
    ({"name": ""}, "请填写姓名"),
    ({"gender": "女"}, "性别与身份证号码不符"),
    ({"gender": "M"}, "性别只能填写“男”或“女”（填的是“M”）"),
    ({"mobile": "1380000123"}, "联系手机：手机号码应为11位数字"),
    ({"city": "成都"}, rules.E_CITY),
    ({"city": ""}, "未填写所在城市"),
    ({"occupation": "电焊工"}, rules.E_OCCUPATION + "：“电焊工”"),
    ({"level": "高级"}, rules.E_LEVEL),
    ({"number": ""}, rules.E_NO_NUMBER),
    ({"number": "旧 2023"}, rules.E_NUMBER_SPACE),
    ({"number": "X" * 31}, rules.E_NUMBER_LONG),
    ({"issued_on": ""}, rules.E_NO_ISSUED),
    ({"issued_on": "去年五月"}, "发证日期“去年五月”无法识别"),
    ({"issued_on": "2026-12-01", "collected_on": ""}, "发证日期不能晚于今天（填的是 2026年12月1日）"),
    ({"collected_on": "2026-11-29"}, "领取日期不能晚于今天"),
    ({"collected_on": "2024-05-05"}, "领取日期不能早于发证日期（2024年5月6日）"),
    ({"collected_on": "2024-06-31"}, "领取日期“2024-06-31”无法识别"),
])
def test_each_row_error_in_chinese(change, message):
    plan = validate([card_row(**change)], KNOWN, today=TODAY)
    assert not plan.ok
    assert any(e.startswith(message) for e in plan.results[0].errors), plan.results[0].errors


def test_a_duplicate_card_number_within_the_file():
    plan = validate([card_row(5), card_row(6, id_number=ID_B, name="李四", gender="女")],
                    KNOWN, today=TODAY)
    assert plan.results[1].errors == ["证卡编号与第 5 行重复"]


def test_a_card_number_of_another_holder():
    world = known(cards={"旧-2024-0001": _existing_card(holder_id_number=ID_B,
                                                       holder_name="李四")})
    plan = validate([card_row()], world, today=TODAY)
    assert plan.results[0].errors == ["证卡编号已存在，属于系统中的“李四”"]


def test_an_id_number_of_a_person_with_another_name():
    world = known(persons={ID_A: KnownPerson(42, "张山", "成都市", "", "")})
    plan = validate([card_row()], world, today=TODAY)
    assert plan.results[0].errors == ["身份证号码已登记在系统中的“张山”名下，与本行姓名不一致"]


def test_the_same_id_number_with_two_names_in_the_file():
    plan = validate([card_row(5), card_row(6, number="旧-2", name="张叁")], KNOWN, today=TODAY)
    assert plan.results[1].errors == ["与第 5 行身份证号码相同，但姓名不同"]


def test_an_unknown_region_code_is_only_a_note():
    odd = make_id_number("519999", date(1980, 5, 6), 11)
    plan = validate([card_row(id_number=odd)], KNOWN, today=TODAY)
    assert plan.ok and plan.results[0].notes == [
        "身份证号码前 6 位“519999”不在行政区划代码表中，请核对（不影响导入）"]
