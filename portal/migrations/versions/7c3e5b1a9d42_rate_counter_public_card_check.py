"""rate_counter: requests per client and window (public card check rate limit)

Revision ID: 7c3e5b1a9d42
Revises: 0a7d27f88579
Create Date: 2026-11-28 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e5b1a9d42'
down_revision = '0a7d27f88579'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_counter',
    sa.Column('scope', sa.String(length=30), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'client', 'window_start', name=op.f('pk_rate_counter'))
    )
    with op.batch_alter_table('rate_counter', schema=None) as batch_op:
        batch_op.create_index('ix_rate_counter_window_start', ['window_start'], unique=False)


def downgrade():
    # Migrations never drop data; restore a backup instead of downgrading.
    raise RuntimeError("downgrade is not supported: migrations never drop data")
