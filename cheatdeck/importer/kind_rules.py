"""Guess an imported note's kind, and its grid fields, from the deck's own words.

Each kind in `deck.yaml` may say how to recognise its notes (`recognise:` titles, words, parents,
folders, tags, formula: `kinds.Recognise`); the six built-in kinds have the rules in `BUILTIN_RULES`. The
strongest evidence decides, whichever kind it names: a title pattern, then a heading above the note, then
the guide's folder, then a tag, then a formula, then a word of the title or summary; among kinds the
same evidence names, the one declared first. No rule matching: the deck's `concept` kind if it has one,
else its last kind. Every guess says which rule made it.

The grid fields come from the guide's own labels ("Use cases: …", "Input:" and the list after it, an
"Input" sub-heading), filled only for a kind that has the field; `learning` from the heading an
algorithm sits under ("Supervised") or the first "supervised"/"unsupervised" in its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cheatdeck.notes.kinds import Kinds, KindSpec, Recognise

_SERVICE_NAMES = (
    r"SageMaker|Kinesis|Glue|Athena|EMR|Redshift|QuickSight|Lambda|S3|EFS|FSx|EBS|EC2|ECS|EKS|ECR|"
    r"Rekognition|Comprehend|Polly|Lex|Transcribe|Translate|Textract|Forecast|Personalize|Kendra|"
    r"DynamoDB|Aurora|RDS|CloudWatch|CloudTrail|IAM|KMS|VPC|Step Functions|Data Pipeline|DataBrew|"
    r"Lake Formation|Batch|OpenSearch|Fraud Detector|Augmented AI|A2I|Ground Truth|DeepAR|Bedrock"
)
BUILTIN_RULES: dict[str, Recognise] = {
    "deployment": Recognise(
        titles=(
            r"\binference\b|batch transform|\bneo\b|edge manager|model hosting|hosting services|"
            r"production variants?|shadow (test|variant)\w*|multi-model|model registry|"
            r"\b(model|sagemaker|real-time|serverless|async\w*)\b.*\bendpoints?\b|"
            r"\bendpoints?\b.*\b(model|sagemaker|inference)\b|deploy(ing|ment)? (a |the )?models?",
        ),
        words=("batch transform", "real-time inference", "deploys the model", "hosts the model"),
        parents=("deployment", "deploying", "inference", "hosting", "model deployment"),
    ),
    "metric": Recognise(
        titles=(
            r"\b(precision|recall|f1|f-?score|accuracy|auc|roc|rmse|mse|mae|mape|r2|r-squared|"
            r"specificity|sensitivity|log ?loss|perplexity|bleu|rouge)\b",
        ),
        words=("measures", "the area under", "harmonic mean"),
        parents=("metrics", "evaluation metrics", "model evaluation"),
        formula=True,
    ),
    "algorithm": Recognise(
        titles=(
            r"\b(regression|classifier|k-?means|k-?nn|xgboost|random (cut )?forest|pca|lda|svm|"
            r"neural network|linear learner|factorization machines?|blazingtext|word2vec|seq2seq|"
            r"object detection|image classification|semantic segmentation|ip insights|deepar|"
            r"object2vec|gradient boost\w*|decision trees?|naive bayes|lstm|cnn|rnn|transformer)\b",
        ),
        words=("algorithm", "supervised", "unsupervised", "clustering", "classifier"),
        parents=("algorithms", "built-in algorithms", "supervised", "unsupervised", "models"),
    ),
    "service": Recognise(
        titles=(r"^(amazon|aws)\b", rf"\b({_SERVICE_NAMES})\b"),
        words=("managed service", "fully managed", "aws service"),
        parents=("services", "aws services", "storage", "ingestion", "ai services"),
    ),
    "resource": Recognise(
        titles=(
            r"\b(courses?|exams?|practice|tips|tricks|books?|videos?|tutorials?|resources|dumps|"
            r"cheat ?sheets?|shortcuts|study plan)\b",
        ),
        parents=("resources", "courses", "practice exams", "exam tips"),
    ),
}
"""The rules the built-in kinds are recognised by (a deck's `recognise:` replaces them for its kind)."""

ML_KINDS = ("algorithm", "metric", "deployment")
"""The built-in kinds of machine learning: their rules need ML evidence (`ML_EVIDENCE`), so a networking
guide's "Dijkstra's SPF algorithm" or a chemistry guide's "Accuracy and precision" stay concepts."""
ML_EVIDENCE = re.compile(
    r"\b((un|semi-?|self-?)?supervised|machine learning|deep learning|neural net(work)?s?|"
    r"training (data|set|jobs?|instances?|examples)|trained|train(s|ing)? (a |the )?models?|"
    r"classif(y|ies|ier|iers|ication)|regression|regressor|clustering|hyperparameters?|overfit(ting)?|"
    r"feature (engineering|selection)|label(l)?ed data|predictions?|model (training|evaluation)|"
    r"sagemaker|inference)\b",
    re.IGNORECASE,
)
ML_GUIDE_SHARE = 0.1  # an import is about machine learning when this share of its notes says so

ML_TASKS: tuple[tuple[str, str], ...] = (
    ("anomaly detection", r"anomal\w*|outliers?"),
    ("clustering", r"clusters?|clustering"),
    ("dimensionality reduction", r"reduces? the number of features|dimensionality reduction|projecting"),
    ("object detection", r"bounding box\w*|object detection"),
    ("image classification", r"image classification|classif\w+ images?"),
    ("forecasting", r"forecast\w*|time series"),
    ("recommendation", r"recommend\w*"),
    ("topic modeling", r"topics?"),
    ("embeddings", r"embedding\w*|word vectors?"),
    ("classification and regression", r"classification and regression|regression (and|or) classification"),
    ("classification", r"classif\w+|logistic regression|multiclass|binary outcomes?"),
    ("regression", r"regression|regressor"),
)
"""The task an algorithm of the built-in kind does, by the words of its title or summary, first match."""

_LEARNING = re.compile(r"(?<![\w-])(un)?supervised\b", re.IGNORECASE)
_FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "use_case": ("use case", "use cases", "usage", "used for", "when to use", "good for", "applications"),
    "input": ("input", "inputs", "input format", "input data", "data format", "training input"),
    "task": ("task", "tasks", "problem type", "problem", "type of problem"),
    "domain": ("domain", "area"),
}
MAX_FIELD_WORDS = 25  # a grid cell is a phrase, not a paragraph
MAX_ITEMS = 4


@dataclass(frozen=True)
class Evidence:
    """What the kind rules look at in one note."""

    title: str
    summary: str
    body: str
    parents: Sequence[str]  # the headings above the note, outermost first
    folders: Sequence[str]  # the folders its guide is in, inside the imported folder
    tags: Sequence[str]
    has_formula: bool
    heading: str = ""  # the heading's own words, when the title added its parent's ("Scenario 01")
    ml_guide: bool = True  # the import speaks of machine learning (`is_ml_import`)

    @property
    def speaks_ml(self) -> bool:
        """True when the note's own words or the headings above it speak of machine learning."""
        text = "\n".join((self.title, self.summary, self.body, *self.parents))
        return bool(ML_EVIDENCE.search(text))


def is_ml_import(texts: Sequence[str]) -> bool:
    """True when enough of an import's notes speak of machine learning for the built-in ML kinds."""
    speaking = sum(1 for text in texts if ML_EVIDENCE.search(text))
    return speaking >= 1 and speaking >= ML_GUIDE_SHARE * len(texts)


def guess_kind(kinds: Kinds, evidence: Evidence) -> tuple[str, str]:
    """Return the kind the strongest rule names, and why (see the module's docstring)."""
    specs = list(kinds)
    builtin_order = list(BUILTIN_RULES)
    # a deck's own rules in its order first; the built-in rules most specific first (deployment before
    # service: "SageMaker endpoints" is a deployment option)
    ordered = sorted(
        enumerate(specs),
        key=lambda item: (
            (0, item[0])
            if item[1].recognise is not None
            else (
                1,
                builtin_order.index(item[1].name) if item[1].name in builtin_order else len(builtin_order),
            )
        ),
    )
    rules = [(spec, _rules_of(spec)) for _, spec in ordered]
    for test in (_by_title, _by_parent, _by_folder, _by_tag, _by_formula, _by_words):
        for spec, rule in rules:
            if rule is None or not _may_be(spec, evidence, test is _by_words):
                continue
            why = test(rule, evidence)
            if why:
                return spec.name, why
    fallback = "concept" if "concept" in kinds else specs[-1].name
    return fallback, "no rule of another kind matched"


def _may_be(spec: KindSpec, evidence: Evidence, by_words: bool) -> bool:
    """False for a built-in ML kind (its own rules, not a deck's) without ML evidence: the import must
    speak of machine learning, and a note matched by a word of its text must too."""
    if spec.recognise is not None or spec.name not in ML_KINDS:
        return True
    return evidence.ml_guide and (evidence.speaks_ml or not by_words)


def _rules_of(spec: KindSpec) -> Recognise | None:
    return spec.recognise if spec.recognise is not None else BUILTIN_RULES.get(spec.name)


def _by_title(rule: Recognise, evidence: Evidence) -> str:
    titles = (evidence.title, evidence.heading) if evidence.heading else (evidence.title,)
    found = (re.search(p, t, re.IGNORECASE) for p in rule.titles for t in titles)
    match = next((m for m in found if m), None)
    return f"the title says {match[0]!r}" if match else ""


def _by_parent(rule: Recognise, evidence: Evidence) -> str:
    wanted = {_words(name) for name in rule.parents}
    parent = next((p for p in reversed(evidence.parents) if _words(p) in wanted), None)
    return f"it is under the heading {parent!r}" if parent else ""


def _by_folder(rule: Recognise, evidence: Evidence) -> str:
    wanted = {_words(name) for name in rule.folders}
    folder = next((f for f in evidence.folders if _words(f) in wanted), None)
    return f"its guide is in the folder {folder!r}" if folder else ""


def _by_tag(rule: Recognise, evidence: Evidence) -> str:
    wanted = {_words(name) for name in rule.tags}
    tag = next((t for t in evidence.tags if _words(t) in wanted), None)
    return f"it has the tag {tag!r}" if tag else ""


def _by_formula(rule: Recognise, evidence: Evidence) -> str:
    return "it has a formula line 'Title = …'" if rule.formula and evidence.has_formula else ""


def _by_words(rule: Recognise, evidence: Evidence) -> str:
    text = f" {_words(evidence.title)} {_words(evidence.summary)} "
    word = next((w for w in rule.words if f" {_words(w)} " in text), None)
    return f"its title or summary says {word!r}" if word else ""


def _words(text: str) -> str:
    return " ".join(re.findall(r"[\w/+-]+", text.lower()))


def guess_learning(evidence: Evidence) -> tuple[str, str] | None:
    """Return an algorithm's learning type and why: the heading it sits under, else its text."""
    for parent in reversed(evidence.parents):
        match = _LEARNING.fullmatch(_words(parent).removesuffix(" learning").removesuffix(" algorithms"))
        if match:
            learning = "unsupervised" if match[1] else "supervised"
            return learning, f"it is under the heading {parent!r}"
    match = _LEARNING.search(f"{evidence.title}\n{evidence.summary}\n{evidence.body}")
    if match:
        learning = "unsupervised" if match[1] else "supervised"
        return learning, f"the text says {learning!r} first"
    return None


def guess_task(evidence: Evidence) -> tuple[str, str] | None:
    """Return the task a built-in algorithm does (`ML_TASKS`) and why, from its title or summary."""
    text = f"{evidence.title}. {evidence.summary}"
    plain = re.sub(r"logistic regression", "", text, flags=re.IGNORECASE)  # a classifier, despite its name
    if re.search(r"\bclassif", plain, re.IGNORECASE) and re.search(r"\bregress", plain, re.IGNORECASE):
        return "classification and regression", "its title or summary says classification and regression"
    title = set(_words(evidence.title).split())
    for task, words in ML_TASKS:
        match = re.search(rf"\b({words})\b", text, re.IGNORECASE)
        if match and not set(task.split()) <= title:  # "Object Detection": its task card would be empty
            return task, f"its title or summary says {match[0]!r}"
        if match:
            return None
    return None


def labelled_fields(body: str, wanted: Iterable[str]) -> tuple[str, dict[str, tuple[str, str]]]:
    """Return the body without the labelled lines it takes, and field → (value, why) for each of `wanted`
    the guide labels: "Use cases: a, b.", "Input:" and the list after it, or an "Input" sub-heading's
    first paragraph (which stays in the body)."""
    names = {label: name for name in wanted for label in _FIELD_LABELS.get(name, ())}
    lines = body.split("\n")
    found: dict[str, tuple[str, str]] = {}
    drop: set[int] = set()
    for number, line in enumerate(lines):
        inline = re.match(
            r"^(?:\*\*|__)?(?P<label>[A-Za-z][\w /-]{1,30}?)(?:\*\*|__)?\s*:(?:\*\*|__)?\s*(?P<value>.*)$",
            line,
        )
        heading = re.match(r"^ {0,3}#{1,6}\s+(?P<label>[^#]+?)\s*:?\s*#*$", line)
        match = inline or heading
        if not match:
            continue
        name = names.get(_words(match["label"]))
        if name is None or name in found:
            continue
        value = match["value"].strip() if inline else ""
        taken = {number} if inline else set()
        if not value:
            value, used = _following(lines, number + 1)
            taken |= used if inline else set()
        value = _one_line(value)
        if value and len(value.split()) <= MAX_FIELD_WORDS:
            found[name] = (value, f"the guide's label {match['label'].strip()!r}")
            drop |= taken
    kept = [line for number, line in enumerate(lines) if number not in drop]
    return "\n".join(kept), found


def _following(lines: list[str], start: int) -> tuple[str, set[int]]:
    """Return what follows a label: its list's items (at most `MAX_ITEMS`), or its next paragraph."""
    number = start
    while number < len(lines) and not lines[number].strip():
        number += 1
    items, used = [], set()
    while number < len(lines):
        item = re.match(r"^[-*+]\s+(?P<text>.+)$", lines[number])
        if not item:
            break
        items.append(item["text"].strip().rstrip(".;"))
        used.add(number)
        number += 1
    if items:
        return "; ".join(items[:MAX_ITEMS]), used
    if (
        number < len(lines)
        and lines[number].strip()
        and not lines[number].lstrip().startswith(("#", "|", "`"))
    ):
        return lines[number].strip(), set()
    return "", set()


def _one_line(value: str) -> str:
    value = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", value)
    value = " ".join(value.split()).rstrip(".;:")
    return value
