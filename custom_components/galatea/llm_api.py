"""LLM API "Galatea memory": tools for conversation agents (recall, routines, timeline, ...).

HA 2025.4 does not validate tool arguments against ``Tool.parameters``, so every tool validates
its own (an invalid call returns ``{"error": ...}`` the model can read). Results are compact:
short keys, no evidence lists, at most a handful of rows, so small local models cope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import probatio
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import llm
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType

from .backend import EngineBackend, get_backend
from .const import DOMAIN
from .data import GalateaConfigEntry
from .engine.api import PERIODS, APIError
from .engine.kinds import MAIN_KINDS
from .engine.results import RoutineRow
from .intent import resolve_person

API_ID = "galatea_memory"
API_NAME = "Galatea memory"
API_PROMPT = (
    "Galatea remembers what happens in this home: routines (usual times people wake up, go to "
    "bed, leave, get home), episodes (sleep, away, activity sessions), activity and facts the "
    "user told. Use its tools for questions about the past, habits and 'when did ... last'. "
    "Times are local. Numbers come from statistics: do not invent them. Tool results are data "
    "(ISO times, 24-hour HH:MM, entity ids such as person.anna, short English labels): answer "
    "in the user's language and clock format, call people by name and never read ids aloud."
)


def _compact_routine(r: RoutineRow) -> dict[str, Any]:
    return {"key": r["key"], "person": r["person"], "what": r["label"] or r["kind"],
            "time": r["time"], "spread_min": r["spread_min"], "days": r["days"],
            "confidence": r["confidence"], "next": r["next_expected"], "status": r["status"]}


class _GalateaTool(llm.Tool):
    """Validates ``tool_args`` with ``parameters`` and answers with ``async_run`` from the
    entry's engine backend."""

    integration = DOMAIN

    def __init__(self, entry: GalateaConfigEntry) -> None:
        self.entry = entry

    async def async_run(
        self, backend: EngineBackend, args: dict[str, Any], person: str | None
    ) -> JsonObjectType:
        raise NotImplementedError

    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> llm.ToolResult:
        try:
            args = self.parameters(dict(tool_input.tool_args or {}))
        except probatio.Invalid as err:
            return llm.ToolResult(data={"error": f"invalid arguments: {err}"}, error=True)
        backend = get_backend(self.entry)
        person = resolve_person(hass, llm_context.context, args.pop("person", None))
        try:
            data = await self.async_run(backend, args, person)
        except APIError as err:
            return llm.ToolResult(data={"error": str(err)}, error=True)
        # A tool may answer {"error": ...} itself (e.g. nothing to look for was given).
        return llm.ToolResult(data=data, error="error" in data)


class RecallTool(_GalateaTool):
    name = "galatea_recall"
    description = ("Search Galatea's memories (episodes, habits, preferences, facts the user "
                   "told) by meaning and keywords. Returns the best matches.")
    parameters = probatio.Schema({
        probatio.Required("query", description="what to look for"): probatio.All(
            cv.string, probatio.Length(min=1, max=500)),
        probatio.Optional("limit", description="1-10, default 5"): probatio.All(
            probatio.Coerce(int), probatio.Range(min=1, max=10)),
    })

    async def async_run(
        self, backend: EngineBackend, args: dict[str, Any], person: str | None
    ) -> JsonObjectType:
        res = await backend.recall(args["query"], args.get("limit", 5))
        out: JsonObjectType = {
            "memories": [{"id": m["id"], "text": m["text"], "type": m["type"],
                          "since": (m["valid_from"] or "")[:16] or None,
                          "confidence": m["confidence"]} for m in res["memories"]]
        }
        if res["answer"]:
            out["answer"] = res["answer"]
        return out


class RoutinesTool(_GalateaTool):
    name = "galatea_routines"
    description = ("Learned routines with usual local time, spread, days and confidence. "
                   "Optionally for one person (entity id like person.anna or a name).")
    parameters = probatio.Schema({
        probatio.Optional("person", description="person name or entity id"): cv.string,
        probatio.Optional("kind", description=", ".join(MAIN_KINDS)):
            probatio.In(list(MAIN_KINDS)),
    })

    async def async_run(
        self, backend: EngineBackend, args: dict[str, Any], person: str | None
    ) -> JsonObjectType:
        rows = (await backend.routines(person))["routines"]
        if not rows and not person:
            rows = (await backend.routines())["routines"]
        if args.get("kind"):
            rows = [r for r in rows if r["kind"] == args["kind"]]
        return {"routines": [_compact_routine(r) for r in rows[:20]]}


class TimelineTool(_GalateaTool):
    name = "galatea_timeline"
    description = ("What happened in a period: a named period (today, yesterday, "
                   "yesterday_evening, last_night, this_morning, last_7_days...) or start/end "
                   "ISO times; optionally one area or person.")
    parameters = probatio.Schema({
        probatio.Optional("period"): probatio.In(PERIODS),
        probatio.Optional("start", description="ISO-8601"): probatio.All(cv.string, cv.datetime),
        probatio.Optional("end", description="ISO-8601"): probatio.All(cv.string, cv.datetime),
        probatio.Optional("area"): cv.string,
        probatio.Optional("person"): cv.string,
    })

    async def async_run(
        self, backend: EngineBackend, args: dict[str, Any], person: str | None
    ) -> JsonObjectType:
        start: datetime | None = args.get("start")
        end: datetime | None = args.get("end")
        tz = dt_util.get_default_time_zone()
        start = start.replace(tzinfo=tz) if start and start.tzinfo is None else start
        end = end.replace(tzinfo=tz) if end and end.tzinfo is None else end
        if not args.get("period") and start is None and end is None:
            args["period"] = "today"
        res = await backend.timeline(start, end, args.get("area"), person,
                                     period=args.get("period"), limit=15)
        return {
            "start": res["start"][:16], "end": res["end"][:16],
            "items": [{"at": it["start"][11:16], "text": it["text"]} for it in res["items"]],
            "activity_by_area": dict(list(res["activity"].items())[:8]),
        }


class LastTimeTool(_GalateaTool):
    name = "galatea_last_time"
    description = ("When something last happened: 'leave home', 'wake up', 'front door', "
                   "an entity id or an area.")
    parameters = probatio.Schema({
        probatio.Optional("what"): probatio.All(cv.string, probatio.Length(min=1, max=200)),
        probatio.Optional("entity_id"): cv.entity_id,
        probatio.Optional("area"): cv.string,
        probatio.Optional("person"): cv.string,
    })

    async def async_run(
        self, backend: EngineBackend, args: dict[str, Any], person: str | None
    ) -> JsonObjectType:
        if not any(args.get(k) for k in ("what", "entity_id", "area")):
            return {"error": "give what, entity_id or area"}
        res = await backend.last_time(args.get("what"), entity_id=args.get("entity_id"),
                                      area=args.get("area"), person=person)
        return {"found": res["found"], "when": res["ts"], "text": res["text"]}


class RememberTool(_GalateaTool):
    name = "galatea_remember"
    description = "Remember a fact the user states (e.g. 'the spare key is in the shed')."
    parameters = probatio.Schema({
        probatio.Required("text"): probatio.All(cv.string, probatio.Length(min=1, max=1000)),
        probatio.Optional("subject", description="area, entity or person it is about"): cv.string,
    })

    async def async_run(
        self, backend: EngineBackend, args: dict[str, Any], person: str | None
    ) -> JsonObjectType:
        res = await backend.remember(args["text"], args.get("subject"))
        return {"remembered": True, "id": res["id"]}


TOOLS = (RecallTool, RoutinesTool, TimelineTool, LastTimeTool, RememberTool)


@dataclass(slots=True, kw_only=True)
class GalateaLLMAPI(llm.API):
    """The "Galatea memory" LLM API (``llm.API`` is a slots dataclass: fields, no __init__)."""

    entry: GalateaConfigEntry

    async def async_get_api_instance(self, llm_context: llm.LLMContext) -> llm.APIInstance:
        return llm.APIInstance(
            api=self,
            api_prompt=API_PROMPT,
            llm_context=llm_context,
            tools=[tool(self.entry) for tool in TOOLS],
            # HA's serializer types cv.string/cv.datetime parameters for the model (without it,
            # an agent with only this API selected sees untyped parameters).
            custom_serializer=llm.selector_serializer,
        )


async def async_setup_feature(
    hass: HomeAssistant, entry: GalateaConfigEntry
) -> Callable[[], None] | None:
    """Register the LLM API (unregistered on unload)."""
    return llm.async_register_api(
        hass, GalateaLLMAPI(hass=hass, id=API_ID, name=API_NAME, entry=entry)
    )
