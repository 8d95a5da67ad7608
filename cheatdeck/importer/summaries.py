"""Choose an imported note's summary: the first sentence that says what the topic is, never a label.

The summary is the term card's answer ("What is it?"), so it must be a definition. Candidates come from
the section's text in order: the sentences of its paragraphs first, then what a list says after a label
("Usage:" followed by items), then list items. Labels, lines ending in ':', table rows, code, `#tag` lines
and sentences about the guide are never chosen (`cheatdeck.cards.fragments`). Of the usable sentences, one
that defines (" is ", " are ", "measures", "refers to" …) or names the topic wins over one that only follows
it. The author's **bold**, *emphasis* and `code` are kept; links keep their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from cheatdeck.cards.fragments import MIN_SENTENCE_WORDS, fragment_reason, is_generic_title, plain_words

_BLOCKS = MarkdownIt("commonmark").enable(["table"]).disable("inline")
_SENTENCE_END = re.compile(r"[.!?](?=\\?\s+[\"“(\[*_]*[A-Z0-9])")
_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs", "approx", "fig", "no", "mr", "ms", "dr", "inc", "ltd", "cf")
_DEFINES = re.compile(
    r"\b(is|are|was|were|refers? to|means?|stands? for|measures?|describes?|lets|allows|enables|provides|"
    r"helps|used (to|for))\b|[—–]|^[^:]{2,40}: ",
    re.IGNORECASE,
)
_LABEL_VALUE = re.compile(r"^(?P<label>[A-Za-z][\w /&()-]{0,30}?)\s*:\s+(?P<value>\S.*)$")
_KEY_VALUE = re.compile(r"^[^:]{1,40}:\s+\S")
_DEFINED = re.compile(
    r"^(?P<bullet>\s*(?:[-*+]|\d+[.)])\s+)?(?P<mark>\*\*|__|\*|_)(?P<term>[^*_\n]{1,60}?)(?P<colon>:?)(?P=mark)"
    r"(?P<aside>\s*\([^()\n]{1,40}\))?(?P<sep>\s*(?:[:—–]|\s-))?\s*(?P<meaning>[^\s:—–-].*)$"
)
"""A bold (or italic) term and its definition, on a bullet or opening a paragraph: "**Term** – …", "__Term:__
…", "*Term*: …"."""
_CALLOUT = re.compile(
    r"((exam|pro|quick|top|key|main|common|fun|side) )?(tip|note|warning|caution|hint|remember|reminder|"
    r"important|watch out|gotcha|trap|point|example|e\.g|nb|n\.b|summary|update|edit|todo|answer|question|"
    r"q|a|idea|takeaway|take-away|fact|mistake|pitfall|mnemonic|recap|bottom line|in short|tl;? ?dr|"
    r"why( (it|this) matters)?|in practice|on the exam|heads up|explanation|reason|rationale|result|solution|"
    r"source|optional|caveat|context|background|aside|details?|correct answer|verdict)s?",
    re.IGNORECASE,
)
"""A bold label that introduces a remark ("**Note:** …", "**Exam tip** – …"): no term it defines."""
CODE_ITEM = re.compile(
    r"^[-*+]\s+(?P<code>`[^`\n]+`(?:\s*(?:,|/|or|and)\s*`[^`\n]+`)*)\s*(?:[:=—–→]|\s-|->)?\s*"
    r"(?P<meaning>[^\s`:=—–→-].*?)\s*[.;]?$"
)
"""A list item that is `code` (or several) and what it means: "- `~>` pessimistic constraint: …"."""
MAX_HIDDEN_WORDS = 6  # a longer part makes no cloze (the lint's limit for a hidden part)
_LOOK_AHEAD = 4  # how many usable sentences are weighed for one that defines
MAX_LIST_ITEMS = 4  # a label's list is summarised by at most this many items


@dataclass(frozen=True)
class Summary:
    """The chosen summary (inline Markdown; empty: none usable), the body without it, and how."""

    text: str
    body: str
    how: str


@dataclass(frozen=True)
class _Candidate:
    text: str
    how: str
    lines: tuple[int, int] | None = None  # the paragraph's lines, when the sentence opens it
    rest: str = ""  # the paragraph without the sentence
    # lower is better: 0 a paragraph's sentence, 1 a label's list, 2 a list item; + 3 per sub-heading
    rank: int = 0


def choose_summary(body: str, title: str) -> Summary:
    """Return the summary for a section with this body and title (see the module's docstring)."""
    candidates = list(_candidates(body, title))
    if not candidates:
        return Summary("", body, "no sentence in the section says what it is")
    glossary = _defines_terms(body, title)
    if glossary:  # what a list says is not what a section of definitions is: only its own sentences
        candidates = [candidate for candidate in candidates if candidate.rank % 3 == 0]
    if not candidates:
        return Summary("", body, "its text defines the terms in it, and no sentence says what it is")
    plain = {term for term, _ in plain_terms(body.split("\n")).values()}  # "CSRF - …" defines CSRF
    candidates = [
        candidate
        for candidate in candidates
        if not _RANKS_ONLY.match(_plain(candidate.text)) and not _defines_one_of(candidate.text, plain)
    ]
    if not candidates:
        return Summary("", body, "its only sentence says how much the topic matters, not what it is")
    sides = compared_sides(title)
    if sides:  # "Symmetric vs Asymmetric": what one of them is ("It is fast …") is not what they all are
        candidates = [candidate for candidate in candidates if len(_sides_named(candidate.text, sides)) > 1]
        if not candidates:
            return Summary("", body, "it compares things, and no sentence says what they all are")
    best_rank = min(candidate.rank for candidate in candidates)  # the section's own text before its parts
    usable = [candidate for candidate in candidates if candidate.rank == best_rank][:_LOOK_AHEAD]
    names = {word.lower() for word in plain_words(title) if len(word) > 2}
    chosen = next(
        (c for c in usable if _DEFINES.search(_plain(c.text)) or names & set(_plain(c.text).lower().split())),
        None if glossary else usable[0],
    )
    if chosen is None:  # "Set TF_LOG …" above "**terraform import** – …": says what to do, not what it is
        return Summary("", body, "its text defines the terms in it, and no sentence says what it is")
    if chosen.lines is not None and not re.search(r"\]\(|<https?:", chosen.text):
        lines = body.split("\n")
        start, stop = chosen.lines
        lines[start:stop] = chosen.rest.split("\n") if chosen.rest else []
        body = "\n".join(lines)
    return Summary(as_summary(chosen.text, listed=chosen.rank % 3 > 0), body, chosen.how)


_RANKS_ONLY = re.compile(
    r"^(?:(?:it|this|[^,;:]{1,60}?)\s+(?:is|are)\s+)?(?:one\s+of\s+)?(?:the|an?)\s+(?:most\s+|very\s+)?"
    r"(?:(?:(?:important|key|fundamental|essential|basic|central|core|main|critical|crucial|major|big)\s+)+"
    r"(?:concepts?|topics?|parts?|principles?|ideas?|components?|aspects?|areas?|things?|subjects?)"
    r"|(?:(?:very|main|true|real|whole)\s+)?"
    r"(?:foundation|basis|cornerstone|bedrock|backbone|pillar|building block|essence|heart)s?)"
    r"\s+(?:of|in|for|to)\s+[^,;:()]{1,50}?[.!]?$",
    re.IGNORECASE,
)
"""A sentence that only says how much the topic matters: "The CIA triad is the foundation of information
security.", "… is a key concept in networking.": no answer a learner could give to "What is it?"."""


def _defines_one_of(text: str, terms: set[str]) -> bool:
    """True for a sentence that opens with one of the terms a plain glossary defines ("CSRF - …")."""
    return any(re.match(rf"{re.escape(term)}(?:\s*:|\s+[–—-])\s", text) for term in terms)


_VERSUS = re.compile(r"\s+(?:vs\.?|versus|v\.)\s+", re.IGNORECASE)


def compared_sides(title: str) -> list[str]:
    """Return the things a title compares ("Symmetric vs Asymmetric" → both), or [] for one that does not
    name them as "A vs B"."""
    sides = [side.strip(" :") for side in _VERSUS.split(title)]
    if len(sides) < 2 or not all(side and len(side.split()) <= 5 for side in sides):
        return []
    return sides


def _sides_named(text: str, sides: list[str]) -> list[str]:
    """Return the compared things a sentence names (every word of the name, as a word of its own)."""
    said = {word.casefold() for word in plain_words(text)}
    return [side for side in sides if {word.casefold() for word in plain_words(side)} <= said]


def _candidates(body: str, title: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    tokens = _BLOCKS.parse(body)
    label = ""
    index = part = 0
    first = _first_line(body)
    while index < len(tokens):
        token = tokens[index]
        if token.level != 0 or token.map is None or token.type.endswith("_close"):
            index += 1
            continue
        if token.type == "heading_open":
            part += 1  # what a sub-heading says comes after all the section says before it
            label = ""
        elif token.type == "paragraph_open":
            content = tokens[index + 1].content
            opening = token.map[0] == first
            found += _paragraph(content, title, (token.map[0], token.map[1]), part, opening)
            one_line = " ".join(content.split())
            label = one_line if "\n" not in content.strip() and _is_label(one_line) else ""
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            items = _list_items(tokens, index)
            found += _list(items, label, title, part)
            label = ""
        else:
            label = ""
        index += 1
    return found


def _is_label(line: str) -> bool:
    reason = fragment_reason(line)
    return reason is not None and ("':'" in reason or "label" in reason)


def _first_line(body: str) -> int:
    """Return the number of the first line of a text that is not blank."""
    return next((number for number, line in enumerate(body.split("\n")) if line.strip()), 0)


def _paragraph(
    content: str, title: str, lines: tuple[int, int], part: int, opening: bool = False
) -> list[_Candidate]:
    found: list[_Candidate] = []
    text = content.strip()
    defined = defined_term(text.split("\n", 1)[0])
    if defined and not (_names_title(defined[0], title) or (opening and _widens_title(defined[0], title))):
        return found  # "**Output values** – …": it defines another term (a fact), not the topic
    if defined:  # "**Sentinel** – a policy-as-code framework …" under "Sentinel": its definition
        text = defined[2] + text[len(text.split("\n", 1)[0]) :]
    first = True
    while text:
        sentence, rest = split_sentence(text)
        label_value = _LABEL_VALUE.match(sentence)
        if label_value and _names_title(label_value["label"], title):
            sentence = label_value["value"]  # "PCA: reduces the number of features …"
        elif label_value and len(label_value["label"].split()) <= 2 and label_value["label"][0].isupper():
            sentence = ""  # "Use cases: …", "Input: …": a labelled field, not what the topic is
        if sentence and fragment_reason(sentence, title) is None:
            found.append(
                _Candidate(sentence, "", lines if first else None, rest if first else "", rank=3 * part)
            )
        text, first = rest, False
    return found


def _widens_title(term: str, title: str) -> bool:
    """True for a term that ends with the title's words, written as the title writes them ("Amazon
    Kinesis" under "Kinesis"): the topic's own name when its definition opens the section. A narrower
    term is not: "Remote state" under "State" (the title's word as a common noun, lowercase: a kind of
    state), "Kinesis Data Streams" under "Kinesis" (words after the name: a part of it)."""
    names, said = plain_words(title), plain_words(term)
    if not names or len(said) < len(names):
        return False
    ending = said[len(said) - len(names) :]
    return all(
        word.casefold() == name.casefold() and not (name[:1].isupper() and word[:1].islower())
        for word, name in zip(ending, names, strict=True)
    )


def _names_title(label: str, title: str) -> bool:
    """True when a 'Label: …' line's label is the topic's name (or its abbreviation in brackets)."""
    label = " ".join(plain_words(label)).lower()
    return bool(label) and (label == title.lower() or label in re.findall(r"[\w-]+", title.lower()))


def _list_items(tokens: list[Token], start: int) -> list[str]:
    """Return the first line of text of each item of the list that opens at `start`."""
    items, depth = [], tokens[start].level
    for token in tokens[start + 1 :]:
        if token.level == depth and token.type.endswith("_list_close"):
            break
        if token.type == "inline" and token.level == depth + 3:  # the item's own paragraph
            items.append(" ".join(token.content.split("\n", 1)[0].split()))
    return items


_EMPHASIS_ONLY = re.compile(r"(\*\*|__|\*|_)[^*_]+\1[.:]?")
"""A list item that is only a term in bold or italics ("- **Static routing**", its definition nested under
it): it names a term, it says nothing of the section."""


def _list(items: list[str], label: str, title: str, part: int) -> list[_Candidate]:
    items = [item for item in items if not _only_links(item) and not _EMPHASIS_ONLY.fullmatch(item)]
    if len(items) >= 2 and all(_KEY_VALUE.match(item) or _defines_term(f"- {item}", title) for item in items):
        return []  # "r: read", "`=` exact version": a table written as a list, no item says what the topic is
    if items and _defines_term(f"- {items[0]}", title):
        items = items[1:]  # "**Remote state**: …" says what another term is
    sentences = [item for item in items if fragment_reason(item, title) is None]
    if label and sentences:
        return [_Candidate(sentences[0], f"the first item of the list after {label!r}", rank=3 * part + 1)]
    if label and items and all(len(plain_words(item)) < MIN_SENTENCE_WORDS for item in items):
        said = ", ".join(item.rstrip(".;,") for item in items[:MAX_LIST_ITEMS])
        return [
            _Candidate(
                f"{label.rstrip(':* ')}: {said}", f"what the list after {label!r} says", rank=3 * part + 1
            )
        ]
    if not label and items and fragment_reason(items[0], title, min_words=2) is None:
        # a cheat sheet's bullets: the first one names what it is ("Object storage")
        return [_Candidate(items[0], "the first item of a list with no text before it", rank=3 * part + 2)]
    return [
        _Candidate(item, "the first list item that is a sentence", rank=3 * part + 2)
        for item in sentences[:1]
    ]


_PLAIN_TERM = re.compile(
    r"^[-*+]\s+(?P<term>[A-Za-z0-9][^:*_`\[\]()|=]{0,39}?(?:\s*\([^():*_`|=]{1,40}\))?)"
    r"(?:\s*:|\s+[–—-])\s+(?P<meaning>\S.*?)\s*$"
)
"""A list item naming a term, plain, and its definition: "- Honeypot: a decoy system …", "- MD5 – …"."""
_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s")


def plain_terms(lines: list[str]) -> dict[int, tuple[str, str]]:
    """Return, by line number, (term, meaning) for each item of a list of plain terms and their definitions
    ("- Honeypot: a decoy system meant to attract attackers"): a list whose every item names a term of a
    few words (or defines a **bold** one), each plain definition two words or more and one of them longer
    than a cloze may hide. A list of short values is a table written as a list ("- Port: 22"), asked by
    its values (`author_facts._key_value_lists`); a label ("Use cases: …") names no term. A paragraph of
    two lines or more, each a term, a dash and its definition ("RTO - the maximum acceptable time …"), is
    such a list written without bullets."""
    found = _dashed_lines(lines)
    block: list[int] = []
    for number, line in enumerate([*lines, "end"]):
        if number in found:
            continue
        if _ITEM.match(line) or (block and (not line.strip() or line.startswith((" ", "\t")))):
            block.append(number)
            continue
        items = [at for at in block if _ITEM.match(lines[at])]
        plain = {at: _PLAIN_TERM.match(lines[at].rstrip()) for at in items}
        terms = {
            at: (match["term"].strip(), match["meaning"].rstrip(".;"))
            for at, match in plain.items()
            if match and not defined_term(lines[at])
        }
        if (
            len(items) >= 2
            and terms
            and all(at in terms or defined_term(lines[at]) for at in items)
            and all(_names_a_term(term) and len(meaning.split()) >= 2 for term, meaning in terms.values())
            and any(len(meaning.split()) > MAX_HIDDEN_WORDS for _, meaning in terms.values())
        ):
            found.update(terms)
        block = []
    return found


def _names_a_term(term: str) -> bool:
    """True for a list item's plain key that can be a term: a few words, written as a name is (a capital
    or a figure first: "Honeypot", "IgA protease"; "regular: for sparse data …" names an option), no label
    ("Use cases", "Note")."""
    return (
        len(term.split()) <= 4
        and not term[:1].islower()
        and not is_callout(term)
        and not is_generic_title(term)
        and not re.fullmatch(r"[\d\s.,%-]+", term)
    )


_DASHED = re.compile(r"^(?P<term>[A-Za-z0-9][^:*_`\[\]()|=]{0,39}?)\s+[–—-]\s+(?P<meaning>\S.*?)\s*$")


def _dashed_lines(lines: list[str]) -> dict[int, tuple[str, str]]:
    """Return (term, meaning) by line number for each line of a paragraph whose every line (two or more)
    is a term of a few words, a dash and a definition of three words or more."""
    found: dict[int, tuple[str, str]] = {}
    paragraph: list[int] = []
    for number, line in enumerate([*lines, ""]):
        if line.strip():
            paragraph.append(number)
            continue
        matches = {at: _DASHED.match(lines[at].strip()) for at in paragraph}
        if len(paragraph) >= 2 and all(
            match and _names_a_term(match["term"]) and len(match["meaning"].split()) >= 3
            for match in matches.values()
        ):
            found.update(
                {
                    at: (match["term"].strip(), match["meaning"].rstrip(".;"))
                    for at, match in matches.items()
                    if match
                }
            )
        paragraph = []
    return found


_SAYS = re.compile(
    r"^(?:(?:is|are|means|refers to|stands for|denotes)\s+(?P<meaning>\S.*)"
    r"|(?P<does>(?P<verb>[a-z]{3,}s)\s+\S.*))$"
)
"""What follows a bold term that opens a sentence saying what it is or does: "**Phishing** is a social
engineering attack …", "**Non-repudiation** means …", "**Typosquatting** registers domain names …"."""
_NOT_VERBS = frozenset(
    {"this", "thus", "its", "his", "hers", "ours", "yours", "theirs", "was", "has", "does", "as", "us"}
    | {"yes", "always", "across", "unless", "perhaps", "besides", "sometimes", "less", "plus", "versus"}
    | {"whereas", "whose", "towards", "afterwards", "nevertheless", "regardless", "various", "previous"}
)
_PRONOUNS = frozenset({"this", "that", "these", "those", "it", "they", "there", "here", "which", "what"})


def defined_term(line: str) -> tuple[str, str, str] | None:
    """Return (term, aside, meaning) of a line that defines a bold term ("- **Term** (aside) – meaning",
    "**Term:** meaning", "**Term** is|means …", "**Term** registers …": the meaning without "is" or
    "means", with the verb that says what it does), or None (a label such as "**Note:**" defines
    nothing)."""
    match = _DEFINED.match(line)
    if not match:
        return None
    meaning = match["meaning"].strip()
    if not (match["colon"] or match["sep"]):
        says = _SAYS.match(meaning)
        if says is None or (says["verb"] and says["verb"] in _NOT_VERBS):
            return None
        if match["term"].strip().casefold() in _PRONOUNS:
            return None
        meaning = (says["meaning"] or says["does"]).strip()
    term = match["term"].strip()
    if not term or is_callout(term) or is_generic_title(term):
        return None
    return term, (match["aside"] or "").strip(), meaning


def is_callout(text: str) -> bool:
    """True for a bold label that introduces a remark ("Note:", "Exam tip"), not a term."""
    return bool(_CALLOUT.fullmatch(text.strip().rstrip(":").strip()))


def _defines_term(line: str, title: str) -> bool:
    """True for a line that defines a term other than the title: "**Term** – …", "- `code` meaning"."""
    defined = defined_term(line)
    return bool(defined and not _names_title(defined[0], title)) or bool(CODE_ITEM.match(line))


def _defines_terms(body: str, title: str) -> bool:
    """True for a section whose paragraphs define terms of their own ("**Term** – meaning" opening a
    paragraph): its summary must be a sentence of its own that says what it is ("Set `TF_LOG` …" above
    "**terraform import** – …" is not). Bullets that define terms leave the section's first sentence its
    summary, as before."""
    lines = ["", *body.split("\n")]
    opening = _first_line(body) + 1
    return any(
        not lines[number - 1].strip()
        and not re.match(r"\s*([-*+]|\d+[.)])\s", line)
        and _defines_term(line, title)
        and not (number == opening and _widens_title(str((defined_term(line) or ("",))[0]), title))
        for number, line in enumerate(lines)
        if number
    )


def code_list_items(text: str) -> list[tuple[str, str]] | None:
    """Return (code, meaning) for each item of a text that is only a list (two or more items) of `code`
    and its meaning, or None."""
    items = []
    for line in text.strip("\n").split("\n"):
        match = CODE_ITEM.match(line.rstrip())
        if match:
            items.append((match["code"], match["meaning"]))
        elif line.strip():
            return None
    return items if len(items) >= 2 else None


def split_sentence(content: str) -> tuple[str, str]:
    """Return the first sentence of a paragraph and the rest (abbreviations and brackets respected)."""
    for match in _SENTENCE_END.finditer(content):
        before = content[: match.start()]
        word = re.search(r"([\w.]+)$", before)
        if word and (word[1].lower().rstrip(".") in _ABBREVIATIONS or re.fullmatch(r"[A-Z]", word[1])):
            continue
        if before.count("(") > before.count(")") or before.count("[") > before.count("]"):
            continue
        return content[: match.end()].strip(), content[match.end() :].lstrip().lstrip("\\").strip()
    return content.strip().rstrip("\\").strip(), ""


def as_summary(text: str, listed: bool = False) -> str:
    """Return a sentence as a one-line summary: links as their text, highlights as bold, emphasis kept,
    a capital first letter (and a full stop, for a list item)."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"(?<!!)\[([^\]]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)", r"\1", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    text = re.sub(r"==([^=\n]+)==", r"**\1**", text)
    text = " ".join(text.rstrip("\\").split())
    if text[:1].islower():
        text = text[0].upper() + text[1:]
    if listed and text and text[-1] not in ".!?)`*":
        text += "."
    return text


def _only_links(text: str) -> bool:
    return not re.sub(r"!?\[[^\]]*\]\([^)]*\)|\[\[[^\]]*\]\]|<[^>]+>|https?://\S+|[\s\W]", "", text)


def _plain(text: str) -> str:
    return " ".join(plain_words(text))
