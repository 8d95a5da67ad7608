"""WeasyPrint imported without the library search that runs a compiler for every name it tries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cheatdeck.outputs import SHEET_FILE
from tests.conftest import SOURCE

# Runs a forced sheet build of the given notes in a fresh process and prints, as JSON, the names
# ctypes.util.find_library was asked for and the shared libraries the process then had loaded.
_COUNTED = """
import ctypes.util, json, sys
from pathlib import Path
asked = []
search = ctypes.util.find_library
def counted(name):
    asked.append(name)
    return search(name)
ctypes.util.find_library = counted
if sys.argv[3] == "no-soname":  # a system whose loader does not know the Linux file names
    import cffi
    dlopen = cffi.FFI.dlopen
    def refuse_sonames(self, name, *rest):
        if isinstance(name, str) and ".so." in name and "/" not in name:
            raise OSError(f"cannot load library {name!r}")
        return dlopen(self, name, *rest)
    cffi.FFI.dlopen = refuse_sonames
from cheatdeck.build.pipeline import build
from cheatdeck.options import BuildOptions
build(BuildOptions(source=Path(sys.argv[1]), out=Path(sys.argv[2]), artefacts=("sheet",), force=True))
maps = Path("/proc/self/maps").read_text().split("\\n")
loaded = sorted({line.split("/")[-1] for line in maps if ".so" in line and "/" in line})
print(json.dumps({"asked": asked, "loaded": [name for name in loaded if name.startswith("lib")]}))
"""


def _build(tmp_path: Path, mode: str) -> dict[str, list[str]]:
    out = tmp_path / mode
    command = [sys.executable, "-c", _COUNTED, str(SOURCE), str(out), mode]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    assert (out / SHEET_FILE).exists(), result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the soname shortcut is Linux's")
def test_a_build_loads_weasyprint_s_libraries_without_searching_for_them(tmp_path: Path) -> None:
    """WeasyPrint asks for each library under every platform's name; each name the loader does not know
    made ctypes run ldconfig, gcc and ld (22 searches, 0.3–0.6 s of every build process; fails on
    2d52f9f). The libraries loaded are the same; where the loader knows no Linux name, the search is run."""
    quick, searched = _build(tmp_path, "quick"), _build(tmp_path, "no-soname")
    assert quick["asked"] == []
    assert len(searched["asked"]) > 0
    assert any(name.startswith("libpango-1.0.so") for name in quick["loaded"])
    assert set(quick["loaded"]) == set(searched["loaded"])
