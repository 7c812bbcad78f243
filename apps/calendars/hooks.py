"""The calendar sync's subscriptions to local changes and logins (engine; CONTRACT-18 §5)."""


def connect() -> None:
    """Subscribes to hour changes and logins."""
