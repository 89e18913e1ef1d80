"""In a real browser: the registry searches as the officer types (the results are swapped in,
the page is not reloaded, the URL keeps the filters), status chips and sort headers work, and
a Chengdu officer never sees a Mianyang examiner."""

import pytest
from browser_helpers import log_in
from factories import create_card, create_person, create_user

pytestmark = pytest.mark.browser


def result_names(page) -> list[str]:
    return page.locator("#registry-results tbody td:first-child a").all_inner_texts()


def test_typing_a_name_prefix_updates_the_results_without_reload(page, live_server):
    create_user("cd1", ["city"], city="成都市", display_name="成都经办")
    for seq, name in enumerate(["张伟", "张敏", "李强", "王芳"], start=11):
        create_card(create_person(name, seq=seq), number=f"川考评-2025-{seq:06d}")
    create_card(create_person("张绵阳", "绵阳市", seq=20), number="川考评-2025-000020")
    log_in(page, live_server, "cd1")
    page.get_by_role("link", name="考评员名册").click()
    page.wait_for_url(f"{live_server}/registry/")
    assert sorted(result_names(page)) == sorted(["张伟", "张敏", "李强", "王芳"])
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    page.get_by_label("姓名").press_sequentially("张", delay=50)
    page.wait_for_url("**/registry/?*name=%E5%BC%A0*")
    page.locator("#registry-results").get_by_text("李强").wait_for(state="detached")
    assert sorted(result_names(page)) == ["张伟", "张敏"]  # never 张绵阳 (绵阳市)
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_label("姓名").press_sequentially("敏", delay=50)
    page.locator("#registry-results").get_by_text("张伟").wait_for(state="detached")
    assert result_names(page) == ["张敏"]
    assert page.evaluate("window.__sameDocument") is True

    page.reload()  # the URL alone gives the same page
    assert page.get_by_label("姓名").input_value() == "张敏"
    assert result_names(page) == ["张敏"]


def test_status_chips_and_sort_headers_swap_the_results(page, live_server):
    create_user("sheng1", ["province"], display_name="省经办")
    create_card(create_person("甲有卡", seq=31), number="川考评-2025-000031")
    create_card(create_person("乙有卡", seq=32), number="川考评-2025-000032")
    create_person("丙无卡", seq=33)
    log_in(page, live_server, "sheng1")
    page.goto(f"{live_server}/registry/")
    page.evaluate("window.__sameDocument = true")
    page.locator("label.chip", has_text="无证卡").click()
    page.locator("#registry-results").get_by_text("甲有卡").wait_for(state="detached")
    assert result_names(page) == ["丙无卡"]
    page.locator("label.chip", has_text="全部").click()
    page.locator("#registry-results").get_by_text("甲有卡").wait_for()
    page.locator("#registry-results th a", has_text="证卡编号").click()
    page.wait_for_url("**sort=card*")
    page.locator("#registry-results th a", has_text="证卡编号").click()
    page.wait_for_url("**sort=-card*")
    assert result_names(page)[:2] == ["乙有卡", "甲有卡"]
    assert page.locator("#registry-sort").input_value() == "-card"
    page.get_by_label("姓名").press_sequentially("甲", delay=50)
    page.locator("#registry-results").get_by_text("乙有卡").wait_for(state="detached")
    assert "sort=-card" in page.url  # typing keeps the chosen order
    assert page.evaluate("window.__sameDocument") is True
