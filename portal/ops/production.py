"""What production mode (``PORTAL_ENV=production``) refuses to start with.

A self-hosted portal is often started by hand by one IT person; these checks turn the two
mistakes that silently make it unsafe into a clear message at start-up instead.
"""

from __future__ import annotations

MIN_SECRET_LENGTH = 32
#: Secrets seen in examples, tests and tutorials.
KNOWN_SECRETS = frozenset({"dev", "secret", "changeme", "change-me", "test-secret",
                           "replace-me", "please-change-me"})


class UnsafeConfiguration(RuntimeError):
    """Production mode with a setting that must not reach production."""


def problems(config: dict, *, secret_from_environment: bool) -> list[str]:
    """The reasons (Chinese, then English) why ``config`` must not serve in production."""
    found = []
    secret = str(config.get("SECRET_KEY") or "")
    if (not secret_from_environment or len(secret) < MIN_SECRET_LENGTH
            or secret.lower() in KNOWN_SECRETS):
        found.append(
            f"生产模式必须用环境变量 SECRET_KEY 设置至少 {MIN_SECRET_LENGTH} 个字符的随机密钥"
            "（如 python -c 'import secrets; print(secrets.token_hex(32))'），多台服务器用同一个值。"
            f" / Production needs SECRET_KEY from the environment, at least {MIN_SECRET_LENGTH}"
            " random characters, the same on every server.")
    if config.get("DEBUG"):
        found.append("生产模式不能开启调试（FLASK_DEBUG）。 / Debug must be off in production.")
    return found


def check(config: dict, *, secret_from_environment: bool) -> None:
    """Raise :class:`UnsafeConfiguration` listing every problem, if there is any."""
    if found := problems(config, secret_from_environment=secret_from_environment):
        raise UnsafeConfiguration("拒绝以生产模式启动：\n" + "\n".join(found))
