"""The API's JSON parser: bounded in size and nesting, so no body can make the server fail.

Python's JSON decoder recurses once per level of nesting; a body of a few thousand `[` ends in
a RecursionError (a 500) before any view runs, on the unauthenticated token endpoint too. No
Tidsbro payload nests deeper than three levels, so a body deeper than `MAX_JSON_DEPTH` is
refused before it is decoded, as is one larger than Django's own limit on request bodies
(`DATA_UPLOAD_MAX_MEMORY_SIZE`, which DRF's streamed parsing would otherwise bypass).
"""

import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

MAX_JSON_DEPTH = 32

# A string (skipped whole, whatever brackets it holds) or a bracket; a lone string token is
# not a bracket and counts nothing.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class JSONTooLarge(ParseError):
    status_code = 413
    default_code = "too_large"


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether `text` opens more than `limit` arrays/objects inside each other."""
    depth = 0
    for match in _TOKENS.finditer(text):
        bracket = match.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size cap and a nesting cap; both answer 4xx with the reason."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise JSONTooLarge(
                _("The request body is larger than %(limit)d bytes.") % {"limit": limit}
            )
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(
                _("The request body is not valid %(encoding)s.") % {"encoding": encoding}
            ) from exc
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise ParseError(
                _("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_JSON_DEPTH}
            )
        try:
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        except RecursionError as exc:  # deeper than the stack allows despite the check above
            raise ParseError(_("The JSON is nested too deeply.")) from exc
