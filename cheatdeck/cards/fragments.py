"""Tell a sentence from a fragment: the judgments `import` chooses a summary by and the lint warns with.

A term card's answer must say what the topic is. Guides are full of lines that only look like text: a
label ("Usage:", "Input"), a line that introduces a list ("Only two exist:"), a table row, a line of code,
a line of `#tags`, or a sentence about the guide itself ("The previous section showed …"). These helpers
name which of those a line is, so the importer skips it and `check` says why a card is weak.

This module is at the bottom of the package: it imports nothing from it.
"""

from __future__ import annotations

import re

MIN_SENTENCE_WORDS = 4  # "Recall measures found positives." is the shortest real definition we keep

_MARKUP = re.compile(r"(\*\*|__|`|==)")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG_LINE = re.compile(r"^\s*(#[\w/-]+[\s,]*)+$")
_CODE_LINE = re.compile(
    r"^\s*(\$ |>>> |[\w.]+\s*\(.*\)\s*;?$|[\w.\[\]'\"]+\s*=\s*[\w.(\[{'\"]|"
    r"(import|from|def|class|return|sudo|pip|npm|kubectl|kubeadm|etcdctl|docker|aws|git|cd|ls|curl|export)\s|"
    r"[{}\[\]<>;]+$|<[a-z]+[ >])"
)
_META = re.compile(
    r"^(the (previous|next|following|above|below) (section|chapter|part|example|table|list)|"
    r"in (this|the next|the previous) (section|chapter|part|lecture|video)|"
    r"this (section|chapter|page|note|lecture|post|article|guide|document|blog|repo|repository|video|"
    r"course)\b|"
    r"(see|refer to|check|read) (the|this|below|above)|let'?s |here (is|are) |below (is|are) |as follows|"
    r"note:|tip:|todo\b|source:|image:|figure \d)",
    re.IGNORECASE,
)
_VERB = re.compile(
    r"\b(is|are|was|were|be|been|has|have|had|does|do|can|could|may|might|must|should|will|would|"
    r"\w+(s|ed|es))\b",
    re.IGNORECASE,
)


def plain_words(text: str) -> list[str]:
    """Return the words of inline Markdown, links as their text and marks removed."""
    return _MARKUP.sub("", _LINK.sub(r"\1", text)).split()


def fragment_reason(text: str, title: str = "", min_words: int = MIN_SENTENCE_WORDS) -> str | None:
    """Return why a line of text cannot be a card's answer (a label, a table row, code …), or None.

    Fewer than `min_words` words with no verb after the first make a label ("Kinesis Data Streams")."""
    line = " ".join(text.split())
    words = plain_words(line)
    if not words:
        return "it is empty"
    if _TAG_LINE.match(line):
        return "it is a line of #tags"
    if line.rstrip("*_ ").endswith(":"):
        return "it ends with ':' (it introduces what follows)"
    if line.startswith("|") or line.count(" | ") >= 2:
        return "it is a table row"
    if _CODE_LINE.match(_LINK.sub(r"\1", line)):
        return "it is a line of code or a command"
    if _META.match(line.lstrip("*_ ")):
        return "it talks about the guide, not the topic"
    if title and " ".join(words).strip(".").lower() == title.strip().lower():
        return "it only repeats the title"
    if len(words) < min_words and not _VERB.search(" ".join(words[1:])):
        return "it is a label, not a sentence"
    return None


GENERIC_TITLES = frozenset(
    {
        *("usage", "use", "uses", "use case", "use cases", "when to use", "how it works", "how to use"),
        *("side effects", "adverse effects", "contraindications", "interactions", "indications"),
        *("dosage", "dose", "mechanism", "mechanism of action", "monitoring", "reversal", "examples"),
        *("overview", "introduction", "intro", "summary", "notes", "details", "example", "definition"),
        *("input", "inputs", "output", "outputs", "training", "inference", "hyperparameters", "parameters"),
        *("features", "pricing", "cost", "limits", "limitations", "pros", "cons", "pros and cons"),
        *("advantages", "disadvantages", "benefits", "drawbacks", "tips", "key points", "description"),
        *("troubleshooting", "commands", "syntax", "configuration", "setup", "installation", "types"),
        *("architecture", "components", "modes", "options", "best practices", "exam tips", "gotchas"),
        *("important", "key facts", "properties", "characteristics", "metrics", "security", "scaling"),
    }
)
"""Titles that name an aspect of a topic, not a topic: a card "What is Side effects?" asks nothing."""
_NUMBERED_GENERIC = re.compile(r"(scenario|example|exercise|question|case|lab|task|step|part|problem)s?")


def is_generic_title(title: str) -> bool:
    """True for a title that names an aspect, not a topic: "Side effects", "Usage", "Scenario 01"."""
    words = " ".join(re.sub(r"[^\w\s]", " ", title.lower()).split())
    words = re.sub(r"\s+(\d+[a-z]?|[ivx]+|[a-z])$", "", words)
    return words in GENERIC_TITLES or bool(_NUMBERED_GENERIC.fullmatch(words))


_OVERVIEW = re.compile(
    r"(an? |the )?(overview|introduction|intro|definition|summary|description|basics|about|"
    r"what (is|are) (it|they|this))"
)


def is_overview_title(title: str) -> bool:
    """True for a heading that carries its parent topic's own text: "Overview", "Introduction",
    "Definition", "Summary", "What is it?"."""
    return bool(_OVERVIEW.fullmatch(" ".join(re.sub(r"[^\w\s]", " ", title.lower()).split())))


def is_numbered_case(title: str) -> bool:
    """True for a numbered case that names no topic: "Scenario 01", "Example 2", "Question 3"."""
    words = " ".join(re.sub(r"[^\w\s]", " ", title.lower()).split())
    match = re.fullmatch(r"(?P<name>\w+)\s+(\d+[a-z]?|[ivx]+)", words)
    return bool(match and _NUMBERED_GENERIC.fullmatch(match["name"]))


def repeats_title(summary: str, title: str) -> bool:
    """True when a summary says nothing but the title (an import found no sentence): no term card."""
    return " ".join(plain_words(summary)).strip(" .").lower() == " ".join(title.split()).lower()


def foreign_markup(text: str) -> str | None:
    """Return a piece of another tool's markup left in a text (an Obsidian link or highlight), or None."""
    match = re.search(r"!?\[\[[^\]]*\]\]|</?mark\b[^>]*>|<a\s+href\b[^>]*>|\u2028", text, re.IGNORECASE)
    return match[0] if match else None
