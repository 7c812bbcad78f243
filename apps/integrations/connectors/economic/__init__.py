"""e-conomic (Visma) connector: REST client (`client`), records (`types`), mappers.

Importing this package is cheap; requests is only loaded with `client`. The classic REST API
(`restapi.e-conomic.com`) is used: its customers carry a filterable `lastUpdated`
(`/work/shared/reference/economic/API-NOTES.md` §0).
"""

from datetime import timedelta

SYSTEM = "economic"
DEFAULT_API_BASE = "https://restapi.e-conomic.com"
# e-conomic reports `lastUpdated` to the second, but whether its "Z" really means UTC is not
# settled (API-NOTES §11): incremental fetches reach this far behind the watermark.
DEFAULT_OVERLAP = timedelta(hours=2)
WATERMARK_RESOLUTION = timedelta(seconds=1)
