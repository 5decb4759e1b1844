"""``python -m galatea_engine``."""

import sys

from .cli import main

sys.exit(main())
