"""Command-line entry points: ``flask --app app <command>``."""

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Fill an empty database with the demo accounts and data."""
        from portal.setup import database_is_empty

        if not database_is_empty():
            raise click.ClickException("数据库中已有用户，未生成演示数据。")
        from portal.demo.seed import seed_demo

        counts = seed_demo()
        click.echo(f"演示数据已生成：{counts}")

    @app.cli.command("upgrade")
    def upgrade_command():
        """Apply pending database migrations (never drops data)."""
        from portal.setup import upgrade_database

        upgrade_database()
        click.echo("数据库已是最新版本")
