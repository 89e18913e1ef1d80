"""What a person does in the browser, shared by the browser tests."""

from factories import PASSWORD


def log_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
