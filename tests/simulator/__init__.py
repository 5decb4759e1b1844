"""The simulated homes: several people, weekdays and weekends, holidays, guests, sensor quirks.

Used by the tests, the benchmarks and ``scripts/run``; not shipped with the integration.
``python -m tests.simulator --out home.jsonl ...`` writes one as replay JSONL.
"""
