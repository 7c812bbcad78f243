"""Secrets out of the sandbox's request log, decided on the parsed XML tree.

A pattern over the text misses well-formed variants (`<Password >`, prefixes, CDATA, comments
inside); the tree sees the element whatever its spelling. The body is parsed with the same
hostile-XML-safe parser as the requests themselves. A body that cannot be parsed but mentions a
secret's element name is not logged at all.
"""

from __future__ import annotations

import re

from lxml import etree

from .soap import _parser

MASK = "***"
# Local names (any namespace, any case) whose content is a secret: every *Password, the session
# id returned by Login, a Passport's SessionId and an SSO token.
_SECRET_NAMES = {"loginresult", "sessionid", "token"}
_MENTIONS_SECRET = re.compile(r"password|loginresult|sessionid|token", re.IGNORECASE)


def _is_secret(name: str) -> bool:
    local = etree.QName(name).localname.lower()
    return local.endswith("password") or local in _SECRET_NAMES


def redact(body: bytes) -> str:
    """The body as text with every secret element's content and secret attribute masked."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # another encoding (UTF-16…): only the parser can tell what it holds
    if text is not None and not _MENTIONS_SECRET.search(text):
        return text  # nothing that could be a secret: logged as sent (error pages included)
    try:
        root = etree.fromstring(body, parser=_parser())
    except (etree.XMLSyntaxError, ValueError):
        return _unreadable(body)
    for element in root.iter():
        if not isinstance(element.tag, str):  # entity references, kept comments, PIs
            continue
        for name in element.attrib:
            if _is_secret(name):
                element.attrib[name] = MASK
        if _is_secret(element.tag) and (element.text or len(element)):
            for child in list(element):
                element.remove(child)  # nested values and comments; their tails go too
            element.text = MASK
    return etree.tostring(root, encoding="unicode")


def _unreadable(body: bytes) -> str:
    return (
        f"{MASK} not logged: the body is not well-formed XML and may hold a password or "
        f"session id ({len(body)} bytes) {MASK}"
    )
