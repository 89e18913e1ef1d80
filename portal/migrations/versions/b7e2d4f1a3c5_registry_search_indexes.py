"""registry search indexes: person by (region, name) and (unit, name); card collection, void
and revocation dates (partial)

Revision ID: b7e2d4f1a3c5
Revises: 7c3e5b1a9d42
Create Date: 2026-11-28 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2d4f1a3c5'
down_revision = '7c3e5b1a9d42'
branch_labels = None
depends_on = None


def upgrade():
    # A city centre or unit searching its people by name prefix: scope and prefix in one range.
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_region_id_name', ['region_id', 'name'], unique=False)
        batch_op.create_index('ix_person_organisation_id_name', ['organisation_id', 'name'],
                              unique=False)
    # The date each card status implies; partial, so that they never serve "x IS NULL"
    # (portal/registry/models.py explains why).
    with op.batch_alter_table('card', schema=None) as batch_op:
        for column in ('collected_on', 'voided_on', 'revoked_on'):
            where = sa.text(f'{column} IS NOT NULL')
            batch_op.create_index(f'ix_card_{column}', [column], unique=False,
                                  sqlite_where=where, postgresql_where=where)
        batch_op.create_index('ix_card_valid_until_dates',
                              ['valid_until', 'collected_on', 'voided_on', 'revoked_on',
                               'person_id'], unique=False)


def downgrade():
    # Migrations never drop data; restore a backup instead of downgrading.
    raise RuntimeError("downgrade is not supported: migrations never drop data")
