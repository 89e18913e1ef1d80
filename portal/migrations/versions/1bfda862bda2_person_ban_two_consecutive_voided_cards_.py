"""person_ban: two consecutive voided cards; partial index of cards awaiting collection

Revision ID: 1bfda862bda2
Revises: 315149d086a4
Create Date: 2026-11-28 12:44:56.225904

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1bfda862bda2'
down_revision = '315149d086a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person_ban',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('banned_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('first_card_id', sa.Integer(), nullable=False),
    sa.Column('second_card_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lift_reason', sa.String(length=300), nullable=False),
    sa.CheckConstraint("(lifted_at IS NULL AND lifted_by_id IS NULL AND lift_reason = '') OR (lifted_at IS NOT NULL AND lifted_by_id IS NOT NULL AND lift_reason <> '')", name=op.f('ck_person_ban_lift_complete')),
    sa.CheckConstraint('first_card_id <> second_card_id', name=op.f('ck_person_ban_two_cards')),
    sa.ForeignKeyConstraint(['first_card_id'], ['card.id'], name=op.f('fk_person_ban_first_card_id_card')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['user_account.id'], name=op.f('fk_person_ban_lifted_by_id_user_account')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_ban_person_id_person')),
    sa.ForeignKeyConstraint(['second_card_id'], ['card.id'], name=op.f('fk_person_ban_second_card_id_card')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_ban')),
    sa.UniqueConstraint('second_card_id', name=op.f('uq_person_ban_second_card_id'))
    )
    with op.batch_alter_table('person_ban', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_ban_person_id'), ['person_id'], unique=False)
        batch_op.create_index('uq_person_ban_active', ['person_id'], unique=True, sqlite_where=sa.text('lifted_at IS NULL'), postgresql_where=sa.text('lifted_at IS NULL'))

    # A plain CREATE INDEX (no table rebuild on SQLite, so nothing that references card moves).
    with op.batch_alter_table('card', schema=None) as batch_op:
        batch_op.create_index('ix_card_awaiting_collection', ['collection_deadline'], unique=False, sqlite_where=sa.text('collected_on IS NULL AND voided_on IS NULL AND revoked_on IS NULL'), postgresql_where=sa.text('collected_on IS NULL AND voided_on IS NULL AND revoked_on IS NULL'))

    # ### end Alembic commands ###


def downgrade():
    # Migrations never drop data; restore a backup instead of downgrading.
    raise RuntimeError("downgrade is not supported: migrations never drop data")
