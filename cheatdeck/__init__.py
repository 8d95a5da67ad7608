"""cheatdeck: study notes in YAML → an Anki deck, a printable cheat sheet and a comparison grid."""

__version__ = "0.1.0"

from pathlib import Path

SHIPPED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
