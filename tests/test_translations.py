"""German is the source language; every UI text must also exist in the English catalogue,
and the compiled catalogue must match its source."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "caseflow" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_messages() -> dict[str, str]:
    """Every msgid in the code and templates, with the first place it occurs."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def english() -> dict[str, str]:
    with (CATALOGUE / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    return {
        _key(message.id): _text(message.string)
        for message in catalogue
        if message.id and not message.fuzzy
    }


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _text(translation: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    # Plural translations come as a tuple from .po files and as a list from .mo files.
    return translation if isinstance(translation, str) else tuple(translation)


def _is_translated(translation: str | tuple[str, ...] | None) -> bool:
    if isinstance(translation, tuple):
        return all(translation)
    return bool(translation)


def test_every_german_text_has_an_english_translation(english: dict[str, str]) -> None:
    missing = {
        msgid: where
        for msgid, where in source_messages().items()
        if not _is_translated(english.get(msgid))
    }
    assert missing == {}, f"{len(missing)} texts without English translation: {missing}"


def test_compiled_catalogue_matches_its_source(english: dict[str, str]) -> None:
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        compiled = read_mo(handle)
    compiled_ids = {_key(message.id): _text(message.string) for message in compiled if message.id}
    assert compiled_ids == english, "run `make translations` (pybabel compile) and commit the .mo"


def test_pages_are_german_whatever_the_browser_prefers(client) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Anmelden" in page


def test_english_pages_are_english_once_chosen(client) -> None:
    client.post("/language", data={"locale": "en", "csrf_token": csrf_token(client)})
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "Anmelden" not in page
