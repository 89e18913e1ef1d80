"""``flask --app app cards ...``: the card commands run by cron (see deploy/)."""

from datetime import date

import click
from flask.cli import AppGroup

from portal.timeutil import cn_date, local_today

cards_cli = AppGroup("cards", help="考评员证卡：每日清理等。")


@cards_cli.command("sweep")
@click.option("--today", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="按哪一天清理（YYYY-MM-DD，默认今天；不能晚于今天）。")
def sweep_command(as_of) -> None:
    """Void the cards not collected within 60 working days and ban the persons with two
    consecutive voided cards (notice §五(一)). Safe to run more than once a day."""
    from portal.cards.operations import sweep
    from portal.dbutil import begin_write
    from portal.extensions import db

    today: date = as_of.date() if as_of else local_today()
    if today > local_today():
        raise click.BadParameter("不能按未来的日期清理证卡", param_hint="--today")
    begin_write()
    result = sweep(today)
    db.session.commit()
    for card in result.voided:
        click.echo(f"作废 {card.number} {card.person.name}：领取截止 "
                   f"{cn_date(card.collection_deadline)}，{cn_date(card.voided_on)} 起作废")
    for ban in result.bans:
        click.echo(f"禁止申报 {ban.person.name}：连续两次未领取（{ban.first_card.number}、"
                   f"{ban.second_card.number}），自 {cn_date(ban.banned_on)} 起")
    click.echo(result.summary())
