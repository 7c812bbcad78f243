"""The product ships in Norwegian, Swedish and Danish: every message translated and compiled."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["nb", "sv", "da"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*[\w.]+\s*\}\}|\{\w+\}")


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    po = _catalogue(language)

    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]

    assert len(po) > 100
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    wrong = []
    for entry in _catalogue(language):
        if entry.msgid_plural:
            expected = set(PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
            for text in entry.msgstr_plural.values():
                # A singular may spell out "one" instead of using the count, but never
                # use a placeholder the code does not fill.
                if set(PLACEHOLDER.findall(text)) - expected:
                    wrong.append(entry.msgid)
        elif sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            wrong.append(entry.msgid)

    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_source(language):
    po = _catalogue(language)
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in mo}

    stale = [
        e.msgid
        for e in po
        if not e.obsolete and compiled.get((e.msgctxt, e.msgid)) != (e.msgstr or e.msgstr_plural)
    ]

    assert stale == [], "run `make messages` to compile the catalogues"


@pytest.mark.parametrize(
    ("language", "term"), [("nb", "timeføring"), ("sv", "tidrapport"), ("da", "tidsregistrering")]
)
def test_a_time_entry_is_called_what_the_office_calls_it(language, term):
    with translation.override(language):
        assert term in str(translation.gettext("time entry")).lower()


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_pages_follow_the_browsers_language(language):
    english = "This invitation link cannot be used"
    with translation.override(language):
        heading = translation.gettext(english)

    page = Client(HTTP_ACCEPT_LANGUAGE=language).get("/accounts/invitation/not-a-token/")

    assert page.status_code == 410
    assert page["Content-Language"] == language
    assert heading != english
    assert heading in page.content.decode()
