"""Galatea's actions: search memories, list routines, timeline, remember, confirm/reject, forget,
and a household member's privacy request: forget or export everything about one person.

Each answers with response data (JSON) from the entry's engine backend (the engine in this
process, in the executor, or the add-on). Errors are translated ``ServiceValidationError``s
(``translation_domain`` galatea).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import probatio
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .backend import EngineBackend, get_backend
from .const import DOMAIN
from .coordinator import get_api, get_coordinator
from .data import GalateaConfigEntry
from .engine.api import PERIODS, APIError
from .engine.memory.formation import bump_revision

SERVICE_SEARCH_MEMORIES = "search_memories"
SERVICE_LIST_ROUTINES = "list_routines"
SERVICE_TIMELINE = "timeline"
SERVICE_REMEMBER = "remember"
SERVICE_CONFIRM_ROUTINE = "confirm_routine"
SERVICE_REJECT_ROUTINE = "reject_routine"
SERVICE_FORGET = "forget"
SERVICE_FORGET_PERSON = "forget_person"
SERVICE_EXPORT_PERSON = "export_person"
PERSON_SERVICES = frozenset({SERVICE_FORGET_PERSON, SERVICE_EXPORT_PERSON})


def _int_between(low: int, high: int) -> probatio.All[Any]:
    return probatio.All(probatio.Coerce(int), probatio.Range(min=low, max=high))


SCHEMAS: dict[str, probatio.Schema] = {
    SERVICE_SEARCH_MEMORIES: probatio.Schema({
        probatio.Required("query"): probatio.All(cv.string, probatio.Length(min=1, max=1000)),
        probatio.Optional("limit", default=5): _int_between(1, 100),
        probatio.Optional("include_closed", default=False): cv.boolean,
    }),
    SERVICE_LIST_ROUTINES: probatio.Schema({
        probatio.Optional("person"): cv.entity_id,
        probatio.Optional("include_rejected", default=False): cv.boolean,
    }),
    SERVICE_TIMELINE: probatio.Schema({
        probatio.Optional("period"): probatio.In(PERIODS),
        probatio.Optional("start"): cv.datetime,
        probatio.Optional("end"): cv.datetime,
        probatio.Optional("area"): cv.string,
        probatio.Optional("person"): cv.entity_id,
        probatio.Optional("limit", default=50): _int_between(1, 500),
    }),
    SERVICE_REMEMBER: probatio.Schema({
        probatio.Required("text"): probatio.All(cv.string, probatio.Length(min=1, max=1000)),
        probatio.Optional("subject"): cv.string,
    }),
    SERVICE_CONFIRM_ROUTINE: probatio.Schema({probatio.Required("key"): cv.string}),
    SERVICE_REJECT_ROUTINE: probatio.Schema({probatio.Required("key"): cv.string}),
    SERVICE_FORGET: probatio.Schema(
        {probatio.Required("memory_id"): probatio.All(probatio.Coerce(int), probatio.Range(min=1))}
    ),
    SERVICE_FORGET_PERSON: probatio.Schema({probatio.Required("person"): cv.entity_id}),
    SERVICE_EXPORT_PERSON: probatio.Schema({probatio.Required("person"): cv.entity_id}),
}
RESPONSE: dict[str, SupportsResponse] = {
    SERVICE_SEARCH_MEMORIES: SupportsResponse.ONLY,
    SERVICE_LIST_ROUTINES: SupportsResponse.ONLY,
    SERVICE_TIMELINE: SupportsResponse.ONLY,
    SERVICE_REMEMBER: SupportsResponse.OPTIONAL,
    SERVICE_CONFIRM_ROUTINE: SupportsResponse.OPTIONAL,
    SERVICE_REJECT_ROUTINE: SupportsResponse.OPTIONAL,
    SERVICE_FORGET: SupportsResponse.OPTIONAL,
    SERVICE_FORGET_PERSON: SupportsResponse.OPTIONAL,
    SERVICE_EXPORT_PERSON: SupportsResponse.ONLY,
}
CHANGES_ROUTINES = frozenset({SERVICE_CONFIRM_ROUTINE, SERVICE_REJECT_ROUTINE})


def translate_error(err: APIError) -> ServiceValidationError:
    """``APIError(code)`` -> translated ``ServiceValidationError`` (key ``api_<code>``)."""
    return ServiceValidationError(
        str(err),
        translation_domain=DOMAIN,
        translation_key=f"api_{err.code}",
        translation_placeholders={"error": str(err), **err.placeholders},
    )


async def _async_call(
    backend: EngineBackend, service: str, data: dict[str, Any]
) -> Mapping[str, Any]:
    args = dict(data)
    if service == SERVICE_SEARCH_MEMORIES:
        return await backend.recall(args["query"], args["limit"],
                                    include_closed=args["include_closed"])
    if service == SERVICE_LIST_ROUTINES:
        return await backend.routines(args.get("person"),
                                      include_rejected=args["include_rejected"])
    if service == SERVICE_TIMELINE:
        return await backend.timeline(args.get("start"), args.get("end"), args.get("area"),
                                      args.get("person"), period=args.get("period"),
                                      limit=args["limit"])
    if service == SERVICE_REMEMBER:
        return await backend.remember(args["text"], args.get("subject"))
    if service == SERVICE_CONFIRM_ROUTINE:
        return await backend.confirm_routine(args["key"])
    if service == SERVICE_REJECT_ROUTINE:
        return await backend.reject_routine(args["key"])
    return await backend.forget(args["memory_id"])


def _loaded_entry(hass: HomeAssistant) -> GalateaConfigEntry:
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        if entry.runtime_data.backend is not None:
            loaded: GalateaConfigEntry = entry
            return loaded
    raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")


def _person_names(hass: HomeAssistant, person: str) -> list[str]:
    """The names a person goes by in memories' text (friendly name, object id)."""
    names = {person.partition(".")[2].replace("_", " ")}
    state = hass.states.get(person)
    if state is not None and state.attributes.get("friendly_name"):
        names.add(str(state.attributes["friendly_name"]))
    return sorted(n for n in names if n.strip())


async def _async_person(
    hass: HomeAssistant, entry: GalateaConfigEntry, service: str, person: str
) -> dict[str, Any]:
    """Forget or export everything about one person (the shared store, in the executor)."""
    store = entry.runtime_data.store
    names = _person_names(hass, person)
    if service == SERVICE_EXPORT_PERSON:
        exported: dict[str, Any] = await hass.async_add_executor_job(
            store.export_person, person, names)
        return exported
    def forget() -> dict[str, int]:
        counts = store.forget_person(person, names)
        bump_revision(store)  # memory indexes (here or in the add-on) reload
        return counts

    counts = await hass.async_add_executor_job(forget)
    get_api(entry).invalidate()
    await get_coordinator(entry).async_request_refresh()
    return {"person": person, "forgotten": counts}


async def _async_handle(hass: HomeAssistant, service: str, call: ServiceCall) -> ServiceResponse:
    entry = _loaded_entry(hass)
    if service in PERSON_SERVICES:
        result = await _async_person(hass, entry, service, call.data["person"])
        return result if call.return_response else None
    backend = get_backend(entry)
    data = dict(call.data)
    for key in ("start", "end"):
        if key in data and data[key].tzinfo is None:
            from homeassistant.util import dt as dt_util

            data[key] = data[key].replace(tzinfo=dt_util.get_default_time_zone())
    try:
        answer = await _async_call(backend, service, data)
    except APIError as err:
        raise translate_error(err) from err
    if service in CHANGES_ROUTINES:
        await get_coordinator(entry).async_request_refresh()
    if call.return_response:
        return dict(answer)
    return None


@callback
def async_register_services(hass: HomeAssistant) -> None:
    """Register the memory actions once, in ``async_setup`` (quality rule action-setup); a call
    while no entry is loaded gets the translated ``not_loaded`` error."""
    for service, schema in SCHEMAS.items():
        hass.services.async_register(
            DOMAIN, service, partial(_async_handle, hass, service), schema=schema,
            supports_response=RESPONSE[service],
        )
