"""Sub-commands of the ``galatea`` CLI, one module each (see ``cli.py``)."""
