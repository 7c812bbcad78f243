"""Unimicro (Uni Economy / SoftRig platform) connector: Tidsbro is the master.

Two modes, chosen when the integration is activated (`settings["mode"]`):

- `api` — full integration through Unimicro's business API (`/api/biz/…`), signed in with
  OpenID Connect (authorization code + PKCE, a named key per company; or, unattended, a
  certificate-signed client assertion configured by environment). Customers, projects and
  work types go from Tidsbro to Unimicro, approved hours become work items, orders become
  customer orders; Unimicro's eventplan webhooks and an hourly poll by `UpdatedAt` report
  changes made there.
- `csv` — no API access: orders are exported as the file Unimicro imports (record types 30,
  80, 81).

See ../shared/reference/unimicro/API-NOTES.md. Importing this package is cheap.
"""

from datetime import timedelta

SYSTEM = "unimicro"
MODE_API = "api"
MODE_CSV = "csv"
# Production hosts (API-NOTES §2); the demo and the tests point both at the sandbox.
DEFAULT_ISSUER = "https://login.unimicro.no"
DEFAULT_API_BASE = "https://app.unimicro.no"
# The scopes of an interactive login (API-NOTES §3.1): API access and a refresh token.
SCOPES = ("AppFramework", "profile", "openid", "offline_access")
# Incremental pulls read this far behind the cursor (Unimicro's timestamps may be Oslo time
# without an offset: API-NOTES §5, unknown).
DEFAULT_OVERLAP = timedelta(hours=2)
WATERMARK_RESOLUTION = timedelta(seconds=1)
