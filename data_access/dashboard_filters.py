"""The dashboard's filter choices, read from the small tables (customers' regions and
grades, engineers, product models) and the channel options, never from a scan of the
tickets: at a million tickets the choices must cost nothing beside the figures.

Service types are free text on the tickets; the page takes them from the period's
service-type breakdown it shows anyway.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Customer, ProductModel, User
from rules.access import Acting, Role
from rules.dashboard import OWN_FIGURES_ONLY
from rules.tickets import CHANNEL_OPTIONS

Choice = tuple[Any, str | None]  # (the filter's value, a display name from the data)


def filter_choices(session: Session, actor: Acting) -> dict[str, list[Choice]]:
    """Choices per dimension except ``service_type``; an engineer gets only himself as
    engineer (his figures are his own)."""
    regions = session.scalars(
        select(Customer.region)
        .where(Customer.region.is_not(None))
        .distinct()
        .order_by(Customer.region)
    )
    grades = session.scalars(select(Customer.grade).distinct().order_by(Customer.grade))
    engineers = select(User.id, User.display_name).where(User.role == Role.ENGINEER)
    if actor.role in OWN_FIGURES_ONLY:
        engineers = engineers.where(User.id == actor.id)
    models = select(ProductModel.code, ProductModel.name).order_by(ProductModel.code)
    return {
        "region": [(r, None) for r in regions if r],
        "engineer": [tuple(r) for r in session.execute(engineers.order_by(User.display_name))],
        "customer_grade": [(g, None) for g in grades if g],
        "product_model": [tuple(r) for r in session.execute(models)],
        "channel": [(str(o.value), None) for o in CHANNEL_OPTIONS],
    }
