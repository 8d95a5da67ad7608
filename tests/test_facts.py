"""Facts: the atomic statements and question/answer pairs a note lists, validated and rendered safely."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cheatdeck.notes.model import Fact, Note
from cheatdeck.notes.render import render_fact, render_inline


def _note(*facts: object) -> Note:
    return Note.model_validate({"id": "a", "title": "A", "kind": "metric", "summary": "s", "facts": facts})


def test_a_bare_string_is_a_statement_and_a_mapping_a_question() -> None:
    statement, question = _note("FN is a ==type 2 error==", {"q": "How many?", "a": "2–15"}).facts
    assert (statement.is_question, statement.hidden_spans()) == (False, ["type 2 error"])
    assert (question.is_question, question.plain()) == (True, "How many? — 2–15")
    assert statement.plain() == "FN is a type 2 error"


@pytest.mark.parametrize(
    "raw", [{"q": "only a question"}, {"a": "only an answer"}, {"text": "x", "q": "y", "a": "z"}]
)
def test_a_fact_has_exactly_one_form(raw: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        _note(raw)


def test_facts_render_marks_and_inline_markdown_and_escape_html() -> None:
    html = render_fact(Fact(text="==L1== gives **sparse** weights <script>"))
    assert html == "<mark>L1</mark> gives <strong>sparse</strong> weights &lt;script&gt;"
    pair = render_fact(Fact(q="How *many*?", a="`2–15`"))
    assert pair == '<span class="q">How <em>many</em>?</span> <span class="a"><code>2–15</code></span>'


def test_inline_markdown_never_makes_blocks_or_unsafe_links() -> None:
    assert render_inline("# not a heading") == "# not a heading"
    assert "href" not in render_inline("[x](javascript:alert(1))")
    assert render_inline("**Input**: `x`") == "<strong>Input</strong>: <code>x</code>"


def test_labelled_fields_say_the_learning_type_in_plain_words() -> None:
    from cheatdeck.notes.kinds import labelled_values

    note = Note.model_validate(
        {
            "id": "t",
            "title": "T",
            "kind": "algorithm",
            "summary": "s",
            "learning": "not-learning",
            "task": "x",
        }
    )
    assert labelled_values(note) == [("Learning", "not a learning algorithm"), ("Task", "x")]
