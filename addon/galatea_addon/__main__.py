"""``python -m galatea_addon``: what the container's s6 service runs."""

from __future__ import annotations

import sys

from .service import main

sys.exit(main())
