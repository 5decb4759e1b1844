"""Repair issues Galatea raises (see ``strings.json`` ``issues``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_DATABASE_CORRUPT

if TYPE_CHECKING:
    from .data import GalateaConfigEntry


@callback
def async_create_corrupt_database_issue(
    hass: HomeAssistant, entry: GalateaConfigEntry, moved_to: str
) -> None:
    """The database was unreadable: it was moved aside and a fresh one started."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{ISSUE_DATABASE_CORRUPT}_{entry.entry_id}",
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_DATABASE_CORRUPT,
        translation_placeholders={"moved_to": moved_to},
    )
