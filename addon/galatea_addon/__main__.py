"""``python -m galatea_addon``: what the container's s6 service runs."""

from __future__ import annotations

import sys

from .service import main

if __name__ == "__main__":  # engine child processes (spawn) import this module too
    sys.exit(main())
