"""cheatdeck: study notes in YAML → an Anki deck, a printable cheat sheet and a comparison grid."""

__version__ = "0.1.0"

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
"""cheatdeck's own code: what its caches and build fingerprints hash."""
_INSTALLED = PACKAGE_DIR / "templates"
SHIPPED_TEMPLATES = _INSTALLED if _INSTALLED.is_dir() else PACKAGE_DIR.parent / "templates"
"""The templates cheatdeck ships: inside the package when installed from a wheel (`pip install .`), at the
top of the repository in a checkout or an editable install. The notes format guide is beside them, in
`SHIPPED_TEMPLATES.parent / "source" / "README.md"`."""


def forget_caches() -> None:
    """Empty cheatdeck's bounded in-memory caches (parsed Markdown, inline renders, words …): what a fresh
    process starts with. A long-running `watch` keeps them; benchmarks and tests of cold builds clear them."""
    import sys

    for name, module in list(sys.modules.items()):
        if name == "cheatdeck" or name.startswith("cheatdeck."):
            for value in vars(module).values():
                info = None if isinstance(value, type) else getattr(value, "cache_info", None)
                if info is not None and info().maxsize is not None:
                    value.cache_clear()
