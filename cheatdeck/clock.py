"""The one place cheatdeck reads the wall clock.

A note's modification time, and with it the day the sheet and the grid print, comes from `now()`. It honours
`SOURCE_DATE_EPOCH` (reproducible-builds.org), so a build, and every test, can fix the time it runs at.
"""

from __future__ import annotations

import os
import time

from cheatdeck.errors import UsageError

ENVIRONMENT = "SOURCE_DATE_EPOCH"


def now() -> int:
    """Return the current Unix time in seconds: `SOURCE_DATE_EPOCH` when it is set, else the clock."""
    value = os.environ.get(ENVIRONMENT, "").strip()
    if not value:
        return int(time.time())
    if not value.isascii() or not value.isdigit():
        raise UsageError(f"{ENVIRONMENT}: expected a Unix time in whole seconds, got {value!r}")
    return int(value)
