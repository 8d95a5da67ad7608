"""Propose facts from what the author marked to remember, in the author's own words (nothing invented).

- `==highlights==` and `<mark>`: a cloze hiding the marked words (`obsidian.highlight_facts`);
- a bullet or a paragraph that defines a bold term, "- **S3 Standard-IA**: infrequent access, millisecond
  retrieval", "**Input variables** – parameters for a module …", "__Assets:__ …": a cloze hiding the term,
  so the card gives the definition and asks for the name (the words the definition shares with the term
  shown; a question "What are Output values?" when the definition says the whole name);
- "Q: …" followed by "A: …": a question and its answer;
- a bullet with a **bold** part, "Sends hellos every **10 seconds**": a cloze hiding the bold words, in the
  bullet's own words (one a bullet: the first bold part that makes an honest card);
- a short table of two columns, "| Protocol | Port |", and a list of "Key: value" items ("- Static: 1"):
  a cloze per row hiding the value ("SSH — Port: ==22=="); when a value is longer than a cloze may hide,
  every row is asked as a question ("| Command | What it does |": "What does `terraform apply` do?");
- a comparison table, "| Feature | Terraform Cloud | Terraform Enterprise |": a cloze per cell that tells
  the things apart ("Terraform Cloud — Hosting: ==SaaS by HashiCorp=="; "Yes", and a row that says the
  same of each, ask nothing);
- a list of `code` items and their meanings ("- `~>` pessimistic constraint: …"): a question per item,
  "What does `~>` mean?".

At most `MAX_FACTS` a note from the marks, `MAX_ROWS` from defined terms, and `MAX_ROWS` rows from a
table or a list; a fact whose front would
give its answer away (the lint's `front_leaks`, `gives_figure`), or whose answer the summary already
states, is not proposed: the lint keeps each honest (a hidden part of at most six words, a short answer).
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import takewhile
from typing import Any

from cheatdeck.cards.fragments import is_generic_title
from cheatdeck.cards.lint import front_leaks, gives_figure
from cheatdeck.cards.plan import STOPWORDS, answer_words, states_answer, words
from cheatdeck.importer.obsidian import MAX_FACTS, highlight_facts
from cheatdeck.importer.summaries import (
    CODE_ITEM,
    MAX_HIDDEN_WORDS,
    compared_sides,
    defined_term,
    is_callout,
    plain_terms,
    split_sentence,
)

_LABEL_ENDS = frozenset(
    {"if", "when", "for", "with", "to", "in", "on", "by", "after", "before", "during", "until", "unless"}
    | {"of", "at", "from", "via", "per", "than", "while", "where"}
)
"""The last word of a bold label ("**Hold if**", "**Used for**"): what follows is said of the topic."""
_SUBJECT_HEADERS = frozenset(
    {"", "feature", "features", "aspect", "property", "attribute", "criterion", "criteria", "category"}
    | {"characteristic", "dimension", "comparison", "compare", "point", "factor", "item", "vs", "vs."}
)
"""The first header cell of a table whose columns are the things compared ("| Feature | A | B |")."""
MAX_COMPARED = 3  # a comparison table of more columns than this is reference material, not facts
_DEFINITION_HEADER = re.compile(r"(?:definitions?|descriptions?|explanations?|defined as|what it is)", re.I)
"""The header of a table's second column when the table is a glossary: each row a term and its definition."""
_EXAMPLES = re.compile(r"(?:examples?|e\.\s?g\.?|for (?:example|instance)|such as|samples?|instances?)", re.I)
"""A table's column (or row) of examples: each is one of many right answers, never asked."""
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


def author_facts(
    body: str, title: str = "", summary: str = "", unasked: list[tuple[str, str]] | None = None
) -> tuple[str, list[Any], list[str]]:
    """Return the body (highlights made bold), the facts its marks propose, and what each mark gave;
    `title` and `summary`: the note's (a fact the term card's back already answers is not proposed).
    Every bold term the body defines is asked (a glossary of any length); one no honest card can ask is
    added to `unasked` with why, for the report."""
    body, facts = highlight_facts(body)
    found: list[Any] = list(facts)
    said = [f"{len(facts)} from highlights"] if facts else []
    defined = [fact for fact in _defined_terms(body, title, summary, unasked) if not _asked(fact, found)]
    if defined:
        found += defined
        said.append(f"{len(defined)} from bold terms a bullet or a paragraph defines")
    sides = [fact for fact in _side_sentences(body, title, summary) if not _asked(fact, found)]
    if sides:
        found += sides
        said.append(f"{len(sides)} from sentences opening with a thing the title compares")
    for label, proposed in (
        ("Q:/A: lines", _question_pairs(body)),
        ("bold words in bullets", _bold_in_bullets(body, title, summary)),
    ):
        room = MAX_FACTS - len(found) + len(defined)
        taken = [fact for fact in proposed if not _asked(fact, found)][: max(room, 0)]
        if taken:
            found += taken
            said.append(f"{len(taken)} from {label}")
    # a table gives at most `MAX_ROWS` rows (a comparison table a fact per cell of those rows): whole
    rows = [fact for fact in _rows(body, title, summary) if not _asked(fact, found)]
    if rows:
        found += rows
        said.append(f"{len(rows)} from a table or a 'Key: value' list")
    codes = [fact for fact in _code_meanings(body, title) if not _asked(fact, found)]
    if codes:
        found += codes
        said.append(f"{len(codes)} from a list of `code` items and their meanings")
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


def _side_sentences(body: str, title: str, summary: str) -> list[str]:
    """Return, under a title comparing things ("Symmetric vs Asymmetric"), a cloze for each paragraph
    whose first sentence opens with the name of one of them, hiding it: "==Symmetric== encryption uses
    the same key …" (one a thing)."""
    sides = compared_sides(title)
    facts: list[str] = []
    if not sides:
        return facts
    summary = "" if summary == title else summary  # the title standing in makes no term card
    lines = _outside_code(body, keep_blank=True)
    for number, line in enumerate(lines):
        if (number and lines[number - 1].strip()) or not line.strip() or re.match(r"^\s*[-*+>|#<]", line):
            continue
        paragraph = " ".join(part.strip() for part in takewhile(str.strip, lines[number:]))
        sentence = split_sentence(paragraph)[0]
        for side in sides:
            opening = re.match(rf"^((?:the|an?)\s+)?({re.escape(side)})(?=[\s,])", sentence, re.IGNORECASE)
            if opening is None:
                continue
            fact = honest_cloze(opening[1] or "", opening[2], sentence[opening.end() :], title, summary)
            if fact:
                facts.append(fact)
                sides.remove(side)
            break
    return facts


def _bold_in_bullets(body: str, title: str, summary: str) -> list[str]:
    """Return a cloze for each bullet with a bold part: the first bold part that makes an honest card
    hidden, the bullet's other bold words shown plain."""
    facts: list[str] = []
    if "**" not in body and "__" not in body:
        return facts
    for line in _outside_code(body):
        item = _BULLET.match(line)
        if not item or defined_term(line) or "==" in line:
            continue
        text = item["text"].strip()
        plain = _BOLD.sub(lambda match: match["text"], text)
        for match in _BOLD.finditer(text):
            hidden = match["text"].strip()
            if is_callout(hidden):
                continue  # "**Note:** …" labels the bullet; it is nothing to recall
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


def _rows(body: str, title: str, summary: str) -> list[Any]:
    """Return the facts of the first short table or "Key: value" list that makes any: for two columns a
    cloze per row, the key shown and the value hidden ("SSH — Port: ==22==", "Static: ==1=="), or a
    question per row when a value is longer than a cloze may hide ("What does `terraform apply` do?");
    for a comparison table a fact per cell (`_compared`). None from a longer table or list."""
    for pairs, header in [*_two_column_tables(body), *((pairs, "") for pairs in _key_value_lists(body))]:
        if (
            not 2 <= len(pairs) <= MAX_ROWS
            or _EXAMPLES.fullmatch(header.strip(" :"))
            or _DEFINITION_HEADER.fullmatch(header.strip(" :"))  # a glossary: `_definitions` asks it
        ):
            continue
        long = any(len(value.split()) > MAX_HIDDEN_WORDS for _, value in pairs)
        if long and header:
            facts = _asked_rows(pairs, header, title)
        else:
            labelled = [(f"{key} — {header}" if header else key, value) for key, value in pairs]
            facts = _cloze_rows(labelled, title, summary)
        if facts:
            return _apart(facts)
    for table in _comparison_tables(body):
        facts = _compared(table, title, summary)
        if facts:
            return _apart(facts)
    return []


def _apart(facts: list[Any]) -> list[Any]:
    """Return the facts of a table but those whose answer another's back already says, or whose back
    says another's answer ("21 — Protocol: ==FTP==" beside "21 — Secure alternative: ==SFTP / FTPS=="):
    one gives the other away, so the one of the earlier column is kept."""
    kept: list[Any] = []
    for fact in facts:
        answer, back = _answer_and_back(fact)
        if not any(
            states_answer(other, answer) or states_answer(back, other_answer)
            for other_answer, other in map(_answer_and_back, kept)
        ):
            kept.append(fact)
    return kept


def _answer_and_back(fact: Any) -> tuple[str, str]:
    """Return a fact's answer and its back as plain text."""
    if isinstance(fact, dict):
        return str(fact["a"]), f"{fact['q']} — {fact['a']}"
    return " ".join(_HIDDEN.findall(fact)), _HIDDEN.sub(r"\1", fact)


def _cloze_rows(pairs: list[tuple[str, str]], title: str, summary: str) -> list[Any]:
    """Return a cloze per row hiding its value, "SSH — Port: ==22==" (none for a value two rows share)."""
    values = Counter(value.casefold() for _, value in pairs)
    facts: list[Any] = []
    keys: set[frozenset[str]] = set()
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
    return facts


def _asked_rows(pairs: list[tuple[str, str]], header: str, title: str) -> list[Any]:
    """Return a question per row of a two-column table whose values are too long to hide: "What does
    `terraform apply` do?" → "Applies the changes …" (its key is the front; none whose front gives the
    answer away, or whose value two rows share)."""
    values = Counter(value.casefold() for _, value in pairs)
    topic = set(words(title))
    facts: list[Any] = []
    for key, value in pairs:
        question, answer = _row_question(key, header), value[0].upper() + value[1:]
        leaks = [word for word in front_leaks(question, answer, frozenset()) if word not in topic]
        if (
            values[value.casefold()] == 1
            and value.casefold() not in _NO_ANSWER
            and len(value.split()) <= MAX_ANSWER_WORDS
            and not leaks
            and not gives_figure(question, answer)
        ):
            facts.append({"q": question, "a": answer})
    return facts


def _row_question(key: str, header: str) -> str:
    """Return the question a table row asks: "What does KEY do?" under "What it does" ("What it means",
    "Meaning", "What it requires" alike; "What it is": "What is KEY?"), else "KEY — Header?"."""
    what = re.fullmatch(r"what (?:it|this|they|each) (?P<verb>[a-z]+)", header.strip(), re.I)
    if re.fullmatch(r"meanings?", header.strip(), re.I):  # "| Topology | Meaning |"
        return f"What does {key} mean?"
    if what is None:
        return f"{key} — {header}?"
    verb = what["verb"].lower()
    if verb in ("is", "are"):
        return f"What is {key}?"
    return f"What does {key} {_base_form(verb)}?"


def _base_form(verb: str) -> str:
    """Return a verb as "does" asks it: does → do, means → mean, fixes → fix, applies → apply."""
    if verb in ("does", "has"):
        return {"does": "do", "has": "have"}[verb]
    if verb.endswith(("sses", "shes", "ches", "xes", "zes", "oes")):
        return verb[:-2]
    if verb.endswith("ies") and len(verb) > 4:
        return verb[:-3] + "y"
    return verb[:-1] if verb.endswith("s") and not verb.endswith(("ss", "us", "is")) else verb


def _comparison_tables(body: str) -> list[tuple[list[str], list[list[str]]]]:
    """Return each table of three to `MAX_COMPARED` + 1 columns and two to `MAX_ROWS` rows, as its header
    and its rows."""
    tables = []
    lines = _outside_code(body)
    for number, line in enumerate(lines[:-1]):
        header = _cells(line)
        if (
            not 3 <= len(header) <= MAX_COMPARED + 1
            or not _RULE.match(lines[number + 1])
            or (number and _ROW.match(lines[number - 1]))
        ):
            continue
        rows = []
        for row in lines[number + 2 :]:
            cells = _cells(row)
            if len(cells) != len(header):
                break
            rows.append(cells)
        if 2 <= len(rows) <= MAX_ROWS and all(row[0] for row in rows):
            tables.append((header, rows))
    return tables


def _compared(table: tuple[list[str], list[list[str]]], title: str, summary: str) -> list[Any]:
    """Return a fact per cell of a comparison table that tells its row's things apart: the thing and the
    aspect shown, the value hidden ("Terraform Cloud — Hosting: ==SaaS by HashiCorp==", or a question
    when the value is too long to hide). When the first header cell names no thing ("Feature", empty),
    the columns are the things compared; otherwise each row is a thing and each column an aspect of it."""
    header, rows = table
    columns_compared = header[0].casefold().strip(" :") in _SUBJECT_HEADERS
    topic = set(words(title))
    facts: list[Any] = []
    for row in rows:
        values = {value.casefold() for value in row[1:]}
        if len(values) < 2 and len(row) > 2:
            continue  # the row says the same of every thing: it tells nothing apart
        for column, value in zip(header[1:], row[1:], strict=True):
            if not value or value.casefold() in _NO_ANSWER or not column:
                continue
            thing, aspect = (column, row[0]) if columns_compared else (row[0], column)
            if _EXAMPLES.fullmatch(aspect.strip(" :")):
                continue  # an example is one of many right answers
            fact: Any = None
            if len(value.split()) <= MAX_HIDDEN_WORDS:
                fact = honest_cloze(f"{thing} — {aspect}: ", value, "", title, summary)
            elif len(value.split()) <= MAX_ANSWER_WORDS:
                question, answer = f"{thing} — {aspect}?", value[0].upper() + value[1:]
                leaks = [word for word in front_leaks(question, answer, frozenset()) if word not in topic]
                fact = None if leaks else {"q": question, "a": answer}
            if fact is not None:
                facts.append(fact)
    return facts


def _two_column_tables(body: str) -> list[tuple[list[tuple[str, str]], str]]:
    """Return each table of two columns as (key, value) pairs, the value column's header added to the
    key ("SSH — Port"), and that header."""
    tables: list[tuple[list[tuple[str, str]], str]] = []
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
            label, kind = header[1].strip(), header[0].strip()
            # "| Step | … |" → "1": the key is "Step 1"
            tables.append(([(_numbered(kind, key), value) for key, value in pairs], label))
    return tables


def _numbered(kind: str, key: str) -> str:
    """Return a row's key as a front names it: a bare number takes its column's header ("Step 1")."""
    return f"{kind} {key}" if kind and re.fullmatch(r"\d+[.)]?|[ivxIVX]+[.)]?", key) else key


def _cells(line: str) -> list[str]:
    row = _ROW.match(line)
    if not row:
        return []
    return [" ".join(cell.split()) for cell in re.split(r"(?<!\\)\|", row["cells"])]


def _key_value_lists(body: str) -> list[list[tuple[str, str]]]:
    """Return each list all of whose items (top level, two or more) are "Key: value"."""
    lists: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] | None = []
    glossary = plain_terms(body.split("\n"))  # asked by its terms (`_definitions`)
    for number, line in enumerate([*body.split("\n"), ""]):
        if re.match(r"^[-*+]\s", line):
            match = _KEY_VALUE.match(line.rstrip())
            if number in glossary:
                match = None
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


_NEXT_DEFINITION = re.compile(
    r"(?<=[^\s\d][.;])\s+(?=(?:\*\*|__)[^*_\n]{1,60}(?:\*\*|__)(?:\s*\([^()\n]{1,40}\))?\s*[:—–])"
)
"""Where a second bold definition starts on the line of another: "**MTTR** – … . **MTBF** – …"."""


def _definitions(body: str, groups: list[int] | None = None) -> list[tuple[str, str, str]]:
    """Return (term, aside, meaning) for each bullet that defines a bold term, and each paragraph that
    opens with one (its meaning: the paragraph up to the next line that opens a definition, as a glossary
    written one term a line is; two on one line, "**MTTR** – … . **MTBF** – …", are two). `groups` gets
    the number of each one's run: definitions with no other text between them (one list, one glossary)."""
    found: list[tuple[str, str, str]] = []
    groups = [] if groups is None else groups
    group, gap, consumed = 0, False, -1
    lines = [
        piece
        for line in _outside_code(body, keep_blank=True)
        for piece in (_NEXT_DEFINITION.split(line) if defined_term(line) else [line])
    ]
    plain = plain_terms(lines)
    defining = False  # the line before is a definition's (a paragraph of definitions, one a line)
    for number, line in enumerate(lines):
        titled = None if defined_term(line) else _titled_definition(lines, number)
        defined = defined_term(line) or titled
        if number in plain:
            defined = (plain[number][0], "", plain[number][1])
        if defined is None:
            defining = defining and bool(line.strip())
            if line.strip() and number > consumed and not line.startswith((" ", "\t")):
                gap = True  # other text: the next definition starts another run
            continue
        if gap and found:
            group, gap = group + 1, False
        if titled is not None:
            consumed = max(consumed, number + len(_rest_of_definition(lines[number + 1 :])))
        elif number not in plain and not re.match(r"^\s*([-*+>]|\d+[.)])\s", line):
            if number and lines[number - 1].strip() and not defining:
                continue  # not the paragraph's first line
            rest = _rest_of_definition(lines[number + 1 :])
            defined = (defined[0], defined[1], " ".join([defined[2], *rest]))
            defining, consumed = True, number + len(rest)
        found.append(defined)
        groups.append(group)
    for pairs in _glossary_tables(body):
        group += 1
        found += [(term, "", meaning) for term, meaning in pairs]
        groups += [group] * len(pairs)
    return found


_TITLE_ONLY = re.compile(
    r"^(?P<indent>\s*)(?:(?P<mark>[-*+]|\d+[.)]|>)\s*)?(?P<bold>\*\*|__)(?P<term>[^*_\n]{1,60}?):?(?P=bold):?\s*$"
)


def _titled_definition(lines: list[str], number: int) -> tuple[str, str, str] | None:
    """Return (term, "", meaning) for a bold term alone on a bullet whose first nested bullet defines it
    ("- **Pretexting**" then "  - Inventing a scenario …"), alone on a quote's first line, the quote
    saying what it is (an Obsidian callout titled by a term: "> **Vishing**" then "> Phishing over …"),
    or alone on a paragraph's first line, the next saying what it is ("**Rootkit**" then "A set of …")."""
    title = _TITLE_ONLY.match(lines[number])
    if title is None or is_callout(title["term"]) or is_generic_title(title["term"]):
        return None
    if title["mark"] is None:  # "**Rootkit**" and, on the next line, "A set of tools that hides …"
        if number and lines[number - 1].strip():
            return None  # not the paragraph's first line
        meaning = " ".join(_rest_of_definition(lines[number + 1 :]))
        if not meaning or not (meaning[0].islower() or meaning.split()[0].lower() in ("a", "an", "the")):
            return None  # "**Ports**" then "SSH listens on 22 …": a remark headed by a label
    elif title["mark"] == ">":
        if number and lines[number - 1].lstrip().startswith(">"):
            return None  # not the quote's first line
        said = list(takewhile(lambda line: re.match(r"^\s*>\s*\S", line), lines[number + 1 :]))
        meaning = " ".join(re.sub(r"^\s*>\s*", "", line) for line in said)
    else:
        nested = lines[number + 1] if number + 1 < len(lines) else ""
        item = re.match(rf"^{title['indent']}\s+(?:[-*+]|\d+[.)])\s+(?P<text>\S.*)$", nested)
        meaning = item["text"] if item else ""
    if len(meaning.split()) < MIN_MEANING_WORDS or defined_term(meaning):
        return None
    return title["term"].strip(), "", meaning.strip()


def _rest_of_definition(lines: list[str]) -> list[str]:
    """Return the lines of a paragraph that go on a definition opening it: up to a blank line, a list,
    a table, a heading, a line that opens another definition or a label ("Variants:")."""
    rest = []
    for following in lines:
        if (
            not following.strip()
            or re.match(r"^\s*([-*+>|#]|\d+[.)])\s", following)
            or defined_term(following)
            or following.rstrip().endswith(":")
        ):
            break
        rest.append(following.strip())
    return rest


def _glossary_tables(body: str) -> list[list[tuple[str, str]]]:
    """Return the rows of each two-column table of terms and their definitions ("| Term | Definition |"):
    a glossary of any length."""
    return [
        pairs
        for pairs, header in _two_column_tables(body)
        if len(pairs) >= 2 and _DEFINITION_HEADER.fullmatch(header.strip(" :"))
    ]


def _defined_terms(
    body: str, title: str = "", summary: str = "", unasked: list[tuple[str, str]] | None = None
) -> list[Any]:
    """Return a fact for each bold term the body defines: a cloze hiding the term ("==Remote state==:
    stored in a backend …"); when the definition says words of the name (the topic's own words aside, as
    the lint judges), a question asking the definition ("What are Output values?"), else the part of the
    name the definition does not say hidden ("terraform ==taint== (deprecated): …"). A term another
    definition says ("assets" in "Equity: the residual interest in the assets …") is asked as a question
    too: that definition's card would answer its cloze; when its definition is too long for a question's
    answer, its first sentence answers it, else a cloze hides it if the definitions that say it speak of
    other things (as the lint judges: `_answer_on_another_back`). A term no card can ask honestly is
    added to `unasked` with why."""
    unasked = [] if unasked is None else unasked
    groups: list[int] = []
    definitions = _definitions(body, groups)
    made: list[tuple[int, str, str, str, Any]] = []
    for group, (term, aside, said) in zip(groups, definitions, strict=True):
        fact, why = _term_fact(term, aside, said.rstrip(".;"), definitions, title, summary)
        if fact is not None:
            made.append((group, term, aside, said.rstrip(".;"), fact))
        elif why:
            unasked.append((term, why))
    return _in_one_form(made)


def _in_one_form(made: list[tuple[int, str, str, str, Any]]) -> list[Any]:
    """Return the facts of the defined terms, those of one run (one list, one glossary) in one form: where
    some are asked "What is …?" and the others hide the term, every one is asked, if every one can be
    (its answer short enough, its question honest); else each keeps its own."""
    facts = [fact for *_, fact in made]
    for group in {group for group, *_ in made}:
        members = [index for index, (number, *_) in enumerate(made) if number == group]
        forms = {_term_question(made[index][4]) for index in members}
        if forms != {True, False}:
            continue
        asked = {
            index: next(
                (
                    question
                    for answer in (meaning, _first_sentence(meaning), _first_clause(meaning))
                    if answer and (question := _asked_term(term, aside, answer))
                ),
                None,
            )
            for index, (_, term, aside, meaning, fact) in enumerate(made)
            if index in members and not _term_question(fact)
        }
        if all(question is not None for question in asked.values()):
            for index, question in asked.items():
                facts[index] = question
    return facts


def _term_question(fact: Any) -> bool:
    """True for a fact asking what a term is ("What are Output values?")."""
    return isinstance(fact, dict) and str(fact["q"]).startswith(("What is ", "What are "))


def _term_fact(
    term: str, aside: str, meaning: str, definitions: list[tuple[str, str, str]], title: str, summary: str
) -> tuple[Any, str]:
    """Return the fact asking one defined term (`_defined_terms`), or None and why no card asks it."""
    if len(term.split()) > MAX_HIDDEN_WORDS:
        return None, f"a name of over {MAX_HIDDEN_WORDS} words is more than a cloze may hide"
    if len(meaning.split()) < MIN_MEANING_WORDS:
        return None, f"its definition is under {MIN_MEANING_WORDS} words, too little to ask it by"
    after = f" {aside}: {meaning}" if aside else f": {meaning}"
    if term.rsplit(maxsplit=1)[-1].lower() in _LABEL_ENDS:  # "**Hold if**: …" labels what the note says of it
        question, answer = f"{title} — {term}?", meaning[0].upper() + meaning[1:]
        if not title:
            return None, ""
        if (
            len(meaning.split()) <= MAX_ANSWER_WORDS
            and not front_leaks(question, answer, frozenset())
            and not gives_figure(question, answer)
        ):
            return {"q": question, "a": answer}, ""
        return None, f"what it labels is over {MAX_ANSWER_WORDS} words, or gives itself away"
    saying = [
        f"{other}: {text}" for other, _, text in definitions if other != term and states_answer(text, term)
    ]
    if saying:  # "Equity: … the assets …" would answer a cloze hiding "Assets"
        return _said_elsewhere(term, aside, meaning, saying, title, summary)
    topic = set(words(title))
    leaks = [word for word in front_leaks(after, term, frozenset()) if word not in topic]
    if leaks or "==" in meaning or (summary and states_answer(summary, term)):
        fact = _asked_term(term, aside, meaning) or honest_cloze("", term, after, title, summary)
        return fact, "its definition says its name, and is too long for a question's answer"
    return f"=={term}=={after}", ""


def _said_elsewhere(
    term: str, aside: str, meaning: str, saying: list[str], title: str, summary: str
) -> tuple[Any, str]:
    """Return the fact asking a term other definitions (`saying`) say: "What are Assets?" (for a definition
    over `MAX_ANSWER_WORDS`, its first sentence answering, else its words before a relative clause), else
    a cloze hiding it where they speak of other things; or None and why."""
    fact: Any = next(
        (
            asked
            for answer in (meaning, _first_sentence(meaning), _main_clause(meaning))
            if answer and (asked := _asked_term(term, aside, answer))
        ),
        None,
    )
    after = f" {aside}: {meaning}" if aside else f": {meaning}"
    context = answer_words(after) - answer_words(title)
    if fact is None and not any(context & answer_words(other) for other in saying):
        fact = honest_cloze("", term, after, title, summary)  # they speak of other things
    long = len(meaning.split()) > MAX_ANSWER_WORDS
    why = (
        f"the definition of {saying[0].split(':')[0]!r} says it, so a cloze hiding it would be answered "
        "there, and "
        + (f"its definition is over {MAX_ANSWER_WORDS} words" if long else "'What is …?' gives itself away")
    )
    return fact, why


_RELATIVE_CLAUSE = re.compile(
    r",\s+(?:(?:from|in|by|for|to|with|of|under|through|on|at)\s+)?(?:which|whom|whose|where|when)\b", re.I
)


def _main_clause(meaning: str) -> str:
    """Return a definition's words before its first relative clause set off by a comma ("present economic
    resources controlled by the entity, from which future benefits …" → "present economic resources
    controlled by the entity"), or "" when it has none or they are under `MIN_MEANING_WORDS`."""
    first = _first_sentence(meaning) or meaning
    clause = _RELATIVE_CLAUSE.search(first)
    if clause is None or len(first[: clause.start()].split()) < MIN_MEANING_WORDS:
        return ""
    return first[: clause.start()].rstrip(" ,;")


def _first_clause(meaning: str) -> str:
    """Return a definition's words before its first semicolon ("the outcome depends on the timing of
    events; TOCTOU … is a common example"), or "" when it has none or they are under `MIN_MEANING_WORDS`."""
    clause, semicolon, _ = meaning.partition(";")
    return clause.strip() if semicolon and len(clause.split()) >= MIN_MEANING_WORDS else ""


def _first_sentence(meaning: str) -> str:
    """Return the first sentence of a definition of several, without its full stop ("" for one)."""
    sentence, rest = split_sentence(meaning)
    return sentence.rstrip(".;") if rest else ""


def _asked_term(term: str, aside: str, meaning: str) -> dict[str, str] | None:
    """Return the question asking a term's definition ("What are Output values?"), or None when the
    answer is too long or the question gives it away."""
    verb = "are" if re.search(r"[^s]s$", term) else "is"
    question = f"What {verb} {term}{f' {aside}' if aside else ''}?"
    answer = meaning[0].upper() + meaning[1:]
    if len(meaning.split()) > MAX_ANSWER_WORDS or "==" in meaning:
        return None
    if front_leaks(question, answer, frozenset()) or gives_figure(question, answer):
        return None
    return {"q": question, "a": answer}


def _code_meanings(body: str, title: str) -> list[Any]:
    """Return a question per item of the first list of two to `MAX_ROWS` items that are all `code` and
    its meaning ("- `~>` pessimistic constraint: …" → "What does `~>` mean?")."""
    topic = set(words(title))
    for items in _code_lists(body):
        facts: list[Any] = []
        for code, meaning in items:
            several = len(re.findall(r"`[^`]+`", code)) > 1
            question = f"What {'do' if several else 'does'} {code} mean?"
            answer = meaning[0].upper() + meaning[1:]
            leaks = [word for word in front_leaks(question, answer, frozenset()) if word not in topic]
            if len(answer.split()) <= MAX_ANSWER_WORDS and not leaks and not gives_figure(question, answer):
                facts.append({"q": question, "a": answer})
        if facts:
            return facts
    return []


def _code_lists(body: str) -> list[list[tuple[str, str]]]:
    """Return each list of two to `MAX_ROWS` items that are all `code` and its meaning."""
    lists: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] | None = []
    for line in [*_outside_code(body, keep_blank=True), ""]:
        if re.match(r"^[-*+]\s", line):
            match = CODE_ITEM.match(line.rstrip())
            if current is not None and match:
                current.append((match["code"], match["meaning"]))
            else:
                current = None  # one item is not `code` and its meaning: not such a list
            continue
        if line.strip():
            if line.startswith((" ", "\t")):
                current = None  # a nested list or a continued item
            continue
        if current and 2 <= len(current) <= MAX_ROWS:
            lists.append(current)
        current = []
    return lists


def _question_pairs(body: str) -> list[dict[str, str]]:
    lines = _outside_code(body)
    pairs = []
    for line, following in zip(lines, [*lines[1:], ""], strict=False):
        question, answer = _QUESTION.match(line), _ANSWER.match(following)
        if question and answer and len(answer["a"].split()) <= MAX_ANSWER_WORDS:
            pairs.append({"q": question["q"].strip(), "a": answer["a"].strip()})
    return pairs


def _outside_code(body: str, keep_blank: bool = False) -> list[str]:
    """Return the body's lines outside fenced code (its blank lines too if `keep_blank`)."""
    lines, fenced = [], False
    for line in body.split("\n"):
        if re.match(r"^ {0,3}(```|~~~)", line):
            fenced = not fenced
            continue
        if not fenced and (line.strip() or keep_blank):
            lines.append(line)
    return lines
