"""Identity: how a deck's notes, note types and decks are named in Anki, in one place.

Every id and GUID is a hash of names only (the deck's `id`, a note type's key and version, a note's id),
never of text or time, so the same sources make the same ids on any machine. Learners' review history
hangs on them: changing a formula here orphans every card of every learner. The build, the lock check
and `sync` all take them from here.
"""

from __future__ import annotations

import hashlib


def stable_guid(*parts: str) -> str:
    """Return a note GUID derived from names only (Anki matches notes across imports by GUID)."""
    return hashlib.sha256("\x1f".join(("cheatdeck", *parts)).encode()).hexdigest()[:20]


def note_guid(deck_id: str, notetype: str, note_id: str, version: int) -> str:
    """Return the GUID of a note of one version of a note type. Version 2 and later is part of it: after
    a version bump the notes arrive as new notes (Anki would refuse to move a GUID to another note type)."""
    return stable_guid(deck_id, notetype if version == 1 else f"{notetype}-v{version}", note_id)


def stable_id(*parts: str) -> int:
    """Return an id in genanki's recommended range [2**30, 2**31) derived from names only."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def deck_id_of(deck_id: str, subdeck: str | None = None) -> int:
    """Return the Anki id of the deck (or one subdeck): from the deck's `id`, never its title."""
    return stable_id(deck_id, "deck") if subdeck is None else stable_id(deck_id, "deck", subdeck)


def notetype_id(deck_id: str, key: str, version: int) -> int:
    """Return the Anki id of one version of a note type of a deck."""
    return stable_id(deck_id, "notetype", key, str(version))


def notetype_name(deck_id: str, key: str, version: int) -> str:
    """Return the name Anki shows for one version of a note type of a deck."""
    return f"cheatdeck {key} v{version} ({deck_id})"
