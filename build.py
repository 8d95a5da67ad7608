#!/usr/bin/env python3
"""Entry point: `python build.py [COMMAND]` runs the cheatdeck command line (see `--help`)."""

from cheatdeck.cli import main

if __name__ == "__main__":
    main()
