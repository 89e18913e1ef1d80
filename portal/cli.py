"""Command-line entry points: ``flask --app app <command>``."""

import click
from flask import Flask


def register(app: Flask) -> None:
    from portal.ops import cli as ops_cli

    ops_cli.register(app)

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Fill an empty database with the demo accounts and data."""
        from portal.setup import database_is_empty

        if not database_is_empty():
            raise click.ClickException("数据库中已有用户，未生成演示数据。")
        from portal.demo.seed import seed_demo

        counts = seed_demo()
        click.echo(f"演示数据已生成：{counts}")

    @app.cli.command("create-admin")
    @click.option("--username", default="admin", show_default=True, help="管理员用户名")
    @click.option("--display-name", default="系统管理员", show_default=True, help="显示姓名")
    @click.password_option("--password", prompt="管理员密码", confirmation_prompt="再次输入密码",
                           help="不给出时交互输入（不回显）")
    def create_admin_command(username, display_name, password):
        """Create the first administrator (prompts for the password)."""
        from sqlalchemy import select

        from portal.auth.models import User
        from portal.auth.rules import password_problems
        from portal.extensions import db
        from portal.users.operations import create_user

        if problems := password_problems(password, username=username):
            raise click.ClickException("；".join(problems))
        if db.session.scalar(select(User.id).where(User.username == username)):
            raise click.ClickException(f"用户 {username} 已存在，未作改动。")
        user = create_user(username=username, display_name=display_name, phone="",
                           roles={"admin"}, region_id=None, organisation_id=None,
                           password=password)
        user.set_password(password, temporary=False)  # chosen at the console, not handed over
        db.session.commit()
        click.echo(f"已创建管理员 {username}。")

    @app.cli.command("upgrade")
    def upgrade_command():
        """Apply pending database migrations (never drops data)."""
        from portal.setup import upgrade_database

        upgrade_database()
        click.echo("数据库已是最新版本")

    from portal.cards.cli import cards_cli

    app.cli.add_command(cards_cli)
