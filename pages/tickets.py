"""Tickets page: the data model exists; the screens are not built yet."""

from pages.common import not_built
from rules.access import Page

not_built(Page.TICKETS)
