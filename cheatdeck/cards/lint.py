"""Card-quality lint: warnings about cards that would waste a learner's reviews.

Each warning names where the text was written (`file:line: notes[i].field`), the rule, and a one-line fix.
The rules judge the cards exactly as `cheatdeck.cards.plan` makes them (same clue choice, same facts), so a
warning always describes a real card or a card that will not be made. `lint_off:` in `deck.yaml` or in a
note switches rules off. Thresholds (see README, *Card-quality lint*):

- a graded answer stays short enough to check in one glance: a topic card's answer at most its kind's
  `max_words` in the card-kinds table (the term card's, the summary, `MAX_SUMMARY_WORDS`), a question's
  answer at most `MAX_ANSWER_WORDS`, a hidden span at most `MAX_CLOZE_WORDS`;
- two answers interfere when at least `SIMILAR_ANSWERS` of their wording is the same (difflib ratio over
  words; precision and recall's summaries shared 79 %), two fronts when their content words overlap by
  `SIMILAR_FRONTS` (Jaccard).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from cheatdeck.cards.fragments import foreign_markup, fragment_reason, is_generic_title, repeats_title
from cheatdeck.cards.plan import (
    STOPWORDS,
    TOPIC_CARDS,
    CardPlan,
    CardPlanner,
    Contrast,
    answer_words,
    fact_card,
    has_reverse,
    leaked_words,
    makes_cards,
    name_of_text,
    states_answer,
    term_back_text,
    words,
)
from cheatdeck.notes.card_kinds import CLUE, SUMMARY
from cheatdeck.notes.kinds import TEXT_FIELDS
from cheatdeck.notes.model import CLOZE_SPAN, Location, Note, Notebook, Rule

MAX_SUMMARY_WORDS = next(kind.max_words for kind in TOPIC_CARDS if kind.asks == SUMMARY)  # the table's
MAX_ANSWER_WORDS = 15
MAX_CLOZE_WORDS = 6
SIMILAR_ANSWERS = 0.7
SIMILAR_FRONTS = 0.8
MIN_COMPARED_WORDS = 5  # shorter answers are categories (supervised, clustering): alike by design

_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>|<!--")
_TITLE_MARKDOWN = re.compile(r"\*\*|__|`|\[[^\]]*\]\([^)]*\)|==|(^|\s)[*_][^*_\s][^*_]*[*_](\s|$)")
_BLOCK_MARKDOWN = re.compile(r"(^|\n)\s*([-*+]|\d+[.)]|#{1,6}|>)\s|\n\s*\n|^```|\n```")
_ONE_LINE_FIELDS = ("summary", *TEXT_FIELDS)


@dataclass(frozen=True)
class LintWarning:
    """One card-quality problem: where, which rule, what, and how to fix it."""

    location: Location
    field: str
    rule: Rule
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.location}: {self.field}: {self.rule}: {self.message}; fix: {self.fix}"


def lint(notebook: Notebook) -> list[LintWarning]:
    """Return every card-quality warning for the notebook, in source order, switched-off rules left out."""
    planner = CardPlanner(notebook)
    plans = [planner.plan(note) for note in notebook.notes]
    checks: list[Callable[[Notebook, CardPlanner, list[CardPlan]], Iterator[_Found]]] = [
        _answer_too_long,
        _clues,
        _several_questions,
        _hidden_example,
        _raw_markup,
        _no_card,
        _label_answer,
        _ambiguous_title,
        _empty_column,
        _foreign_markup,
        _teaches_corrected_claim,
        _answer_on_another_back,
        _fronts,
        _similar_fronts,
        _similar_answers,
    ]
    off = set(notebook.deck.lint_off)
    found = []
    for check in checks:
        for item in check(notebook, planner, plans):
            if item.rule in off or item.rule in notebook.note(item.note_id).lint_off:
                continue
            if any(
                other and item.rule in notebook.note(other).lint_off for other in (item.other, item.third)
            ):
                continue
            location, label = notebook.where(item.note_id, item.field)
            found.append(LintWarning(location, label, item.rule, item.message, item.fix))
    return sorted(found, key=lambda w: (str(w.location.path), w.location.line, w.rule))


@dataclass(frozen=True)
class _Found:
    note_id: str
    field: str
    rule: Rule
    message: str
    fix: str
    other: str = ""  # a second note the warning is about: its lint_off counts too
    third: str = ""  # the third of a contrast of three, likewise


def _count(text: str) -> int:
    return len(text.split())


def _answer_too_long(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    for plan in plans:
        note = plan.note
        for kind in TOPIC_CARDS:  # each card kind's limit, from the card-kinds table
            if not (kind.max_words and plan.answers.get(kind.name)):
                continue
            field = "summary" if kind.asks in (SUMMARY, CLUE) else kind.asks
            words = _count(note.summary if kind.asks == SUMMARY else plan.answers[kind.name])
            if words > kind.max_words:
                yield _Found(
                    note.id,
                    field,
                    Rule.ANSWER_TOO_LONG,
                    f"the {kind.name} card's answer is {words} words (at most {kind.max_words})",
                    kind.too_long,
                )
        for index, fact in enumerate(note.facts):
            if fact.a is not None and _count(fact.a) > MAX_ANSWER_WORDS:
                yield _Found(
                    note.id,
                    f"facts[{index}]",
                    Rule.ANSWER_TOO_LONG,
                    f"the answer is {_count(fact.a)} words (at most {MAX_ANSWER_WORDS})",
                    "ask a narrower question, or split it into two facts",
                )
            for span in fact.hidden_spans():
                if _count(span) > MAX_CLOZE_WORDS:
                    yield _Found(
                        note.id,
                        f"facts[{index}]",
                        Rule.ANSWER_TOO_LONG,
                        f"the hidden part '{span}' is {_count(span)} words (at most {MAX_CLOZE_WORDS})",
                        "mark only the key words with ==…==",
                    )


def _clues(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    for plan in plans:
        note = plan.note
        if (
            not has_reverse(notebook, note)
            or not makes_cards(notebook, note)
            or not notebook.deck.cards.reverse
        ):
            continue
        if plan.clue is not None:
            if plan.clue.leaks:
                leaked = ", ".join(f"'{word}'" for word in plan.clue.leaks)
                yield _Found(
                    note.id,
                    plan.clue.field,
                    Rule.CLUE_LEAKS_ANSWER,
                    f"the reverse card's clue gives away {leaked} from the name (the card blanks it)",
                    f"say what it is for without the name's words in {plan.clue.field}",
                )
            continue
        candidates = planner.clues.candidates(note)
        label = notebook.kinds[note.kind].label.lower()
        reasons = []
        for clue in candidates:
            if clue.shared_with:
                reasons.append(f"{clue.field} is the same as {', '.join(clue.shared_with)}'s")
            else:
                said = ", ".join(clue.distinctive) or "nothing"
                reasons.append(f"{clue.field} says too little only this {label} does ({said})")
        field = "use_case" if note.use_case else "summary"
        yield _Found(
            note.id,
            field,
            Rule.CLUE_NOT_DISTINCTIVE,
            f"no reverse card: {'; '.join(reasons)}",
            f"write a use_case that only this {label} fits",
            candidates[0].shared_with[0] if candidates and candidates[0].shared_with else "",
        )


_EXAMPLE_MARKER = re.compile(
    r"(?:such as|e\.g\.,?|for example,?|for instance,?|including)\s*$", re.IGNORECASE
)
"""The words before an open list of examples: a part hidden right after them is one of several answers."""


def _hidden_example(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    """Warn where a fact hides the first example of an open list ("such as ==self-driving vehicles=="): the
    seed named three applications, and a learner who recalled another was graded wrong."""
    for plan in plans:
        for index, fact in enumerate(plan.note.facts):
            for match in CLOZE_SPAN.finditer(fact.text or ""):
                before = (fact.text or "")[: match.start()]
                if _EXAMPLE_MARKER.search(before):
                    yield _Found(
                        plan.note.id,
                        f"facts[{index}]",
                        Rule.HIDDEN_EXAMPLE,
                        f"the hidden '{match['hidden']}' is one example of an open list: others are right",
                        "show the other examples and hide the last, or ask a question with one answer",
                    )


def _several_questions(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    for plan in plans:
        for index, fact in enumerate(plan.note.facts):
            spans = fact.hidden_spans()
            if len(spans) > 1:
                yield _Found(
                    plan.note.id,
                    f"facts[{index}]",
                    Rule.SEVERAL_QUESTIONS,
                    f"{len(spans)} parts are hidden at once ({', '.join(spans)})",
                    "make one fact per hidden part",
                )
            if fact.q is not None and fact.q.count("?") > 1:
                yield _Found(
                    plan.note.id,
                    f"facts[{index}]",
                    Rule.SEVERAL_QUESTIONS,
                    f"the question asks {fact.q.count('?')} things",
                    "ask one question per fact",
                )
    if not notebook.deck.cards.contrast:
        return
    for contrast in planner.contrasts:
        rows = contrast.rows
        if len(rows) > 1 and not contrast.sentences:  # the card asks "How do they differ in a, b …?"
            owner, others = contrast.owner, contrast.others(contrast.owner)
            labels = ", ".join(label.lower() for label, _ in rows)
            yield _Found(
                owner.id,
                contrast.entry,
                Rule.SEVERAL_QUESTIONS,
                f"the contrast card with {others} asks {len(rows)} differences at once ({labels})",
                _write_difference(contrast),
                *(note.id for note in contrast.notes if note.id != owner.id),
            )


def _they(contrast: Contrast) -> str:
    return "they both" if len(contrast.notes) == 2 else "all three"


def _write_difference(contrast: Contrast) -> str:
    """The fix that gives a contrast its one sentence, in the form its entry is written."""
    others = [note.id for note in contrast.notes if note.id != contrast.owner.id]
    named = f"id: {others[0]}" if len(others) == 1 else f"ids: [{', '.join(others)}]"
    return "write it as {" + named + ", difference: <what tells them apart, in one sentence>}"


def _texts(note: Note) -> Iterator[tuple[str, str]]:
    yield "title", note.title
    for field in _ONE_LINE_FIELDS:
        value = getattr(note, field)
        if value:
            yield field, value
    for index, fact in enumerate(note.facts):
        for part in (fact.text, fact.q, fact.a):
            if part:
                yield f"facts[{index}]", part
    for index, item in enumerate(note.related):
        if item.difference:
            yield f"related[{index}].difference", item.difference


def _raw_markup(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    for plan in plans:
        note = plan.note
        for field, text in _texts(note):
            tag = _HTML_TAG.search(text)
            if tag:
                yield _Found(
                    note.id,
                    field,
                    Rule.RAW_MARKUP,
                    f"HTML '{tag[0]}' is shown as text, not markup",
                    "write it in Markdown (**bold**, *em*, `code`) or as plain words",
                )
            elif field == "title" and _TITLE_MARKDOWN.search(text):
                yield _Found(
                    note.id,
                    field,
                    Rule.RAW_MARKUP,
                    "a title is plain text: its Markdown shows as typed",
                    "remove the Markdown marks from the title",
                )
            elif field != "title" and _BLOCK_MARKDOWN.search(text):
                yield _Found(
                    note.id,
                    field,
                    Rule.RAW_MARKUP,
                    "a one-line field shows list, heading or paragraph Markdown as typed",
                    "keep it to one line of inline Markdown; put lists in the body",
                )
            elif not field.startswith("facts") and CLOZE_SPAN.search(text):
                yield _Found(
                    note.id,
                    field,
                    Rule.RAW_MARKUP,
                    "==marks== hide text only in facts; here they show as typed",
                    "remove the == marks, or make it a fact",
                )


def _label_answer(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    if not notebook.deck.cards.term:
        return
    for plan in plans:
        note = plan.note
        if not makes_cards(notebook, note) or "term" in note.cards_off:
            continue
        if repeats_title(note.summary, note.title):
            yield _Found(
                note.id,
                "summary",
                Rule.LABEL_ANSWER,
                "no term card: the summary only repeats the title",
                "write one sentence that says what it is",
            )
            continue
        # a short phrase the author ended with a full stop ("An NSAID.") is a definition, not a label
        finished = note.summary.rstrip("*_ ").endswith((".", "!", "?"))
        reason = fragment_reason(note.summary, note.title, min_words=1 if finished else 3)
        if reason:
            yield _Found(
                note.id,
                "summary",
                Rule.LABEL_ANSWER,
                f"the term card's answer is not a definition: {reason}",
                "write one sentence that says what it is",
            )


def _ambiguous_title(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    counts = Counter(" ".join(note.title.split()).lower() for note in notebook.notes)
    for plan in plans:
        note = plan.note
        if plan.count == 0:
            continue
        count = counts[" ".join(note.title.split()).lower()]
        if count > 1 or is_generic_title(note.title):
            why = f"{count} notes share it" if count > 1 else "it is generic"
            yield _Found(
                note.id,
                "title",
                Rule.AMBIGUOUS_TITLE,
                f"the title '{note.title}' does not say what it is about ({why})",
                "name its topic too, as in 'Metoprolol: Side effects'",
            )


def _empty_column(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    for table in notebook.kinds.grid:
        kinds = {rows.kind for rows in table.rows}
        notes = [note for note in notebook.notes if note.kind in kinds]
        for column in table.columns:
            if notes and not any(getattr(note, column.field) for note in notes):
                yield _Found(
                    notes[0].id,
                    column.field,
                    Rule.EMPTY_COLUMN,
                    f"no note fills the grid column '{column.heading}' of '{table.caption}': "
                    f"it prints {len(notes)} empty cells",
                    f"fill {column.field} on the notes it lists, or drop the column from grid: in deck.yaml",
                )


def _foreign_markup(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    for plan in plans:
        note = plan.note
        for field, text in (*_texts(note), ("body", note.body)):
            found = foreign_markup(text)
            if found:
                yield _Found(
                    note.id,
                    field,
                    Rule.FOREIGN_MARKUP,
                    f"{found!r} is another tool's markup (Obsidian, HTML): it shows as typed",
                    "write a link as [text](url), a highlight as **bold** or a ==fact==",
                )
                break


def _says(claim: str, text: str) -> bool:
    """True when `text` holds the claim's words in a row (case, dashes, plurals and marks ignored)."""
    wanted, found = words(claim), words(CLOZE_SPAN.sub(lambda match: match["hidden"], text))
    size = len(wanted)
    return size > 0 and any(found[start : start + size] == wanted for start in range(len(found) - size + 1))


def _teaches_corrected_claim(
    notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]
) -> Iterator[_Found]:
    for plan in plans:
        note = plan.note
        for correction in note.corrections:
            for field, text in _texts(note):
                if field != "title" and _says(correction.says, text):
                    yield _Found(
                        note.id,
                        field,
                        Rule.TEACHES_CORRECTED_CLAIM,
                        f"it says '{correction.says}', which the note's correction says is wrong",
                        f"teach what is right instead: {correction.right}",
                    )


def _fact_answer(plan: CardPlan, index: int) -> str:
    fact = plan.note.facts[index]
    return fact.a if fact.a is not None else " ".join(fact.hidden_spans())


def _fact_context(note: Note, index: int) -> frozenset[str]:
    """Return what a fact's front is about: its words other than the note's name and the hidden part."""
    return answer_words(_plain_question_of(note, index)) - answer_words(note.title)


def _answer_on_another_back(
    notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]
) -> Iterator[_Found]:
    """Warn where a card's answer is already on the graded back of another card of the same note (or of a
    contrast card it is part of): whichever is reviewed first gives the other away."""
    contrasts: dict[str, list[tuple[str, str]]] = {}
    if notebook.deck.cards.contrast:
        for contrast in planner.contrasts:
            for note in contrast.notes:
                contrasts.setdefault(note.id, []).extend(
                    (f"the contrast card with {contrast.others(note)}", s) for s in contrast.sentences
                )
    for plan in plans:
        note = plan.note
        backs = _graded_backs(plan) + [
            ("related", name, sentence) for name, sentence in contrasts.get(note.id, [])
        ]
        asked = [(f"facts[{index}]", _fact_answer(plan, index)) for index, _, _ in plan.facts]
        asked += [
            (field, answer) for field, answer in (("learning", plan.learning), ("task", plan.task)) if answer
        ]
        for field, answer in asked:
            context = _fact_context(note, int(field[6:-1])) if field.startswith("facts[") else frozenset()
            # a fact's answer counts as shown when the back also speaks of what the fact asks about:
            # "the customer" on the back of the shared responsibility model does not say who patches
            shown = next(
                (name for source, name, back in backs
                 if source != field and states_answer(back, answer) and _about(back, context)),
                None,
            )  # fmt: skip
            if shown:
                yield _Found(
                    note.id,
                    field,
                    Rule.ANSWER_ON_ANOTHER_BACK,
                    f"its answer '{answer}' is already on the back of {shown}: one gives the other away",
                    "ask something that card does not show, or leave one of them out",
                )


def _graded_backs(plan: CardPlan) -> list[tuple[str, str, str]]:
    """Return (field that makes the card, which card, its graded back) for a note's own cards."""
    note = plan.note
    backs = [("summary", "the term card", term_back_text(note))] if plan.term else []
    backs += [
        (f"facts[{index}]", f"fact {index + 1}", note.facts[index].plain()) for index, _, _ in plan.facts
    ]
    if plan.learning:
        backs.append(("learning", "the learning card", plan.learning))
    if plan.task:
        backs.append(("task", "the task card", plan.task))
    return backs


def _about(back: str, context: frozenset[str]) -> bool:
    """True when a back shares a word with a front's context (always, for a front with no context)."""
    return not context or bool(context & answer_words(back))


_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        (
            *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
            *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"),
            *("nineteen", "twenty"),
        )
    )
}
_NUMERAL = re.compile(r"(?<![A-Za-z\d])(?:\d[\d.,]*\d|\d)(?![A-Za-z])")  # not the 3 of S3, the 2 of EC2
_WHOLE_NUMBER = re.compile(r"(?<![A-Za-z\d])\d+(?![A-Za-z\d])")
_ACRONYM = re.compile(r"(?<![A-Za-z])([A-Z]{2,5})(?![A-Za-z])")


def _numbers(text: str) -> set[int]:
    """Return the whole numbers a text says, in digits or words (up to twenty)."""
    found = {int(run) for run in _WHOLE_NUMBER.findall(text)}
    return found | {
        _NUMBER_WORDS[word] for word in re.findall(r"[a-z]+", text.casefold()) if word in _NUMBER_WORDS
    }


def gives_figure(front: str, answer: str) -> str:
    """Return the figure on a front that gives away the number its answer says ('' when none): the number
    itself, or a numeral whose repeated digit counts to it (99.999999999 % shows "11 nines")."""
    wanted = _numbers(answer)
    if not wanted:
        return ""
    for match in _NUMERAL.finditer(front):
        numeral = match[0]
        digits = re.sub(r"\D", "", numeral)
        repeated = max((digits.count(digit) for digit in set(digits)), default=0)
        if int(digits) in wanted or (repeated >= 3 and repeated in wanted):
            return numeral
    said = [word for word in re.findall(r"[a-z]+", front.casefold()) if _NUMBER_WORDS.get(word, -1) in wanted]
    return said[0] if said else ""


def front_leaks(front: str, answer: str, vendor: frozenset[str]) -> tuple[str, ...]:
    """Return what a front gives away of its answer: the answer's words and acronyms, as a reverse clue is
    judged against a name, and an acronym of the answer spelt out ("Availability Zone" for Multi-AZ)."""
    leaks = set(leaked_words(front, name_of_text(answer, vendor)))
    initials = "".join(word[0] for word in words(front))
    for acronym in _ACRONYM.findall(answer):
        if acronym.casefold() in initials and acronym not in front:
            spelt = _spelt_out(front, acronym.casefold())
            if spelt:
                leaks.add(spelt)
    return tuple(sorted(leaks))


def _spelt_out(front: str, acronym: str) -> str:
    """Return the run of consecutive front words whose initials spell the acronym ('' when none)."""
    found = words(front)
    for start in range(len(found) - len(acronym) + 1):
        run = found[start : start + len(acronym)]
        if "".join(word[0] for word in run) == acronym and all(word not in STOPWORDS for word in run):
            return " ".join(run)
    return ""


def _card_fronts(
    notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]
) -> Iterator[tuple[str, str, str, str, str, frozenset[str]]]:
    """Yield (note id, field, which card, front, answer, words that do not count) for every card but the
    term and reverse cards (the reverse clue has its own rule, the term card's front is the name). A fact
    card's front names its topic anyway: the topic's words give nothing away there."""
    for plan in plans:
        note = plan.note
        for index, _, _ in plan.facts:
            fact = note.facts[index]
            front = fact.q if fact.q is not None else CLOZE_SPAN.sub("…", fact.text or "")
            topic = frozenset(words(note.title))
            yield note.id, f"facts[{index}]", f"fact {index + 1}", front, _fact_answer(plan, index), topic
        if plan.learning:
            yield note.id, "learning", "the learning card", note.title, plan.learning, frozenset()
        if plan.task:
            yield note.id, "task", "the task card", note.title, plan.task, frozenset()
    if notebook.deck.cards.contrast:
        for contrast in planner.contrasts:
            titles = [note.title for note in contrast.notes]
            names = answer_words(" ".join(titles))
            for sentence in contrast.sentences:
                answer = " ".join(word for word in sentence.split() if answer_words(word) - names)
                pair = " vs ".join(titles)
                yield contrast.owner.id, contrast.entry, "the contrast card", pair, answer, frozenset()


def _fronts(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    vendor = planner.clues.vendor
    for note_id, field, card, front, answer, topic in _card_fronts(notebook, planner, plans):
        leaks = tuple(word for word in front_leaks(front, answer, vendor) if word not in topic)
        if leaks:
            leaked = ", ".join(f"'{word}'" for word in leaks)
            yield _Found(
                note_id,
                field,
                Rule.FRONT_LEAKS_ANSWER,
                f"the front of {card} gives away {leaked} of its answer '{answer}'",
                "ask it without the answer's words: say what it does, not what it is called",
            )
        figure = gives_figure(front, answer)
        if figure:
            yield _Found(
                note_id,
                field,
                Rule.FRONT_GIVES_FIGURE,
                f"the front of {card} shows '{figure}', which gives away its answer '{answer}'",
                "leave the figure off the front (it may stay in the body and on the back)",
            )


def _no_card(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    contrasted = {
        note.id
        for contrast in planner.contrasts
        if contrast.rows or contrast.sentences
        for note in contrast.notes
    }
    for plan in plans:
        note = plan.note
        if not makes_cards(notebook, note):
            continue
        if plan.count == 0 and not (notebook.deck.cards.contrast and note.id in contrasted):
            yield _Found(
                note.id,
                "id",
                Rule.NO_CARD,
                "this note makes no card",
                "add facts, a use_case or a summary a card can ask, or switch its card kinds on",
            )
        if notebook.deck.cards.facts:
            for index, fact in enumerate(note.facts):
                if fact_card(fact) is None:
                    yield _Found(
                        note.id,
                        f"facts[{index}]",
                        Rule.NO_CARD,
                        "this fact makes no card: nothing in it is marked to hide",
                        "mark the part to recall with ==…==, or write it as q: / a:",
                    )
    if not notebook.deck.cards.contrast:
        return
    for contrast in planner.contrasts:
        if contrast.rows or contrast.sentences:
            continue
        owner = contrast.owner
        yield _Found(
            owner.id,
            contrast.entry,
            Rule.NO_CARD,
            f"no contrast card with {contrast.others(owner)}: no field {_they(contrast)} fill differs and no"
            " difference is written",
            _write_difference(contrast),
            *(note.id for note in contrast.notes if note.id != owner.id),
        )


def _content(text: str) -> frozenset[str]:
    return frozenset(word for word in words(text) if word not in STOPWORDS)


def _front_content(text: str) -> frozenset[str]:
    """Return a front's content words and the symbols it shows as code, which are what the fronts of a
    list of operators tell apart: "What does `=` mean?", "What does `!=` mean?"."""
    symbols = {span for span in re.findall(r"`([^`]+)`", text) if not re.search(r"\w", span)}
    return _content(text) | symbols


def _close_pairs(
    items: list[tuple[str, str, str]],
    similarity: Callable[[str, str], float],
    threshold: float,
    overlap: float,
    content_of: Callable[[str], frozenset[str]] = _content,
) -> Iterator[tuple[tuple[str, str, str], tuple[str, str, str], float]]:
    """Yield pairs of (note id, field, text) items at least `threshold` alike, each pair once.

    Prefix filtering keeps a large deck fast: two items this alike share at least `overlap` of either's
    content words, so each item is indexed under its rarest words only (enough that any such pair shares
    one of them), and only items that share one are compared. Words that a fiftieth of the items use are
    left out of the index: a pair alike only in such common words is not reported."""
    content = [sorted(content_of(text)) for _, _, text in items]
    frequency = Counter(word for words_of in content for word in words_of)
    common = max(50, len(items) // 50)  # words this frequent say nothing about likeness: never indexed
    index: dict[str, list[int]] = {}
    for position, words_of in enumerate(content):
        ranked = sorted(words_of, key=lambda word: (frequency[word], word))
        prefix = [
            word
            for word in ranked[: len(ranked) - math.ceil(overlap * len(ranked)) + 1]
            if frequency[word] <= common
        ]
        candidates = {other for word in prefix for other in index.get(word, ())}
        for other in sorted(candidates):
            first, second = items[other], items[position]
            if first[:2] == second[:2]:
                continue
            score = similarity(first[2], second[2])
            if score >= threshold:
                yield first, second, score
        for word in prefix:
            index.setdefault(word, []).append(position)


def _jaccard(one: str, two: str) -> float:
    first, second = _front_content(one), _front_content(two)
    if not first or not second:
        return 0.0
    if first == second:
        return 1.0
    if min(len(first), len(second)) < 2:
        return 0.0
    return len(first & second) / len(first | second)


def _ratio(one: str, two: str) -> float:
    first, second = _counted(one), _counted(two)
    size = len(first[0]) + len(second[0])
    shorter, longer = sorted((len(first[0]), len(second[0])))
    if shorter < MIN_COMPARED_WORDS or shorter * (2 - SIMILAR_ANSWERS) < SIMILAR_ANSWERS * longer:
        return 0.0
    if 2 * sum((first[1] & second[1]).values()) < SIMILAR_ANSWERS * size:  # difflib's quick_ratio bound
        return 0.0
    return SequenceMatcher(None, first[0], second[0], autojunk=False).ratio()


@lru_cache(maxsize=65536)
def _counted(text: str) -> tuple[list[str], Counter[str]]:
    sequence = words(text)
    return sequence, Counter(sequence)


def _plain_question(plan: CardPlan, index: int) -> str:
    return _plain_question_of(plan.note, index)


def _plain_question_of(note: Note, index: int) -> str:
    fact = note.facts[index]
    if fact.q is not None:
        return fact.q
    return CLOZE_SPAN.sub("…", fact.text or "")


def _similar_fronts(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    groups: dict[str, list[tuple[str, str, str]]] = {
        "term": [(p.note.id, "title", p.note.title) for p in plans if p.term],
        "reverse": [(p.note.id, p.clue.field, p.clue.card_text()) for p in plans if p.clue],
        "fact": [(p.note.id, f"facts[{i}]", _plain_question(p, i)) for p in plans for i, _, _ in p.facts],
    }
    for kind, items in groups.items():
        for first, second, score in _close_pairs(
            items, _jaccard, SIMILAR_FRONTS, SIMILAR_FRONTS, _front_content
        ):
            yield _Found(
                second[0],
                second[1],
                Rule.SIMILAR_FRONTS,
                f"this {kind} card's front is {score:.0%} like {first[0]}'s {first[1]} ('{first[2]}')",
                "make each front ask something only its answer fits",
                first[0],
            )


def _similar_answers(notebook: Notebook, planner: CardPlanner, plans: list[CardPlan]) -> Iterator[_Found]:
    items = [(p.note.id, "summary", p.note.summary) for p in plans if p.term]
    for plan in plans:
        for index, _, _ in plan.facts:
            fact = plan.note.facts[index]
            items.append((plan.note.id, f"facts[{index}]", fact.a if fact.a is not None else fact.plain()))
    overlap = SIMILAR_ANSWERS / (2 - SIMILAR_ANSWERS)  # a difflib ratio r needs r / (2 - r) of each side
    for first, second, score in _close_pairs(items, _ratio, SIMILAR_ANSWERS, overlap):
        yield _Found(
            second[0],
            second[1],
            Rule.SIMILAR_ANSWERS,
            f"this answer shares {score:.0%} of its wording with {first[0]}'s {first[1]}: they interfere",
            "word each by what sets it apart, or add a contrast (related: with a difference)",
            first[0],
        )
