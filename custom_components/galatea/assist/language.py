"""Galatea's sentences and answer phrases per language, read from ``sentences/<lang>.yaml``.

Each file is in the format of Home Assistant's intents repository (the format of
``<config>/custom_sentences/<lang>/*.yaml``): ``intents`` with ``data`` blocks of ``sentences``
and fixed ``slots``, ``lists`` and ``expansion_rules``; its ``responses`` section holds the
phrases Galatea speaks in that language. The ``person`` list is completed at run time with the
home's people.

Two views of the same data:

- ``LanguagePack.intents``: a ``hassil.Intents`` with real lists, used to recognise a sentence's
  intent and slots;
- ``LanguagePack.trigger_sentences(people)``: the same templates with expansion rules and
  finite lists written inline, for the default agent's sentence triggers (which take plain
  templates and would turn every ``{list}`` into a wildcard).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    # hassil comes with HA's conversation integration (Galatea's after-dependency), and is
    # imported only once conversation is there: Galatea itself declares no copy of it.
    from hassil import Intents
    from hassil.intents import SlotList
    from hassil.recognize import RecognizeResult

SENTENCES_DIR = Path(__file__).resolve().parent.parent / "sentences"
LANGUAGES: tuple[str, ...] = ("en", "de", "nl", "fr", "es")
PERSON_LIST = "person"

_RULE_REF = re.compile(r"<([^<>\s]+)>")
_LIST_REF = re.compile(r"\{([^{}:\s]+)(?::[^{}\s]+)?\}")
_TEMPLATE_CHARS = re.compile(r"[()\[\]{}<>|;]")


def _inline_value(text: str) -> str:
    """A spoken name as template text (template syntax characters dropped)."""
    return " ".join(_TEMPLATE_CHARS.sub(" ", text).split())


@dataclass(frozen=True, slots=True)
class Person:
    """A way to name someone: ``names`` (name, aliases) for the entity ``value``."""

    value: str
    names: tuple[str, ...]


@dataclass(slots=True)
class LanguagePack:
    """One language: its intents (hassil), raw data and answer phrases."""

    language: str
    data: dict[str, Any]
    responses: dict[str, Any]
    wildcards: frozenset[str]
    _lists: dict[str, list[str]] = field(default_factory=dict)
    _intents: Intents | None = None

    @property
    def intents(self) -> Intents:
        """The language's intents for ``hassil`` (built on first use)."""
        if self._intents is None:
            from hassil import Intents

            self._intents = Intents.from_dict(
                {k: v for k, v in self.data.items() if k != "responses"})
        return self._intents

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LanguagePack:
        wildcards = frozenset(
            name for name, spec in (data.get("lists") or {}).items()
            if isinstance(spec, Mapping) and spec.get("wildcard")
        )
        inputs: dict[str, list[str]] = {}
        for name, spec in (data.get("lists") or {}).items():
            if name in wildcards:
                continue
            inputs[name] = [
                str(v["in"] if isinstance(v, Mapping) else v) for v in spec.get("values", [])
            ]
        return cls(language=str(data["language"]), data=data,
                   responses=dict(data.get("responses") or {}), wildcards=wildcards,
                   _lists=inputs)

    def person_values(self, people: Iterable[Person]) -> list[tuple[str, str]]:
        """(spoken, value) pairs for the ``person`` list: the file's own words plus people."""
        pairs = [(str(v["in"]), str(v["out"])) for v in
                 (self.data.get("lists") or {}).get(PERSON_LIST, {}).get("values", [])]
        for person in people:
            pairs.extend((name, person.value) for name in person.names if _inline_value(name))
        return pairs

    def slot_lists(self, people: Iterable[Person]) -> dict[str, SlotList]:
        """The run-time lists for ``recognize``: people (and the household words)."""
        from hassil.intents import TextSlotList, TextSlotValue

        values = [TextSlotValue.from_tuple((text, value), allow_template=text in self._own)
                  for text, value in self.person_values(people)]
        return {PERSON_LIST: TextSlotList(name=PERSON_LIST, values=values)}

    @property
    def _own(self) -> set[str]:
        return {str(v["in"]) for v in
                (self.data.get("lists") or {}).get(PERSON_LIST, {}).get("values", [])}

    def trigger_sentences(self, people: Iterable[Person]) -> list[str]:
        """Every sentence template with rules and finite lists inline (wildcards kept)."""
        lists = dict(self._lists)
        lists[PERSON_LIST] = [
            text if text in self._own else _inline_value(text)
            for text, _value in self.person_values(people)
        ]
        rules = {name: str(body) for name, body in
                 (self.data.get("expansion_rules") or {}).items()}
        out: list[str] = []
        for intent in (self.data.get("intents") or {}).values():
            for block in intent.get("data", []):
                for sentence in block.get("sentences", []):
                    out.append(_inline(str(sentence), rules, lists, self.wildcards))
        return list(dict.fromkeys(out))

    def recognize(self, text: str, people: Iterable[Person]) -> RecognizeResult | None:
        """The best match of ``text`` among this language's intents (or None)."""
        from hassil import recognize_best

        return recognize_best(text, self.intents, slot_lists=self.slot_lists(people),
                              language=self.language)

    def phrase(self, *path: str) -> Any:
        """A response entry, e.g. ``phrase("usual", "wake_up")`` (KeyError if missing)."""
        node: Any = self.responses
        for key in path:
            node = node[key]
        return node


def _inline(template: str, rules: Mapping[str, str], lists: Mapping[str, list[str]],
            wildcards: frozenset[str]) -> str:
    """``<rule>`` -> ``(body)`` and ``{list}`` -> ``(in|in|...)``, recursively; wildcard
    lists stay ``{name}`` (the trigger turns them into wildcards)."""
    for _depth in range(12):
        changed = False

        def rule(match: re.Match[str]) -> str:
            nonlocal changed
            changed = True
            return f"({rules[match.group(1)]})"

        def slot(match: re.Match[str]) -> str:
            nonlocal changed
            name = match.group(1)
            if name in wildcards:
                return f"{{{name}}}"
            changed = True
            return "(" + "|".join(lists[name]) + ")"

        template = _RULE_REF.sub(rule, template)
        template = _LIST_REF.sub(slot, template)
        if not changed:
            return template
    raise ValueError(f"expansion rules nest too deep in {template!r}")


def load_language(language: str, folder: Path = SENTENCES_DIR) -> LanguagePack:
    """Read one language file (blocking: call it in the executor)."""
    with (folder / f"{language}.yaml").open(encoding="utf-8") as file:
        data = yaml.safe_load(file)
    return LanguagePack.from_dict(data)


def load_languages(folder: Path = SENTENCES_DIR) -> dict[str, LanguagePack]:
    """Read every language file in ``folder`` (blocking: call it in the executor)."""
    return {path.stem: load_language(path.stem, folder)
            for path in sorted(folder.glob("*.yaml"))}


__all__ = ["LANGUAGES", "LanguagePack", "Person", "load_language", "load_languages"]
