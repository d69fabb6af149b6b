"""Every translation key exists in both languages with the same placeholders."""

import string

from kiosk.i18n import LANGUAGES, catalog, text


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_every_language():
    keys = {language: set(catalog(language)) for language in LANGUAGES}
    assert keys["id"], "the Indonesian catalog is empty"
    assert keys["id"] == keys["en"], keys["id"] ^ keys["en"]


def test_placeholders_match_between_languages():
    indonesian, english = catalog("id"), catalog("en")
    mismatched = [
        k for k in indonesian if _placeholders(indonesian[k]) != _placeholders(english[k])
    ]
    assert mismatched == []


def test_unknown_code_is_shown_rather_than_hidden():
    assert text("no.such.key") == "no.such.key"
