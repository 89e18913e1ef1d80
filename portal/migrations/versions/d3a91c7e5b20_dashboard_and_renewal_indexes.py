"""dashboard and renewal indexes: sheets by grade and finalisation, refused assignments
(partial), cards by supersession date (partial) and by the card that replaced them

Revision ID: d3a91c7e5b20
Revises: 9afba5f2e824
Create Date: 2026-12-05 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3a91c7e5b20'
down_revision = '9afba5f2e824'
branch_labels = None
depends_on = None


def upgrade():
    # Plain CREATE INDEX (no batch table copy): the tables keep their other indexes as they are.
    # Dashboards: the sheets of a year by grade, covering batch and person (index-only range),
    # and renewal rule 1's 差 sheets in the 12-month window.
    op.create_index('ix_evaluation_sheet_grade_final', 'evaluation_sheet',
                    ['grade', 'finalised_at', 'batch_id', 'person_id'], unique=False)
    # Renewal rule 2 (unjustified refusals in a window) and the refusals a unit must judge.
    refused = sa.text("answer = 'refused'")
    op.create_index('ix_assignment_refused', 'assignment',
                    ['person_id', 'reason_justified', 'answered_at', 'assigned_at'],
                    unique=False, sqlite_where=refused, postgresql_where=refused)
    # 已换证 in the registry's status filter; partial like the other single-date indexes.
    superseded = sa.text('superseded_on IS NOT NULL')
    op.create_index('ix_card_superseded_on', 'card', ['superseded_on'], unique=False,
                    sqlite_where=superseded, postgresql_where=superseded)
    # A card's page shows the card it replaced (WHERE superseded_by_id = ?).
    op.create_index('ix_card_superseded_by_id', 'card', ['superseded_by_id'], unique=False)


def downgrade():
    # Migrations never drop data; restore a backup instead of downgrading.
    raise RuntimeError("downgrade is not supported: migrations never drop data")
