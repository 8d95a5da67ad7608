"""Identity: the shipped deck's GUIDs and note-type ids come from one module, and never move."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cheatdeck import PACKAGE_DIR
from cheatdeck.identity import note_guid, notetype_id, notetype_name

SHIPPED_LOCK = Path(__file__).parent.parent / "source" / "cheatdeck.lock.json"


def test_the_shipped_lock_is_named_by_the_identity_formulas() -> None:
    """Every note and note type learners already have keeps its GUID and id (their review history)."""
    lock = json.loads(SHIPPED_LOCK.read_text(encoding="utf-8"))
    deck = lock["deck"]
    versions = {}
    for model_id, notetype in lock["notetypes"].items():
        found = re.fullmatch(r"cheatdeck (\w+) v(\d+) \((.+)\)", notetype["name"])
        assert found and found[3] == deck, notetype["name"]
        key, version = found[1], int(found[2])
        assert notetype_name(deck, key, version) == notetype["name"]
        assert notetype_id(deck, key, version) == int(model_id)
        versions[int(model_id)] = version
    assert len(lock["notes"]) > 50
    for guid, note in lock["notes"].items():
        assert note_guid(deck, note["notetype"], note["note_id"], versions[note["model_id"]]) == guid


def test_the_guid_and_id_formulas_exist_once() -> None:
    """No module but cheatdeck/identity.py hashes names into a GUID or an Anki id."""
    formulas = re.compile(r"hexdigest\(\)\[:20\]|% \(1 << 30\)|\"cheatdeck\", \*parts|f\"cheatdeck \{")
    copies = [
        str(path.relative_to(PACKAGE_DIR))
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if path.name != "identity.py" and formulas.search(path.read_text(encoding="utf-8"))
    ]
    assert copies == []
