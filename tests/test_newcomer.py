"""The newcomer's path: the commands the README shows work as shown, and fail helpfully when they cannot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_build_py_outside_the_environment_says_how_to_run_it(tmp_path: Path) -> None:
    # `-S`: no site-packages, as a system Python without the project's libraries; build.py's own folder is
    # still on the path, so cheatdeck itself imports and only its dependencies are missing.
    result = subprocess.run(
        [sys.executable, "-S", str(ROOT / "build.py"), "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("build.py: click is not installed for ")
    assert "`.venv/bin/python build.py`" in result.stderr
    assert "`python3 -m venv .venv && .venv/bin/pip install -e .`" in result.stderr
