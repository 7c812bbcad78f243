"""The calendar's parts of other pages: suggestions on My week, links on an entry (CONTRACT-18 §6)."""


def connect() -> None:
    """Registers the page parts (apps.core.extensions)."""
