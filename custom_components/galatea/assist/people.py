"""Who is asking and who is asked about: HA's people, the speaking user, names for actors.

Answers never speak an id: ``person.x`` becomes the person's name in HA (or its object id in
words), a user id becomes the linked person's or the user's name, anything else "someone".
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..engine.memory.phrases import person_name
from .language import Person

HOUSEHOLD = "household"


def speaker_person(hass: HomeAssistant, context: Context | None) -> str | None:
    """The ``person.*`` linked to the speaking user, if any."""
    user_id = context.user_id if context else None
    if not user_id:
        return None
    for state in hass.states.async_all("person"):
        if state.attributes.get("user_id") == user_id:
            return state.entity_id
    return None


def known_people(hass: HomeAssistant, actors: Iterable[str]) -> tuple[Person, ...]:
    """HA's people (name and registry aliases) plus people Galatea learned routines for."""
    registry = er.async_get(hass)
    people: dict[str, Person] = {}
    for state in hass.states.async_all("person"):
        names = [state.name, state.entity_id.split(".", 1)[1].replace("_", " ")]
        if (entry := registry.async_get(state.entity_id)) is not None:
            names.extend(a for a in entry.aliases if isinstance(a, str))
        people[state.entity_id] = Person(state.entity_id, _unique(names))
    for actor in actors:
        if actor.startswith("person.") and actor not in people:
            people[actor] = Person(actor, (person_name(actor),))
    return tuple(sorted(people.values(), key=lambda p: p.value))


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        key = name.strip().casefold()
        if key and key not in seen:
            seen[key] = name.strip()
    return tuple(seen.values())


async def async_actor_name(hass: HomeAssistant, actor: str | None, someone: str) -> str:
    """A spoken name for an actor id (person entity or HA user id); never the id."""
    if not actor:
        return someone
    if actor.startswith("person."):
        state = hass.states.get(actor)
        return state.name if state is not None else person_name(actor)
    for state in hass.states.async_all("person"):
        if state.attributes.get("user_id") == actor:
            return state.name
    user = await hass.auth.async_get_user(actor)
    if user is not None and user.name:
        return str(user.name)
    return someone
