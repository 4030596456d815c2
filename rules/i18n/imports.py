"""Messages of the Excel import/export engine (imports/)."""

MESSAGES: dict[str, tuple[str, str]] = {}
