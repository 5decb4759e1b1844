"""Galatea's tests: engine/ (no HA), integration/ (real HA core), e2e/ (real processes)."""
