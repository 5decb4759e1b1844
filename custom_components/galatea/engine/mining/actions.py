"""Which activities are a person's own actions, and what a habit is about."""

from __future__ import annotations

from ..models import ActivityEvent

# Domains whose state changes by people are habits (binary sensors are not actions).
HABIT_DOMAINS = frozenset(
    {
        "light",
        "switch",
        "fan",
        "cover",
        "lock",
        "media_player",
        "climate",
        "input_boolean",
        "scene",
        "script",
        "vacuum",
        "valve",
        "humidifier",
        "water_heater",
    }
)


def is_person_action(ev: ActivityEvent) -> bool:
    """A person's own action: user context, or a physical switch (no context actor at all)."""
    if ev.actor_kind in ("person", "user"):
        return True
    return ev.actor_kind is None and ev.actor is None and ev.parent_id is None


def habit_item(ev: ActivityEvent) -> str | None:
    """The state a habit is about (``on``, ``playing``, ``set`` for a climate setpoint), or None."""
    if ev.kind != "state_changed" or ev.state is None:
        return None
    domain = ev.domain
    if domain not in HABIT_DOMAINS:
        return None
    if ev.state != ev.old_state:
        return ev.state
    if domain == "climate" and "temperature" in ev.data:
        return "set"
    return None
