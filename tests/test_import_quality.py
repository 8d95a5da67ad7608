"""`import` makes study material: summaries that define, structure from the guide, Obsidian understood.

Each test feeds a small guide shaped like the real ones (labels, tables, code, deep headings, vaults) and
reads the notes back with the loader, so what is checked is what a learner's cards would say.
"""

from __future__ import annotations

from pathlib import Path

from cheatdeck.importer.guide import import_guides
from cheatdeck.notes.model import Note
from cheatdeck.notes.sources import load_sources


def _import(tmp_path: Path, guide: str, name: str = "guide.md", **options: object) -> dict[str, Note]:
    """Import one Markdown guide; return its notes by title."""
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(guide, encoding="utf-8")
    import_guides([path], tmp_path / "notes", **options)  # type: ignore[arg-type]
    return {note.title: note for note in load_sources(tmp_path / "notes").notes}


LABELLED = """\
# Guide

## Amazon EFS

Input:

Amazon EFS is a managed NFS file system that **several instances** can mount at once.

## Object Detection

Usage:

- finds and classifies every object in an image with a bounding box
- built on SSD

## Glue

| Feature | Meaning |
|---|---|
| Crawler | infers schemas |

`glue.start_job_run(JobName="x")`

Glue runs serverless Spark jobs that clean and join data.

## Tagged

#ml #exam

Only two exist:

- the first kind of thing
- the second kind of thing
"""


def test_a_summary_is_a_sentence_never_a_label_table_row_code_or_tags(tmp_path: Path) -> None:
    notes = _import(tmp_path, LABELLED)
    assert notes["Amazon EFS"].summary == (
        "A managed NFS file system that **several instances** can mount at once."
    )
    assert notes["Object Detection"].summary == (
        "Finds and classifies every object in an image with a bounding box."
    )
    assert notes["Glue"].summary == "Runs serverless Spark jobs that clean and join data."  # no name
    assert notes["Tagged"].summary == "The first kind of thing."


def test_a_section_with_no_sentence_makes_no_term_card_and_check_says_why(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cheatdeck.cards.plan import CardPlanner
    from cheatdeck.cli import main

    guide = "# Guide\n\n## Services\n\nAcronyms:\n\n- EC2\n- S3\n\n## Kept\n\nKept is a real topic here.\n"
    _import(tmp_path, guide)
    notebook = load_sources(tmp_path / "notes")
    planner = CardPlanner(notebook)
    services = notebook.note("services")
    assert services.summary == "Acronyms: EC2, S3."  # what the list after the label says
    assert planner.plan(services).term
    result = CliRunner().invoke(main, ["check", "--source", str(tmp_path / "notes")])
    assert result.exit_code == 0, result.output
    assert "label-answer" not in result.output


def test_a_heading_with_no_usable_text_gets_no_term_card_and_a_warning(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cheatdeck.cards.plan import CardPlanner
    from cheatdeck.cli import main

    _import(tmp_path, "# Guide\n\n## Ports\n\n| Port | Use |\n|---|---|\n| 22 | SSH |\n")
    notebook = load_sources(tmp_path / "notes")
    assert not CardPlanner(notebook).plan(notebook.note("ports")).term
    result = CliRunner().invoke(main, ["check", "--source", str(tmp_path / "notes")])
    assert "summary: label-answer: no term card: the summary only repeats the title" in result.output


DEEP = """\
# Study guide

## Table of Contents

- [Storage](#storage)
- [Modeling](#modeling)

## Storage

### Object stores

#### Amazon S3

Amazon S3 is object storage for any amount of data.

##### Usage

Data lakes and training data.

##### Pricing

Per GB stored and per request.

#### Amazon EFS

Amazon EFS is a file system many instances mount at once.

## Modeling

### Imputing missing data

Missing values bias a model; choose a method by how much is missing.

#### Regression

Predict the missing value from the other features with a fitted model.

### kubeadm

#### Scenario 01

Upgrade the control plane first, then each worker.

#### 4. Object Lock:

Object Lock keeps an object from being deleted for a retention period.

#### LDAP: a protocol for reading and editing directory services

## References

- [Exam guide](https://example.com/guide.pdf)
"""


def test_topics_are_chosen_from_the_guides_own_outline_and_the_choice_is_printed(tmp_path: Path) -> None:
    path = tmp_path / "in" / "guide.md"
    path.parent.mkdir()
    path.write_text(DEEP, encoding="utf-8")
    report = import_guides([path], tmp_path / "notes")
    notes = {note.title: note for note in load_sources(tmp_path / "notes").notes}
    assert list(notes) == [
        "Amazon S3",
        "Amazon EFS",
        "Imputing missing data",
        "Imputing missing data: Regression",
        "kubeadm: Scenario 01",
        "Object Lock",
        "LDAP",
    ]
    assert "Per GB stored" in notes["Amazon S3"].body  # its parts stay in it
    assert notes["LDAP"].summary == "A protocol for reading and editing directory services."
    lines = report.lines()
    chosen = "topics chosen from the guide's own headings: 1 at ###, 5 at ####"
    folded = "2 sub-heading(s) kept inside their topic (Usage, Pricing)"
    assert f"{path}: {chosen}; {folded} (--level N takes every heading down to N instead)" in lines
    assert any("'Table of Contents' left out (it holds only links)" in line for line in lines)
    assert any("'References' left out (it lists where to read more" in line for line in lines)
    # --level overrides the choice: every heading down to ## is a note
    import_guides([path], tmp_path / "level2", level=2)
    assert [note.id for note in load_sources(tmp_path / "level2").notes] == [
        "table-of-contents",
        "storage",
        "modeling",
        "references",
    ]


def test_titles_are_cleaned_of_numbering_separators_html_and_trailing_colons(tmp_path: Path) -> None:
    guide = (
        "## 4. S3 Object Lock:\n\nObject Lock keeps an object from being deleted for a retention period.\n\n"
        "## Line\u2028break <b>title</b>\n\nA heading with a line separator in it still names one topic.\n"
    )
    notes = _import(tmp_path, guide)
    assert list(notes) == ["S3 Object Lock", "Line break title"]


VAULT = Path(__file__).parent / "fixtures" / "guides" / "pharm-vault"


def test_an_obsidian_vault_leaves_no_obsidian_markup_and_keeps_its_marks(tmp_path: Path) -> None:
    report = import_guides([VAULT / "Cardiovascular"], tmp_path / "notes")
    notebook = load_sources(tmp_path / "notes")
    texts = [
        text
        for path in sorted((tmp_path / "notes").rglob("*.md"))
        for text in [path.read_text(encoding="utf-8")]
    ]
    for text in texts:
        assert "[[" not in text and "<mark" not in text and "#cardio" not in text
    notes = {note.title: note for note in notebook.notes}
    # ![[picture]] found by name in the attachments folder and copied; one outside the imported folder not
    assert "![beta-receptor](media/beta-receptor.png)" in notes["Beta blockers"].body
    assert sorted(path.name for path in (tmp_path / "notes" / "media").iterdir()) == [
        "beta-receptor.png",
        "raas.png",
    ]
    assert any("picture 'outside.png' not found in the imported folder" in line for line in report.lines())
    # [[note#heading|text]] → its text; a vault path ([[Anticoagulants/Heparin]]) → its words
    assert "See heparin reversal for the contrast." in notes["Warfarin"].body
    # highlights (==x==, <mark>) become facts; a #tags line and front matter tags become tags
    assert notes["Metoprolol"].facts[0].text == (
        "Contraindications: ==asthma== (less risk than propranolol, still caution)"
    )
    assert notes["ACE inhibitors"].facts[0].text == (
        "Side effects: dry cough (from bradykinin …; ==angioedema==; hyperkalaemia"
    )
    assert set(notes["Beta blockers"].tags) >= {"cardio", "antihypertensive", "exam"}
    assert "cardio-antihypertensive" in notes["ACE inhibitors"].tags
    assert "Also called: β-blockers, beta-adrenergic antagonists." in notes["Beta blockers"].body
    # a note whose fact is its file name keeps it; a map of links to other notes is no note
    assert notes["Warfarin half-life"].summary == "About 40 hours."
    assert "Cardiovascular drugs" not in notes
    assert not (tmp_path / "notes" / "cardiovascular" / "index.md").exists()
    # a generic heading under the file's own topic stays inside it
    assert (
        "## Side effects" in notes["ACE inhibitors"].body
        or "### Side effects" in notes["ACE inhibitors"].body
    )


CKA = Path(__file__).parent / "fixtures" / "guides" / "cka"
# A careful reader's kinds for the CKA fixture's topics (labelled by hand before the rules ran)
CKA_LABELS = {
    **dict.fromkeys(
        ("kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager", "kubelet", "kube-proxy"),
        "component",
    ),
    "CoreDNS": "component",
    **dict.fromkeys(
        ("kubeadm: Scenario 01", "kubeadm: Join a worker", "Troubleshooting: A pod stays Pending"),
        "task",
    ),
    "Troubleshooting: A Service has no endpoints": "task",
    **dict.fromkeys(
        ("Role", "ClusterRole", "RoleBinding", "Deployment", "DaemonSet", "StatefulSet", "ConfigMap"),
        "resource-type",
    ),
    **dict.fromkeys(("ClusterIP", "NodePort", "LoadBalancer", "Ingress", "NetworkPolicy"), "resource-type"),
    **dict.fromkeys(("Taints and tolerations", "Node affinity", "Resource limits"), "concept"),
}


def test_kinds_declared_in_deck_yaml_are_recognised_by_their_own_rules(tmp_path: Path) -> None:
    import shutil

    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copyfile(CKA / "deck" / "deck.yaml", notes / "deck.yaml")
    report = import_guides([CKA / "guide"], notes)
    kinds = {note.title: str(note.kind) for note in load_sources(notes).notes}
    assert set(kinds) == set(CKA_LABELS)
    agree = sum(kinds[title] == label for title, label in CKA_LABELS.items())
    assert agree / len(CKA_LABELS) >= 0.85, {t: k for t, k in kinds.items() if CKA_LABELS[t] != k}
    assert kinds["kubeadm: Scenario 01"] == "task"  # its own heading, "Scenario 01", matches the title rule
    assert kinds["kubelet"] == "component"  # its summary says "agent on every node"
    explained = "\n".join(report.lines(explain=True))
    assert "kubeadm-scenario-01: kind task (the title says 'Scenario')" in explained
    assert "troubleshooting-a-pod-stays-pending: kind task (the title says 'Scenario')" in explained
    assert "kube-apiserver: kind component (it is under the heading 'Control plane components')" in explained
    short = report.lines(explain=False)
    assert "guessed (review these): kinds: component 6, concept 4, resource-type 12, task 4; cards_off" in (
        "\n".join(short)
    )
    assert not any("kind component (" in line for line in short)


def test_a_recognise_rule_that_is_no_regular_expression_is_reported_where_it_is(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cheatdeck.cli import main

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "deck.yaml").write_text(
        "id: t\ntitle: T\nkinds:\n  - name: task\n    colour: '#112233'\n"
        "    recognise:\n      titles: ['(']\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", "--source", str(notes)])
    assert result.exit_code == 1
    assert "deck.yaml:7: kinds[0].recognise.titles[0]: not a regular expression" in result.output


GRID_GUIDE = """\
# Guide

## Built-in algorithms

### Unsupervised

#### K-Means

K-Means groups records into k clusters by the distance to each cluster's centre.

##### Input

Numeric vectors in RecordIO-protobuf or CSV.

## Services

### Amazon Kinesis Data Firehose

Amazon Kinesis Data Firehose loads streaming data into S3 or Redshift without code to manage.

Use cases: near-real-time delivery of logs to a data lake.

### Amazon Comprehend

Amazon Comprehend finds entities, key phrases and sentiment in text.

Usage:

- sentiment of product reviews
- entity extraction from support tickets
"""


def test_grid_fields_come_from_the_guides_own_labels_and_say_why(tmp_path: Path) -> None:
    path = tmp_path / "in" / "guide.md"
    path.parent.mkdir()
    path.write_text(GRID_GUIDE, encoding="utf-8")
    report = import_guides([path], tmp_path / "notes")
    notes = {note.title: note for note in load_sources(tmp_path / "notes").notes}
    kmeans = notes["K-Means"]
    assert (str(kmeans.kind), str(kmeans.learning), kmeans.task) == (
        "algorithm",
        "unsupervised",
        "clustering",
    )
    assert kmeans.input == "Numeric vectors in RecordIO-protobuf or CSV"  # as the author wrote it
    firehose = notes["Amazon Kinesis Data Firehose"]
    assert firehose.use_case == "near-real-time delivery of logs to a data lake"
    assert "Use cases:" not in firehose.body  # the labelled line left the body for the grid
    assert notes["Amazon Comprehend"].use_case == (
        "sentiment of product reviews; entity extraction from support tickets"
    )
    explained = "\n".join(report.lines())
    assert "k-means: learning unsupervised (it is under the heading 'Unsupervised')" in explained
    assert (
        "amazon-kinesis-data-firehose: use_case near-real-time delivery of logs to a data lake " in explained
    )


CASES = """\
# Guide

## Troubleshooting

### Scenario 01

A pod stays Pending: `kubectl describe pod` shows the scheduler's reason, usually an untolerated taint.

## Built-in algorithms

### PCA

Principal Component Analysis reduces the number of features by projecting the data onto fewer axes.

### Linear Learner

Linear Learner fits linear models for regression and for binary or multiclass classification.

### Object Detection

Finds and classifies every object in an image, each in a bounding box.

## Control plane

### kube-scheduler

The scheduler picks a node for each new pod by filtering and scoring the nodes.

## ACE inhibitors

ACE inhibitors block angiotensin-converting enzyme, so blood vessels relax.

### Side effects

- dry cough from bradykinin build-up
- ==angioedema==
- hyperkalaemia
"""


def test_cards_ask_what_the_guide_says_not_what_its_headings_number(tmp_path: Path) -> None:
    notes = _import(tmp_path, CASES)
    # a numbered case is titled by the situation it opens with
    case = notes["Troubleshooting: A pod stays Pending"]
    assert (
        case.summary == "`kubectl describe pod` shows the scheduler's reason, usually an untolerated taint."
    )
    # a summary that spells out the title's acronym does not give the answer away on the reverse card
    assert notes["PCA"].summary == ("Reduces the number of features by projecting the data onto fewer axes.")
    assert notes["Linear Learner"].task == "classification and regression"
    assert notes["Object Detection"].task is None  # "object detection": its task card would ask nothing
    assert (
        notes["kube-scheduler"].summary == "Picks a node for each new pod by filtering and scoring the nodes."
    )
    assert notes["ACE inhibitors"].summary == "Block angiotensin-converting enzyme, so blood vessels relax."
    # a marked list item is recalled among its list, not alone under "Side effects"
    assert [fact.text for fact in notes["ACE inhibitors"].facts] == [
        "Side effects: dry cough from bradykinin …; ==angioedema==; hyperkalaemia"
    ]


def test_a_summary_never_starts_with_it_is_nor_talks_about_the_post(tmp_path: Path) -> None:
    guide = (
        "# Notes\n\n## About\n\nThis post is a compilation of my notes.\n\n"
        "## Algorithms\n\n### LDA\n\n"
        "This post covers it too. It is a topic modeling technique over word counts.\n\n"
        "### Multinomial Logistic Regression\n\n"
        "An extension of logistic regression that allows more than two discrete outcomes.\n"
    )
    notes = _import(tmp_path, guide)
    assert "About" not in notes  # about the guide, not a topic
    assert notes["LDA"].summary == "A topic modeling technique over word counts."
    assert notes["Multinomial Logistic Regression"].task == "classification"


def test_a_summary_opening_with_the_name_and_its_spelling_out_drops_both(tmp_path: Path) -> None:
    guide = (
        "## Term frequency-inverse document frequency\n\n"
        "TF-IDF (term frequency-inverse document frequency) is a statistical measure of how relevant a word "
        "is.\n"
    )
    notes = _import(tmp_path, guide)
    assert notes["Term frequency-inverse document frequency"].summary == (
        "A statistical measure of how relevant a word is."
    )


def test_a_cheat_sheets_bullets_and_question_headings_make_plain_cards(tmp_path: Path) -> None:
    guide = (
        "# Cheat sheet\n\n## What is a VPC?\n\n- A private network in AWS\n- spans all AZs of a region\n\n"
        "## S3\n\n- Object storage\n- 11 9s durability\n"
    )
    notes = _import(tmp_path, guide)
    assert notes["VPC"].summary == "A private network in AWS."
    assert notes["S3"].summary == "Object storage."


def test_a_new_deck_from_a_folder_is_titled_by_the_folder_and_says_so(tmp_path: Path) -> None:
    from cheatdeck.notes.sources import load_sources as load

    report = import_guides([VAULT / "Cardiovascular"], tmp_path / "notes")
    assert load(tmp_path / "notes").deck.title == "Cardiovascular"  # not its first file's first heading
    assert (
        "notice: the new deck is titled 'Cardiovascular'; change `title:` in deck.yaml before you build"
        in (report.lines())
    )


def test_obsidian_callouts_comments_block_ids_and_inline_html_leave_no_markup(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / "S3 max file size is 5TB.md").write_text("", encoding="utf-8")
    (vault / "Amazon S3.md").write_text(
        "Amazon S3 is object storage for <b>any amount</b> of data. ^block-1\n\n"
        "%% a private comment %%\n\n"
        "> [!tip] Exam tip\n> Pick the class by access pattern.\n\n"
        'See <a href="https://aws.amazon.com/s3/">the S3 page</a> and '
        '<a href="javascript:alert(1)">this</a>.<br>\n\n'
        "==A highlight far too long to be recalled whole as one cloze card== stays bold.\n",
        encoding="utf-8",
    )
    import_guides([vault], tmp_path / "notes")
    notes = {note.title: note for note in load_sources(tmp_path / "notes").notes}
    s3 = notes["Amazon S3"]
    assert s3.summary == "Object storage for **any amount** of data."
    text = s3.body
    assert "%%" not in text and "^block-1" not in text and "[!tip]" not in text and "<" not in text
    assert "> **Exam tip**" in text
    assert "[the S3 page](https://aws.amazon.com/s3/)" in text
    assert "javascript" not in text and "this." in text  # an unsafe link keeps its words only
    assert not s3.facts and "**A highlight far too long" in text
    assert notes["S3 max file size"].summary == "5TB."


def test_builtin_kind_rules_tell_an_ml_deployment_from_networking_and_scaling(tmp_path: Path) -> None:
    guide = "# SAA\n\n" + "".join(
        f"## {title}\n\n{title} is a thing the exam asks about in several ways.\n\n"
        for title in (
            "VPC endpoints",
            "EC2 Auto Scaling",
            "S3 static website hosting",
            "SageMaker Serverless Inference",
            "Multi-model endpoints",
        )
    )
    notes = _import(tmp_path, guide)
    assert {title: str(note.kind) for title, note in notes.items()} == {
        "VPC endpoints": "service",
        "EC2 Auto Scaling": "service",
        "S3 static website hosting": "service",
        "SageMaker Serverless Inference": "deployment",
        "Multi-model endpoints": "deployment",
    }


def test_bold_terms_a_bullet_defines_and_q_a_lines_become_facts_in_the_authors_words(tmp_path: Path) -> None:
    guide = (
        "# Storage\n\n## S3 storage classes\n\nS3 storage classes trade retrieval time for price.\n\n"
        "- **S3 Standard-IA**: infrequent access, millisecond retrieval\n"
        "- **S3 Glacier Deep Archive** — cheapest, retrieval within 12 hours\n"
        "- **Note** ok\n\n"
        "Q: What is the largest object S3 stores?\nA: 5 TB\n"
    )
    notes = _import(tmp_path, guide)
    facts = notes["S3 storage classes"].facts
    assert [(fact.text, fact.q, fact.a) for fact in facts] == [
        # a cloze's front would spell out its "IA" (the lint's front-leaks-answer): asked the other way,
        # and the other term of its list too (one list, one form)
        (None, "What is S3 Standard-IA?", "Infrequent access, millisecond retrieval"),
        (None, "What is S3 Glacier Deep Archive?", "Cheapest, retrieval within 12 hours"),
        (None, "What is the largest object S3 stores?", "5 TB"),
    ]


def test_new_passes_its_own_strict_check_and_import_takes_its_untouched_examples_out(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cheatdeck.cli import main

    runner = CliRunner()
    for notes_format in ("yaml", "md"):
        folder = tmp_path / notes_format
        assert runner.invoke(main, ["new", str(folder), "--format", notes_format]).exit_code == 0
        result = runner.invoke(main, ["check", "--strict", "--source", str(folder)])
        assert result.exit_code == 0 and "warning" not in result.output, result.output
    report = import_guides([CKA / "guide"], tmp_path / "yaml")
    notes = load_sources(tmp_path / "yaml").notes
    assert not [note.id for note in notes if note.id.startswith("example-")]
    assert any("the example notes `new` wrote are taken out" in line for line in report.lines())


STRICT = """\
# Study guide

## Ship Finder

Ship Finder is an algorithm for the classification of satellite pictures.

Use cases: finding every ship in a harbour photo.

Input: numeric feature vectors in CSV or recordIO.

It is supervised.

## Ports

| Port | Use |
|---|---|
| 22 | SSH |
| 443 | HTTPS |

## Routing

### OSPF

#### Overview

OSPF is a link-state interior gateway protocol that computes shortest paths with Dijkstra's algorithm.

#### Configuration

```
router ospf 1
```

#### DR election

On a multi-access network OSPF elects a designated router to reduce the number of adjacencies.
"""


def test_an_imported_guide_passes_check_strict_and_the_report_names_each_card_decision(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from cheatdeck.cli import main

    guide = tmp_path / "in" / "guide.md"
    guide.parent.mkdir()
    guide.write_text(STRICT, encoding="utf-8")
    notes_dir = tmp_path / "notes"
    imported = CliRunner().invoke(main, ["import", str(guide), "--into", str(notes_dir), "--explain"])
    assert imported.exit_code == 0, imported.output
    checked = CliRunner().invoke(main, ["check", "--strict", "--source", str(notes_dir)])
    assert checked.exit_code == 0, checked.output
    notes = {note.id: note for note in load_sources(notes_dir).notes}
    # the author's words stay; the card that would give the name away is switched off, and says why
    finder = notes["ship-finder"]
    assert finder.use_case == "finding every ship in a harbour photo"
    assert finder.cards_off == ("reverse",)
    assert "ship-finder: cards_off reverse (its clue would give the name away: 'ship'" in imported.output
    assert notes["ports"].cards_off == ("term",)
    assert "ports: cards_off term (its summary only repeats the title)" in imported.output
    # the section that makes no card is no note: its text ends its parent's body
    assert "configuration" not in " ".join(notes)
    assert "router ospf 1" in notes["ospf"].body
    assert "sections that make no card: 1 not written as notes" in imported.output
    assert "folded into ospf (it makes no card)" in imported.output
    quiet = CliRunner().invoke(main, ["import", str(guide), "--into", str(tmp_path / "again")])
    assert "sections that make no card: 1 not written as notes (--explain lists them)" in quiet.output
    assert "folded into" not in quiet.output
