"""`hashing.fingerprint`, the key of the in-memory caches (issue 26): equal content, equal key; any other
content, another key; a value it cannot read is never taken for another."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from markupsafe import Markup

from cheatdeck import forget_caches, hashing
from cheatdeck.hashing import fingerprint
from cheatdeck.notes.kinds import GridRows, GridTable
from cheatdeck.notes.model import Reference


@dataclass(frozen=True)
class _Pair:
    first: object
    second: object


def _closing_over(value: object) -> object:
    return lambda: value


def test_equal_content_has_one_key_and_other_content_another() -> None:
    same = [
        ({"a": 1, "b": [2, 3]}, {"b": [2, 3], "a": 1}),
        ({1: "x", 2: "y"}, {2: "y", 1: "x"}),
        ({"b", "a"}, {"a", "b"}),
        (_Pair("x", ("y",)), _Pair("x", ("y",))),
        (Reference(url="https://a.example/"), Reference(url="https://a.example/")),
        (_closing_over(1), _closing_over(1)),
    ]
    for one, other in same:
        assert fingerprint(one) == fingerprint(other), (one, other)
    different = [
        ("<b>", Markup("<b>")),
        (True, 1),
        (1, 1.0),
        ("1", 1),
        (("a", "b"), ("ab",)),
        (["a"], ("a",)),
        ({"a": "b"}, {"ab": ""}),
        (_Pair("x", "y"), _Pair("y", "x")),
        (Reference(url="https://a.example/"), Reference(url="https://b.example/")),
        (_closing_over(1), _closing_over(2)),
    ]
    for one, other in different:
        assert fingerprint(one) != fingerprint(other), (one, other)


def test_a_value_it_cannot_read_is_never_taken_for_another() -> None:
    unknown = object()
    assert fingerprint(unknown) != fingerprint(unknown)
    assert fingerprint([1, unknown]) != fingerprint([1, unknown])


@dataclass(frozen=True)
class _Record:
    name: str
    parts: tuple[object, ...] = ()


def _counting_feeds(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The values `fingerprint` reads, one by one (the real digest is made)."""
    fed: list[object] = []
    feed = hashing._feed

    def counting(digest: object, value: object, depth: int) -> object:
        fed.append(value)
        return feed(digest, value, depth)

    monkeypatch.setattr(hashing, "_feed", counting)
    return fed


def test_an_immutable_record_is_read_once_and_its_digest_kept_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    forget_caches()
    records = tuple(
        _Record(f"row {index}", (index, ("a", "b"), Reference(url=f"https://{index}.example/")))
        for index in range(50)
    )
    fed = _counting_feeds(monkeypatch)
    first = fingerprint(records)
    assert len(fed) > 50 * 8
    fed.clear()
    assert fingerprint(records) == first
    assert len(fed) == 51  # the tuple, then each record's kept digest
    copies = tuple(_Record(record.name, record.parts) for record in records)
    assert fingerprint(copies) == first  # equal content, equal digest, kept or not


def test_a_record_that_can_change_is_read_again_every_time() -> None:
    forget_caches()
    holding_a_list = _Record("a list", ([1, 2],))
    before = fingerprint(holding_a_list)
    holding_a_list.parts[0].append(3)  # type: ignore[attr-defined]
    assert fingerprint(holding_a_list) != before
    table = GridTable(
        name="t", caption="T", rows=[GridRows(kind="service")], columns=[], group_labels={"a": "A"}
    )
    before = fingerprint(table)
    assert fingerprint(table) == before
    table.group_labels["a"] = "changed"  # a frozen model, but its dict can change
    assert fingerprint(table) != before
    unreadable = _Record("unknown", (object(),))
    assert fingerprint(unreadable) != fingerprint(unreadable)


def test_a_digest_is_never_given_to_a_new_object_that_takes_a_dead_one_s_id() -> None:
    forget_caches()
    digests = [fingerprint(_Record(str(index))) for index in range(500)]  # each record dies at once
    assert len(set(digests)) == 500
    forget_caches()
    assert digests == [fingerprint(_Record(str(index))) for index in range(500)]


def test_a_digest_is_kept_while_its_record_lives_and_no_longer() -> None:
    forget_caches()
    kept, dropped = _Record("held"), _Record("let go")
    fingerprint((kept, dropped))
    assert hashing.PRINTS.cache_info().currsize == 2
    del dropped
    assert hashing.PRINTS.cache_info().currsize == 1 and hashing.PRINTS.get(kept) is not None
    forget_caches()
    assert hashing.PRINTS.get(kept) is None and hashing.PRINTS.cache_info().currsize == 0
