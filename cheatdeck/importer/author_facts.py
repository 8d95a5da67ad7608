"""Propose facts from what the author marked to remember, in the author's own words (nothing invented).

- `==highlights==` and `<mark>`: a cloze hiding the marked words (`obsidian.highlight_facts`);
- a bullet that defines a bold term, "- **S3 Standard-IA**: infrequent access, millisecond retrieval":
  a cloze hiding the term, so the card gives the definition and asks for the name;
- "Q: …" followed by "A: …": a question and its answer.

At most `MAX_FACTS` a note, highlights first; the lint keeps each honest (a hidden part of at most six
words, a short answer).
"""

from __future__ import annotations

import re
from typing import Any

from cheatdeck.importer.obsidian import MAX_FACTS, MAX_HIDDEN_WORDS, highlight_facts

_DEFINED = re.compile(
    r"^\s*[-*+]\s+(?:\*\*|__)(?P<term>[^*_\n]{1,60}?)(?:\*\*|__)\s*(?:[:—–]|\s-)\s*(?P<meaning>\S.*)$"
)
_QUESTION = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?Q(?:uestion)?\s*[:.](?:\*\*|__)?\s*(?P<q>\S.*)$", re.I)
_ANSWER = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?A(?:nswer)?\s*[:.](?:\*\*|__)?\s*(?P<a>\S.*)$", re.I)
MIN_MEANING_WORDS = 3
MAX_ANSWER_WORDS = 15  # the lint's limit for a question's answer


def author_facts(body: str) -> tuple[str, list[Any], list[str]]:
    """Return the body (highlights made bold), the facts its marks propose, and what each mark gave."""
    body, facts = highlight_facts(body)
    found: list[Any] = list(facts)
    said = [f"{len(facts)} from highlights"] if facts else []
    defined = _defined_terms(body)
    room = MAX_FACTS - len(found)
    if defined and room > 0:
        found += defined[:room]
        said.append(f"{len(defined[:room])} from bold terms a bullet defines")
    pairs = _question_pairs(body)
    room = MAX_FACTS - len(found)
    if pairs and room > 0:
        found += pairs[:room]
        said.append(f"{len(pairs[:room])} from Q:/A: lines")
    return body, found, said


def _defined_terms(body: str) -> list[str]:
    facts = []
    for line in _outside_code(body):
        match = _DEFINED.match(line)
        if not match:
            continue
        term, meaning = match["term"].strip(), match["meaning"].strip().rstrip(".;")
        if len(term.split()) > MAX_HIDDEN_WORDS or len(meaning.split()) < MIN_MEANING_WORDS or "==" in line:
            continue
        facts.append(f"=={term}==: {meaning}")
    return facts


def _question_pairs(body: str) -> list[dict[str, str]]:
    lines = _outside_code(body)
    pairs = []
    for line, following in zip(lines, [*lines[1:], ""], strict=False):
        question, answer = _QUESTION.match(line), _ANSWER.match(following)
        if question and answer and len(answer["a"].split()) <= MAX_ANSWER_WORDS:
            pairs.append({"q": question["q"].strip(), "a": answer["a"].strip()})
    return pairs


def _outside_code(body: str) -> list[str]:
    lines, fenced = [], False
    for line in body.split("\n"):
        if re.match(r"^ {0,3}(```|~~~)", line):
            fenced = not fenced
            continue
        if not fenced and line.strip():
            lines.append(line)
    return lines
