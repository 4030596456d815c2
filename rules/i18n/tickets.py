"""Messages of the service-ticket domain."""

MESSAGES: dict[str, tuple[str, str]] = {}
