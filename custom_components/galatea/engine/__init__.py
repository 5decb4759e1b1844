"""Galatea's engine: HA-free code that stores activity and learns a home's rhythm.

Nothing in this package imports ``homeassistant``; it uses relative imports only, so the
integration (``custom_components.galatea.engine``), the add-on and the CLI (``galatea_engine``)
run the very same source.
"""
