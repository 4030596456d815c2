"""What a deep link opens, as plain values for the page (see rules/links.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import Customer, Device, Ticket
from rules.customers import contract_status, warranty_status
from rules.tickets import OPEN


def customer_card(session: Session, code: str, today: dt.date) -> dict[str, Any] | None:
    """The customer with ``code``: its fields, devices with their cover, open tickets."""
    customer = session.scalars(select(Customer).where(Customer.code == code.strip())).first()
    if customer is None:
        return None
    devices = session.scalars(
        select(Device).where(Device.customer_id == customer.id).order_by(Device.serial_no)
    ).all()
    open_tickets = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.customer_id == customer.id, Ticket.status.in_(sorted(OPEN)))
    )
    fields = ("code", "name", "grade", "region", "industry", "address", "contact_name", "phone",
              "email", "notes")  # fmt: skip
    return {
        "customer": {name: getattr(customer, name) for name in fields},
        "devices": [
            {
                "serial_no": d.serial_no,
                "install_date": d.install_date,
                "warranty_end": d.warranty_end,
                "warranty_status": warranty_status(d.warranty_end, today),
                "contract_end": d.contract_end,
                "contract_status": contract_status(d.contract_end, today),
                "location": d.location,
            }
            for d in devices
        ],
        "open_tickets": open_tickets,
    }
