"""The integration serves its dashboard card and adds it to HA's frontend (frontend.py)."""

from __future__ import annotations

from pathlib import Path

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.galatea.frontend import CARD_FILE, FRONTEND_DIR, card_url

from .conftest import setup_galatea


async def test_card_is_served_and_registered_once(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, tmp_path: Path
) -> None:
    assert await async_setup_component(hass, "frontend", {})
    entry = await setup_galatea(hass, tmp_path)

    content = (FRONTEND_DIR / CARD_FILE).read_bytes()
    url = card_url(content)
    assert url.startswith("/galatea_static/galatea-routines-card.js?v=")
    assert url in hass.data[DATA_EXTRA_MODULE_URL].urls

    client = await hass_client()
    resp = await client.get(url)
    assert resp.status == 200
    body = await resp.read()
    assert body == content
    assert b'customElements.define(CARD_TAG' in body

    # a reload (options change, reconfigure) must not register the route or the module twice
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert [u for u in hass.data[DATA_EXTRA_MODULE_URL].urls if "galatea" in u] == [url]
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def test_url_changes_with_the_content() -> None:
    assert card_url(b"a") != card_url(b"b")
    assert card_url(b"a") == card_url(b"a")


async def test_without_the_frontend_nothing_is_registered(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    entry = await setup_galatea(hass, tmp_path)
    assert DATA_EXTRA_MODULE_URL not in hass.data
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
