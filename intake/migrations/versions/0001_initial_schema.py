"""initial schema: inquiries, risk events, status changes, SMS opt-outs, staff, API tokens, audit log

Revision ID: 0001_initial
Revises: (none)
Create Date: 2026-11-26 18:30:54.610514
"""
from alembic import op
import sqlalchemy as sa


revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('inquiry_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_inquiry_id'), ['inquiry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('inquiries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='new', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('preferences', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=64), nullable=True),
    sa.Column('matches', sa.Text(), nullable=True),
    sa.Column('relaxed', sa.Text(), nullable=True),
    sa.Column('matches_shown_at', sa.DateTime(), nullable=True),
    sa.Column('risk_level', sa.String(length=32), nullable=True),
    sa.Column('risk_rank', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_risk_at', sa.DateTime(), nullable=True),
    sa.Column('last_risk_category', sa.String(length=64), nullable=True),
    sa.Column('risk_acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('callback_requested', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('callback_first_name', sa.String(length=100), nullable=True),
    sa.Column('callback_contact_method', sa.String(length=10), nullable=True),
    sa.Column('callback_contact_value', sa.String(length=254), nullable=True),
    sa.Column('callback_requested_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiries')),
    sa.UniqueConstraint('conversation_id', name=op.f('uq_inquiries_conversation_id'))
    )
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.create_index('ix_inquiries_queue_order', ['risk_rank', 'callback_requested', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inquiries_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_inquiries_updated_at'), ['updated_at'], unique=False)

    op.create_table('sms_opt_out_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_hash', sa.String(length=128), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_opt_out_events'))
    )
    with op.batch_alter_table('sms_opt_out_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_opt_out_events_phone_hash'), ['phone_hash'], unique=False)

    op.create_table('sms_opt_outs',
    sa.Column('phone_hash', sa.String(length=128), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('phone_hash', name=op.f('pk_sms_opt_outs'))
    )
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('password_changed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )
    op.create_table('risk_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inquiry_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('risk_rank', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('announced_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['inquiry_id'], ['inquiries.id'], name=op.f('fk_risk_events_inquiry_id_inquiries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_events'))
    )
    with op.batch_alter_table('risk_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_events_announced_at'), ['announced_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_events_inquiry_id'), ['inquiry_id'], unique=False)

    op.create_table('status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inquiry_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('staff_username', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['inquiry_id'], ['inquiries.id'], name=op.f('fk_status_changes_inquiry_id_inquiries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_changes'))
    )
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_changes_inquiry_id'), ['inquiry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_changes_inquiry_id'))

    op.drop_table('status_changes')
    with op.batch_alter_table('risk_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_events_inquiry_id'))
        batch_op.drop_index(batch_op.f('ix_risk_events_announced_at'))

    op.drop_table('risk_events')
    op.drop_table('staff_users')
    op.drop_table('sms_opt_outs')
    with op.batch_alter_table('sms_opt_out_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_opt_out_events_phone_hash'))

    op.drop_table('sms_opt_out_events')
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inquiries_updated_at'))
        batch_op.drop_index(batch_op.f('ix_inquiries_state'))
        batch_op.drop_index('ix_inquiries_queue_order')

    op.drop_table('inquiries')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_inquiry_id'))

    op.drop_table('audit_log')
    op.drop_table('api_tokens')
