"""Galatea's sentence triggers never match HA's own sentences, in any of the five languages.

Sentences are sampled from HA's intents data (``home_assistant_intents``, up to 60 per intent,
with a few names and areas) and matched against every trigger template Galatea registers (all
languages at once, as the default agent matches them). Triggers run before HA's intents, so one
match here would be a command of HA's that Galatea steals.
"""

from __future__ import annotations

import pytest
from hassil import Intents, recognize_all
from hassil.intents import TextSlotList, WildcardSlotList
from hassil.sample import sample_intents
from home_assistant_intents import get_intents

from custom_components.galatea.assist.language import Person, load_languages

PEOPLE = (Person("person.anna", ("Anna",)), Person("person.ben", ("Ben",)),
          Person("person.grandma", ("Grandma", "Oma", "Mamie", "Abuela")))


@pytest.fixture(scope="module")
def galatea_triggers() -> Intents:
    """All of Galatea's trigger templates as the default agent builds them."""
    packs = load_languages()
    sentences = [s for pack in packs.values() for s in pack.trigger_sentences(PEOPLE)]
    triggers = Intents.from_dict({"language": "en",
                                  "intents": {"galatea": {"data": [{"sentences": sentences}]}}})
    for pack in packs.values():
        for name in pack.wildcards:
            triggers.slot_lists[name] = WildcardSlotList(name)
    return triggers


@pytest.mark.parametrize("language", ["en", "de", "nl", "fr", "es"])
def test_no_ha_sentence_matches_a_galatea_trigger(galatea_triggers: Intents,
                                                  language: str) -> None:
    ha = Intents.from_dict(get_intents(language))
    lists = {"name": TextSlotList.from_strings(["kitchen light", "front door", "Anna"]),
             "area": TextSlotList.from_strings(["kitchen", "living room"]),
             "floor": TextSlotList.from_strings(["upstairs"])}
    samples = list(sample_intents(ha, slot_lists=lists, max_sentences_per_intent=60,
                                  expand_ranges=False))
    assert len(samples) > 1000
    stolen = [(name, text) for name, text in samples
              if next(iter(recognize_all(text, galatea_triggers)), None) is not None]
    assert not stolen, stolen[:20]
