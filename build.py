#!/usr/bin/env python3
"""Entry point: `python build.py [COMMAND]` runs the cheatdeck command line (see `--help`)."""

import sys

try:
    from cheatdeck.cli import main
except ModuleNotFoundError as missing:
    if (missing.name or "").partition(".")[0] == "cheatdeck":
        raise  # cheatdeck's own module is missing: a broken checkout, not a missing environment
    sys.exit(
        f"build.py: {missing.name} is not installed for {sys.executable}; run it with the project's"
        " environment, `.venv/bin/python build.py`, after creating it once with"
        " `python3 -m venv .venv && .venv/bin/pip install -e .`"
    )

if __name__ == "__main__":
    main()
