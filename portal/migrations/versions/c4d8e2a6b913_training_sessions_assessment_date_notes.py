"""training sessions: notes, decline reason, assessment date and check constraints;
application score range and session index

Revision ID: c4d8e2a6b913
Revises: b7e2d4f1a3c5
Create Date: 2026-12-01 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4d8e2a6b913'
down_revision = 'b7e2d4f1a3c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('assessed_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_training_session_status_known'), "status IN ('requested','scheduled','declined')")
        batch_op.create_check_constraint(
            op.f('ck_training_session_mode_known'), "mode IN ('central','regional','special','online')")
        batch_op.create_check_constraint(op.f('ck_training_session_ends_after_start'), 'ends_on >= starts_on')
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.alter_column('notes', server_default=None)
        batch_op.alter_column('decline_reason', server_default=None)
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index('ix_application_session_id', ['session_id'], unique=False)
        batch_op.create_check_constraint(
            op.f('ck_application_score_range'), 'score IS NULL OR (score >= 0 AND score <= 100)')


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_application_score_range'), type_='check')
        batch_op.drop_index('ix_application_session_id')
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_training_session_ends_after_start'), type_='check')
        batch_op.drop_constraint(op.f('ck_training_session_mode_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_training_session_status_known'), type_='check')
        batch_op.drop_column('assessed_on')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('notes')
