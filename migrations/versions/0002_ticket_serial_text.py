"""tickets keep the serial as text also when it matches a device

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:30:00

The ticket register exports the serial from ``tickets.serial_no``; rows written
before this kept it only for serials that matched no device.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE tickets SET serial_no = "
        "(SELECT devices.serial_no FROM devices WHERE devices.id = tickets.device_id) "
        "WHERE serial_no IS NULL AND device_id IS NOT NULL"
    )


def downgrade() -> None:
    pass  # the text is a copy of the device's serial: keeping it loses nothing
