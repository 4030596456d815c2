"""The one message catalogue: every label, message and export header.

Each domain keeps its part in a module of this package (``MESSAGES = {key: (zh, en)}``);
field labels live in the field specs (``rules/<domain>.py``), which are part of the
same catalogue by construction. ``t(key, lang, **params)`` formats a message.
"""

from __future__ import annotations

from typing import Any

from rules.i18n import (
    audit,
    backup,
    common,
    complaints,
    customers,
    dashboard,
    documents,
    faultcodes,
    fees,
    followups,
    imports,
    maintenance,
    notifications,
    parts,
    registers,
    sla,
    tickets,
    training,
)

# every domain's part of the catalogue
MODULES = (
    audit,
    backup,
    common,
    complaints,
    customers,
    dashboard,
    documents,
    faultcodes,
    fees,
    followups,
    imports,
    maintenance,
    notifications,
    parts,
    registers,
    sla,
    tickets,
    training,
)

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

CATALOGUE: dict[str, tuple[str, str]] = {}
for _module in MODULES:
    _dupes = CATALOGUE.keys() & _module.MESSAGES.keys()
    if _dupes:  # pragma: no cover - caught by the catalogue test
        raise RuntimeError(f"message keys defined twice: {sorted(_dupes)}")
    CATALOGUE.update(_module.MESSAGES)


def t(key: str, lang: str = DEFAULT_LANG, **params: Any) -> str:
    """The message ``key`` in ``lang``, formatted with ``params``.

    An unknown key returns the key itself, so a missing entry is visible in the UI
    and caught by the catalogue tests rather than crashing a page.
    """
    pair = CATALOGUE.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text
