"""Drive the real Anki backend: open a scratch collection, import a package, read cards back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from anki.cards import Card
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.notes import Note


@dataclass(frozen=True)
class ImportCounts:
    """How many notes an import added, updated, skipped as unchanged and refused."""

    new: int
    updated: int
    duplicate: int
    conflicting: int


def import_package(collection: Collection, package: Path) -> ImportCounts:
    """Import `package` with Anki's default options (update notes and note types if newer)."""
    request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
    log = collection.import_anki_package(request).log
    return ImportCounts(len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting))


def note_by_id(collection: Collection, note_id: str, notetype: str = "topic") -> Note:
    """Return the collection's note whose `Source id` field is `note_id`, of the given cheatdeck note type."""
    matches = [
        collection.get_note(nid)
        for nid in collection.find_notes(f'"Source id:{note_id}"')
        if f"cheatdeck {notetype} " in collection.get_note(nid).note_type()["name"]
    ]
    assert len(matches) == 1, (note_id, notetype, len(matches))
    return matches[0]


_OWN_SCRIPT = re.compile(r"<script>\n/\* cheatdeck: kind colours \*/\n.*?</script>", re.DOTALL)


def card_html(card: Card) -> tuple[str, str]:
    """Return a card's question and answer HTML without the note type's <style> block and without the
    kind-colour script its front template holds (cheatdeck/anki/badges.py), each side's one copy of the
    template's own text: any other script, one a field made included, stays to be found."""
    strip = re.compile(r"<style>.*?</style>", re.DOTALL)
    own = _OWN_SCRIPT.search(card.template()["qfmt"])

    def without_own(html: str) -> str:
        return html.replace(own[0], "", 1) if own else html

    return without_own(strip.sub("", card.question())), without_own(strip.sub("", card.answer()))


def own_script(card: Card) -> str:
    """Return the kind-colour script of a card's front template ('' : none)."""
    own = _OWN_SCRIPT.search(card.template()["qfmt"])
    return own[0] if own else ""
