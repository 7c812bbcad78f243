"""Microsoft 365 calendars (Microsoft identity platform + Microsoft Graph's calendar).

Each person connects their own Outlook calendar (delegated sign-in, authorization code +
PKCE through MSAL); the office's connection only switches the integration on. What the
calendars app (`apps.calendars`) needs from it is `spec.calendar` (a CalendarProvider).
See ../shared/reference/graph/API-NOTES.md and apps/calendars/README.md. Importing this package is cheap.
"""

SYSTEM = "graph"
# Production hosts; the demo and the tests route an https name to the sandbox (transport.py).
DEFAULT_LOGIN_BASE = "https://login.microsoftonline.com"
DEFAULT_API_BASE = "https://graph.microsoft.com"
# Least privilege: read; write only when the person saves their hours in their calendar.
READ_SCOPES = ("Calendars.Read",)
WRITE_SCOPES = ("Calendars.ReadWrite",)
