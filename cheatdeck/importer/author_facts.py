"""Propose facts from what the author marked to remember, in the author's own words (nothing invented).

- `==highlights==` and `<mark>`: a cloze hiding the marked words (`obsidian.highlight_facts`);
- a bullet that defines a bold term, "- **S3 Standard-IA**: infrequent access, millisecond retrieval":
  a cloze hiding the term, so the card gives the definition and asks for the name;
- "Q: …" followed by "A: …": a question and its answer;
- a bullet with a **bold** part, "Sends hellos every **10 seconds**": a cloze hiding the bold words, in the
  bullet's own words (one a bullet: the first bold part that makes an honest card);
- a short table of two columns, "| Protocol | Port |", and a list of "Key: value" items ("- Static: 1"):
  a cloze per row hiding the value ("SSH — Port: ==22==").

At most `MAX_FACTS` a note from the marks, and `MAX_ROWS` from a table or a list; a fact whose front would
give its answer away (the lint's `front_leaks`, `gives_figure`), or whose answer the summary already
states, is not proposed: the lint keeps each honest (a hidden part of at most six words, a short answer).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from cheatdeck.cards.lint import front_leaks, gives_figure
from cheatdeck.cards.plan import STOPWORDS, states_answer, words
from cheatdeck.importer.obsidian import MAX_FACTS, MAX_HIDDEN_WORDS, highlight_facts

_DEFINED = re.compile(
    r"^\s*[-*+]\s+(?:\*\*|__)(?P<term>[^*_\n]{1,60}?)(?:\*\*|__)\s*(?:[:—–]|\s-)\s*(?P<meaning>\S.*)$"
)
_QUESTION = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?Q(?:uestion)?\s*[:.](?:\*\*|__)?\s*(?P<q>\S.*)$", re.I)
_ANSWER = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?A(?:nswer)?\s*[:.](?:\*\*|__)?\s*(?P<a>\S.*)$", re.I)
MIN_MEANING_WORDS = 3
MAX_ANSWER_WORDS = 15  # the lint's limit for a question's answer
MAX_ROWS = 6  # a table or "Key: value" list longer than this is reference material, not facts
MIN_CONTEXT_WORDS = 3  # a bold part's bullet needs this many words of its own to be answerable
_BOLD = re.compile(r"(\*\*|__)(?P<text>[^*_\n]+?)\1")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?P<text>\S.*)$")
_KEY_VALUE = re.compile(r"^[-*+]\s+(?P<key>[^:*_`]{1,40}?)\s*:\s+(?P<value>\S.*?)[.;]?$")
_ROW = re.compile(r"^\s*\|(?P<cells>.*)\|\s*$")
_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HIDDEN = re.compile(r"==([^=\n]+)==")
_NO_ANSWER = frozenset({"yes", "no", "true", "false", "y", "n", "x", "-", "—", "✓", "✗", "✔", "n/a"})


def author_facts(body: str, title: str = "", summary: str = "") -> tuple[str, list[Any], list[str]]:
    """Return the body (highlights made bold), the facts its marks propose, and what each mark gave;
    `title` and `summary`: the note's (a fact the term card's back already answers is not proposed)."""
    body, facts = highlight_facts(body)
    found: list[Any] = list(facts)
    said = [f"{len(facts)} from highlights"] if facts else []
    for label, proposed in (
        ("bold terms a bullet defines", _defined_terms(body)),
        ("Q:/A: lines", _question_pairs(body)),
        ("bold words in bullets", _bold_in_bullets(body, title, summary)),
    ):
        room = MAX_FACTS - len(found)
        taken = [fact for fact in proposed if not _asked(fact, found)][: max(room, 0)]
        if taken:
            found += taken
            said.append(f"{len(taken)} from {label}")
    rows = [fact for fact in _rows(body, title, summary) if not _asked(fact, found)][:MAX_ROWS]
    if rows:
        found += rows
        said.append(f"{len(rows)} from a two-column table or a 'Key: value' list")
    return body, found, said


def _asked(fact: Any, found: list[Any]) -> bool:
    """True when a proposed fact asks what a fact already found asks (a highlight is bold in the body too)."""
    hidden = {span.casefold() for span in _HIDDEN.findall(fact)} if isinstance(fact, str) else set()
    return fact in found or any(
        isinstance(other, str) and hidden & {span.casefold() for span in _HIDDEN.findall(other)}
        for other in found
    )


def honest_cloze(before: str, hidden: str, after: str, title: str, summary: str = "") -> str | None:
    """Return the cloze hiding `hidden` between `before` and `after` if it asks something honestly: the
    rest of its front neither says the answer's words (words it leaks at the hidden part's edges are
    shown instead: "the ==backbone== area") nor its figure, the summary does not state it, and it is not
    all small words. None when no such cloze is left."""
    topic = set(words(title))
    parts = hidden.split()
    while parts:
        hidden = " ".join(parts)
        if not set(words(hidden)) - STOPWORDS or not re.search(r"\w", hidden):
            return None
        front = f"{before}…{after}"
        shared = (set(words(hidden)) - STOPWORDS) & set(words(front))  # "l1: …" → "L1 strength"
        leaks = {word for word in front_leaks(front, hidden, frozenset()) if word not in topic} | shared
        if not leaks:
            if gives_figure(front, hidden) or (summary and states_answer(summary, hidden)):
                return None
            return f"{before}=={hidden}=={after}".strip()
        if set(words(parts[0])) <= leaks:
            before, parts = f"{before}{parts[0]} ", parts[1:]
        elif set(words(parts[-1])) <= leaks:
            after, parts = f" {parts[-1]}{after}", parts[:-1]
        else:
            return None
    return None


def _bold_in_bullets(body: str, title: str, summary: str) -> list[str]:
    """Return a cloze for each bullet with a bold part: the first bold part that makes an honest card
    hidden, the bullet's other bold words shown plain."""
    facts: list[str] = []
    if "**" not in body and "__" not in body:
        return facts
    for line in _outside_code(body):
        item = _BULLET.match(line)
        if not item or _DEFINED.match(line) or "==" in line:
            continue
        text = item["text"].strip()
        plain = _BOLD.sub(lambda match: match["text"], text)
        for match in _BOLD.finditer(text):
            hidden = match["text"].strip()
            own_words = len(plain.split()) - len(hidden.split())
            if len(hidden.split()) > MAX_HIDDEN_WORDS or own_words < MIN_CONTEXT_WORDS:
                continue
            shown = _BOLD.sub(lambda m: m["text"], text[: match.start()])
            rest = _BOLD.sub(lambda m: m["text"], text[match.end() :])
            fact = honest_cloze(shown, hidden, rest, title, summary)
            if fact:
                facts.append(fact)
                break
    return facts


def _rows(body: str, title: str, summary: str) -> list[str]:
    """Return a cloze per row of the first short two-column table or "Key: value" list: the key shown,
    the value hidden ("SSH — Port: ==22==", "Static: ==1=="); none from a longer one."""
    for pairs in (*_two_column_tables(body), *_key_value_lists(body)):
        values = Counter(value.casefold() for _, value in pairs)
        if not 2 <= len(pairs) <= MAX_ROWS:
            continue
        facts, keys = [], set()
        for key, value in pairs:
            fact = None
            if (  # a value two rows share: each card's back would answer the other
                values[value.casefold()] == 1
                and value.casefold() not in _NO_ANSWER
                and len(value.split()) <= MAX_HIDDEN_WORDS
            ):
                fact = honest_cloze(f"{key}: ", value, "", title, summary)
            if fact and frozenset(words(key)) not in keys:  # "HTTP" and "HTTPS" read alike
                facts.append(fact)
                keys.add(frozenset(words(key)))
        if facts:
            return facts
    return []


def _two_column_tables(body: str) -> list[list[tuple[str, str]]]:
    """Return each table of two columns as (key, value) pairs, the value column's header added to the
    key ("SSH — Port")."""
    tables: list[list[tuple[str, str]]] = []
    lines = _outside_code(body)
    for number, line in enumerate(lines[:-1]):
        header = _cells(line)
        if (
            len(header) != 2
            or not _RULE.match(lines[number + 1])
            or (number and _ROW.match(lines[number - 1]))
        ):
            continue
        pairs = []
        for row in lines[number + 2 :]:
            cells = _cells(row)
            if len(cells) != 2:
                break
            pairs.append(cells)
        key_words = len(pairs) and max(len(key.split()) for key, _ in pairs)
        if pairs and all(key and value for key, value in pairs) and key_words <= MAX_HIDDEN_WORDS:
            label = header[1].strip()
            tables.append([(f"{key} — {label}" if label else key, value) for key, value in pairs])
    return tables


def _cells(line: str) -> list[str]:
    row = _ROW.match(line)
    if not row:
        return []
    return [" ".join(cell.split()) for cell in re.split(r"(?<!\\)\|", row["cells"])]


def _key_value_lists(body: str) -> list[list[tuple[str, str]]]:
    """Return each list all of whose items (top level, two or more) are "Key: value"."""
    lists: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] | None = []
    for line in [*body.split("\n"), ""]:
        if re.match(r"^[-*+]\s", line):
            match = _KEY_VALUE.match(line.rstrip())
            if current is not None and match and len(match["key"].split()) <= 4:
                current.append((match["key"].strip(), match["value"].strip()))
            else:
                current = None  # one item is not "Key: value": not such a list
            continue
        if line.startswith((" ", "\t")) and line.strip():
            current = None  # a nested list or a continued item
            continue
        if not line.strip():
            continue
        if current and len(current) >= 2:
            lists.append(current)
        current = []
    if current and len(current) >= 2:
        lists.append(current)
    return lists


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
