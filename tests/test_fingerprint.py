"""`hashing.fingerprint`, the key of the in-memory caches (issue 26): equal content, equal key; any other
content, another key; a value it cannot read is never taken for another."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from cheatdeck.hashing import fingerprint
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
