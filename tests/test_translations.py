"""Every translation has exactly en.json's keys, the same placeholders, and plain text.

Custom integrations get no ``[%key:...]`` resolution, so every file must be plain text. When
someone adds a key to en.json, ``test_every_language_has_every_key`` lists what each language
still lacks, so it can be translated.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

TRANSLATIONS = Path(__file__).resolve().parent.parent / "custom_components" / "galatea" / \
    "translations"
LANGUAGES = ("de", "nl", "fr", "es")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def flatten(node: Any, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": "x"}}`` -> ``{"a.b": "x"}``."""
    if isinstance(node, dict):
        out: dict[str, str] = {}
        for key, value in node.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: node}


def load(language: str) -> dict[str, str]:
    return flatten(json.loads((TRANSLATIONS / f"{language}.json").read_text("utf-8")))


def test_translations_cover_the_five_languages() -> None:
    assert sorted(p.stem for p in TRANSLATIONS.glob("*.json")) == sorted(("en", *LANGUAGES))


@pytest.mark.parametrize("language", ["en", *LANGUAGES])
def test_plain_text_only(language: str) -> None:
    refs = [k for k, v in load(language).items() if "[%key:" in str(v)]
    assert not refs, f"{language}.json refers to HA's common strings (not resolved): {refs}"
    assert all(isinstance(v, str) and v.strip() for v in load(language).values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_key(language: str) -> None:
    en, other = load("en"), load(language)
    missing = sorted(set(en) - set(other))
    extra = sorted(set(other) - set(en))
    assert not missing, (f"{language}.json: translate {len(missing)} missing key(s): "
                         + "".join(f"\n  {k}: {en[k]!r}" for k in missing))
    assert not extra, f"{language}.json: remove key(s) en.json no longer has: {extra}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match(language: str) -> None:
    en, other = load("en"), load(language)
    wrong = {k: (sorted(set(PLACEHOLDER.findall(en[k]))),
                 sorted(set(PLACEHOLDER.findall(other[k]))))
             for k in set(en) & set(other)
             if set(PLACEHOLDER.findall(en[k])) != set(PLACEHOLDER.findall(other[k]))}
    assert not wrong, f"{language}.json placeholders differ from en.json: {wrong}"


CARD = TRANSLATIONS.parent / "frontend" / "galatea-routines-card.js"


def card_tables() -> dict[str, dict[str, str]]:
    """The card's ``TRANSLATIONS`` object, read from its source (one ``key: "text",`` a line)."""
    source = CARD.read_text("utf-8")
    block = source[source.index("const TRANSLATIONS = {"):source.index("function translate(")]
    tables: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in block.splitlines():
        if match := re.match(r"^  (\w+): \{$", line):
            current = tables.setdefault(match.group(1), {})
        elif match := re.match(r'^    (\w+): ("(?:[^"\\]|\\.)*"),$', line):
            current[match.group(1)] = json.loads(match.group(2))
    return tables


@pytest.mark.parametrize("language", LANGUAGES)
def test_card_speaks_every_language(language: str) -> None:
    """The dashboard card has every English text in each language, with the same placeholders."""
    tables = card_tables()
    english, other = tables["en"], tables[language]
    assert sorted(other) == sorted(english), sorted(set(english) ^ set(other))
    for key, text in english.items():
        assert sorted(PLACEHOLDER.findall(other[key])) == sorted(PLACEHOLDER.findall(text)), key
    assert len(other["weekday_names"].split(",")) == 7
