"""Operator commands: ``flask --app app backup`` and ``flask --app app restore``."""

from pathlib import Path

import click
from flask import Flask, current_app

from portal.ops import backup


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path),
                  help="备份存放目录（默认 BACKUP_DIR 或 instance/backups）")
    @click.option("--keep", type=click.IntRange(min=0), default=0,
                  help="只保留最新的 N 份备份（0 = 全部保留）")
    def backup_command(target: Path | None, keep: int):
        """Back up the database and the uploaded files (safe while the portal runs)."""
        target = target or Path(current_app.config["BACKUP_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        try:
            folder = backup.create_backup(target)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        manifest = backup.read_manifest(folder)
        click.echo(f"已备份到 {folder}：{len(manifest['row_counts'])} 张表、"
                   f"{sum(manifest['row_counts'].values())} 行、{len(manifest['files'])} 个上传文件。")
        for old in backup.prune(target, keep):
            click.echo(f"已删除旧备份 {old}")

    @app.cli.group("jobs")
    def jobs_group():
        """Scheduled jobs (run daily from cron or a systemd timer)."""

    @jobs_group.command("daily")
    def daily_command():
        """Run every daily job for today; safe to run twice. Exit status 1 if one failed."""
        from portal.ops.jobs import run_daily
        from portal.timeutil import local_today

        failed = False
        for job, summary, ok in run_daily(local_today()):
            click.echo(f"[{'完成' if ok else '失败'}] {job.label}：{summary}", err=not ok)
            failed = failed or not ok
        if failed:
            raise click.exceptions.Exit(1)

    @app.cli.command("restore")
    @click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def restore_command(folder: Path):
        """Restore a backup into an empty instance, then verify every row count and file."""
        try:
            report = backup.restore_backup(folder)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"校验：{report.tables_checked} 张表的行数、{report.files_checked} 个文件的 SHA-256。")
        if not report.ok:
            for problem in report.problems:
                click.echo(f"  不符：{problem}", err=True)
            raise click.ClickException("恢复后的数据与备份不一致，请勿投入使用。")
        click.echo("恢复完成，全部一致。")
