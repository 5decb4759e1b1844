"""Repair issues Galatea raises (see ``strings.json`` ``issues``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_DATABASE_CORRUPT

if TYPE_CHECKING:
    from .data import GalateaConfigEntry

ISSUE_DATABASE_FULL: Final = "database_full"
ISSUE_DATABASE_WRITE_FAILED: Final = "database_write_failed"
ISSUE_DATABASE_FOREIGN: Final = "database_foreign"
ISSUE_DATABASE_TOO_NEW: Final = "database_too_new"
_WRITE_ISSUES: Final = {"disk_full": ISSUE_DATABASE_FULL, "locked": ISSUE_DATABASE_WRITE_FAILED,
                        "error": ISSUE_DATABASE_WRITE_FAILED}


def _create_issue(
    hass: HomeAssistant, entry: GalateaConfigEntry, key: str, placeholders: dict[str, str]
) -> None:
    """An error issue ``key`` of this entry, not fixable, gone at restart."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{key}_{entry.entry_id}",
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@callback
def async_create_corrupt_database_issue(
    hass: HomeAssistant, entry: GalateaConfigEntry, moved_to: str
) -> None:
    """The database was unreadable: it was moved aside and a fresh one started."""
    _create_issue(hass, entry, ISSUE_DATABASE_CORRUPT, {"moved_to": moved_to})


@callback
def async_database_health_issue(
    hass: HomeAssistant, entry: GalateaConfigEntry, state: str, detail: str, database: str
) -> None:
    """Writes fail (disk full, locked, other): one issue while it lasts, gone when writes
    work again (``state`` ``ok``)."""
    wanted = _WRITE_ISSUES.get(state)
    for other in set(_WRITE_ISSUES.values()) - {wanted}:
        ir.async_delete_issue(hass, DOMAIN, f"{other}_{entry.entry_id}")
    if wanted is None:
        return
    _create_issue(hass, entry, wanted, {"database": database, "error": detail[:200]})


@callback
def async_create_database_refused_issue(
    hass: HomeAssistant, entry: GalateaConfigEntry, key: str, placeholders: dict[str, str]
) -> None:
    """The database is not one this Galatea may use (foreign, or from a newer version)."""
    _create_issue(hass, entry, key, placeholders)


@callback
def async_delete_database_refused_issues(hass: HomeAssistant, entry: GalateaConfigEntry) -> None:
    for key in (ISSUE_DATABASE_FOREIGN, ISSUE_DATABASE_TOO_NEW):
        ir.async_delete_issue(hass, DOMAIN, f"{key}_{entry.entry_id}")
