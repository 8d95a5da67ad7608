"""`import` asks what a guide's usual shapes of reference material say, one card per thing to recall:

- paragraphs that each define a bold term ("**Input variables** – parameters for a module …");
- a list of `code` items and their meanings ("- `~>` pessimistic constraint: …");
- a short two-column table whose answers are longer than a cloze may hide ("| Command | What it does |");
- a comparison table ("| Feature | Terraform Cloud | Terraform Enterprise |").

The guides are tests/fixtures/guides/: a Terraform Associate study guide (Markdown, as a learner shared it),
a CPA FAR review (Markdown), an AP Music Theory cram sheet and an NCLEX pharmacology blog post (HTML),
three exams outside IT. Each test
imports them and reads the notes back with the loader and the cards with the deck's own planner.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cheatdeck.cards.plan import CardPlanner
from cheatdeck.cli import main
from cheatdeck.importer.guide import ImportReport, import_guides
from cheatdeck.notes.model import Note, Notebook
from cheatdeck.notes.sources import load_sources

GUIDES = Path(__file__).parent / "fixtures" / "guides"
TERRAFORM = GUIDES / "terraform-guide" / "terraform-associate.md"
ACCOUNTING = GUIDES / "accounting-guide" / "cpa-far-notes.md"
MUSIC = GUIDES / "music-theory" / "ap-music-theory.html"
NCLEX = GUIDES / "nclex-pharm" / "nclex-pharmacology.html"


class Imported:
    """One guide imported into a fresh notes folder: its report, notes by title and card plans."""

    def __init__(self, guide: Path, notes: Path) -> None:
        self.report: ImportReport = import_guides([guide], notes)
        self.notebook: Notebook = load_sources(notes)
        self.notes: dict[str, Note] = {note.title: note for note in self.notebook.notes}
        self.planner = CardPlanner(self.notebook)
        self.folder = notes

    def term_card(self, title: str) -> bool:
        return self.planner.plan(self.notes[title]).term

    def hidden(self, title: str) -> list[str]:
        """Every part a fact card of the note hides."""
        return [span for fact in self.notes[title].facts for span in fact.hidden_spans()]

    def facts(self, title: str) -> list[str]:
        """The note's facts as written: a statement, or "question — answer"."""
        return [
            str(fact.text) if fact.q is None else f"{fact.q} — {fact.a}" for fact in self.notes[title].facts
        ]

    def questions(self, title: str) -> dict[str, str]:
        """The note's question facts, question → answer."""
        return {str(fact.q): str(fact.a) for fact in self.notes[title].facts if fact.q is not None}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Imported]:
    folder = tmp_path_factory.mktemp("shapes")
    return {
        name: Imported(guide, folder / name)
        for name, guide in (
            ("terraform", TERRAFORM),
            ("accounting", ACCOUNTING),
            ("music", MUSIC),
            ("nclex", NCLEX),
        )
    }


def test_paragraphs_defining_bold_terms_give_a_card_per_term_and_no_term_card_of_the_section(
    imported: dict[str, Imported],
) -> None:
    terraform = imported["terraform"]
    assert terraform.facts("Variables and outputs") == [
        # the definition of Output values says "output" and "values": the name is asked for its meaning
        # instead, and so is every term of the glossary (one glossary, one form)
        "What are Input variables? — Parameters for a module, declared with `variable` blocks",
        "What are Output values? — Return values of a module, declared with `output` blocks",
        "What are Local values? — Named expressions used within a module, declared with `locals`",
    ]
    assert not terraform.term_card("Variables and outputs")  # its only sentences define other terms
    # a generic heading is named after the guide's subject, not its whole title
    assert "HashiCorp Terraform Associate: Troubleshooting" in terraform.notes
    troubleshooting = "HashiCorp Terraform Associate: Troubleshooting"
    assert not terraform.term_card(troubleshooting)  # "Set TF_LOG …" says what to do, not what it is
    assert terraform.facts(troubleshooting) == [
        "==terraform import==: brings existing infrastructure under Terraform management",
        "==terraform taint== (deprecated): marks a resource for recreation; use "
        "`terraform apply -replace=ADDRESS` instead",
    ]
    accounting = imported["accounting"]  # "__Assets:__ …", "__Equity__ (net assets): …"
    # "Equity: … the assets … its liabilities" would answer a cloze hiding "Assets": they are asked, and
    # so is Equity (one glossary, one form)
    assert accounting.facts("Elements of financial statements") == [
        "What are Assets? — A present economic resource controlled by the entity as a result of past events",
        "What are Liabilities? — Probable future sacrifices of economic benefits arising from present "
        "obligations of an entity",
        "What is Equity (net assets)? — The residual interest in the assets of an entity after deducting its "
        "liabilities",
    ]
    assert not accounting.term_card("Elements of financial statements")
    # bullets that define terms under a sentence of the section's own: that sentence is still its summary
    assert accounting.notes["Qualitative characteristics"].summary == (
        "Useful financial information must be relevant and faithfully represented."
    )
    assert accounting.term_card("Qualitative characteristics")
    assert accounting.hidden("Errors") == ["Error of omission", "Error of commission", "Compensating error"]
    music = imported["music"]  # <p><strong>Monophony</strong> – …</p>
    assert music.hidden("Texture") == ["Monophony", "Homophony", "Polyphony"]
    assert not music.term_card("Texture")
    assert list(music.questions("Troubleshooting part-writing")) == [
        "What are Parallel fifths?",
        "What is Voice crossing?",
    ]
    assert not music.term_card("Troubleshooting part-writing")


def test_definition_lists_numbered_definitions_and_labels_in_html_give_a_card_each(
    imported: dict[str, Imported],
) -> None:
    nclex = imported["nclex"]
    # <dl><dt>Rapid-acting (lispro)</dt><dd>onset 15 minutes, …</dd>…</dl>: a glossary, no term card
    assert nclex.hidden("Insulin types") == [
        "Rapid-acting (lispro)",
        "Short-acting (regular)",
        "Long-acting (glargine)",
    ]
    assert not nclex.term_card("Insulin types")
    # <ol><li><strong>Naloxone</strong> - reverses …</li>…</ol>: a term each, in one form
    assert nclex.facts("Antidotes") == [
        "==Naloxone==: reverses opioid overdose within minutes",
        "==Flumazenil==: reverses benzodiazepine sedation",
        "==Protamine sulfate==: neutralises heparin in the blood",
    ]
    assert "'Antidotes' makes no term card" not in "\n".join(nclex.report.lines())
    # "<b>Hold if</b>: …" labels what the note says of its topic: no name to hide, a question
    digoxin = nclex.facts("Digoxin")
    assert "Digoxin — Hold if? — The apical pulse is under 60 beats per minute in an adult" in digoxin
    assert not [fact for fact in digoxin if "==Hold if==" in fact]


def test_a_list_of_code_items_and_meanings_asks_each_meaning_never_a_term_card(
    imported: dict[str, Imported],
) -> None:
    terraform = imported["terraform"]
    assert not terraform.term_card("Version constraints")
    asked = terraform.questions("Version constraints")
    assert asked["What does `~>` mean?"] == (
        "Pessimistic constraint: allows only the rightmost version component to increment"
    )
    assert asked["What does `=` mean?"] == "Exact version"
    assert len(asked) == 4
    lines = "\n".join(terraform.report.lines())
    assert "'Version constraints' makes no term card" not in lines  # it makes four fact cards
    accounting = imported["accounting"]
    assert accounting.questions("Journal entry shorthand")["What does `Dr` mean?"] == (
        "Debit: the left side of an account"
    )
    assert not accounting.term_card("Journal entry shorthand")
    music = imported["music"]  # <li><code>pp</code> pianissimo, very soft</li>
    assert music.questions("Dynamics")["What does `pp` mean?"] == "Pianissimo, very soft"
    assert len(music.questions("Dynamics")) == 4


def test_every_row_of_a_short_two_column_table_is_asked_a_long_answer_as_a_question(
    imported: dict[str, Imported],
) -> None:
    terraform = imported["terraform"]
    asked = terraform.questions("Terraform workflow")
    assert len(asked) == 6  # a cloze hides at most six words: a longer answer is asked as a question
    assert (
        asked["What does `terraform apply` do?"] == "Applies the changes required to reach the desired state"
    )
    assert asked["What does `terraform fmt` do?"] == "Rewrites configuration files to canonical format"
    accounting = imported["accounting"]
    assert accounting.questions("Inventory")["FIFO — Effect when prices rise?"] == (
        "Higher ending inventory and higher net income"
    )
    assert len(accounting.questions("Inventory")) == 3
    music = imported["music"]
    assert music.questions("Tempo markings")["What does Largo mean?"] == (
        "Very slow and broad, as in a funeral march"
    )
    assert len(music.questions("Tempo markings")) == 4


def test_a_comparison_table_asks_each_cell_and_its_sub_headings_keep_their_own_names(
    imported: dict[str, Imported],
) -> None:
    terraform = imported["terraform"]
    compared = [fact.text for fact in terraform.notes["Terraform Cloud vs Terraform Enterprise"].facts]
    assert compared == [
        "Terraform Cloud — Hosting: ==SaaS by HashiCorp==",
        "Terraform Enterprise — Hosting: ==Self-hosted==",
        "Terraform Cloud — Sentinel policies: ==Paid tiers==",
    ]  # "Yes" answers nothing; a row where both say the same tells nothing apart
    assert terraform.notes["Sentinel"].summary == (
        "A policy-as-code framework; policies are checked between `plan` and `apply`."
    )
    accounting = imported["accounting"]  # "|  | IFRS | US GAAP |": the columns are what is compared
    compared = [fact.text for fact in accounting.notes["IFRS vs US GAAP"].facts]
    assert "US GAAP — Development costs: ==Expensed as incurred==" in compared
    assert len(compared) == 6  # "Extraordinary items: Prohibited, Prohibited" asks nothing
    assert "Convergence" in accounting.notes
    music = imported["music"]
    compared = [fact.text for fact in music.notes["Baroque vs Classical"].facts]
    assert "Classical — Texture: ==Mostly homophonic==" in compared
    assert compared[-2:] == ["Baroque — Key form: ==Fugue==", "Classical — Key form: ==Sonata== form"]
    assert len(compared) == 8  # every row of a table of four rows, none cut off
    assert "Basso continuo" in music.notes


def test_the_imported_shapes_pass_check_strict(imported: dict[str, Imported]) -> None:
    for name, guide in imported.items():
        result = CliRunner().invoke(main, ["check", "--strict", "--source", str(guide.folder)])
        assert result.exit_code == 0, (name, result.output)
        assert "warning" not in result.output, (name, result.output)


def _import_text(tmp_path: Path, text: str) -> Imported:
    guide = tmp_path / "in" / "guide.md"
    guide.parent.mkdir(parents=True)
    guide.write_text(text, encoding="utf-8")
    return Imported(guide, tmp_path / "notes")


def test_a_heading_defined_in_bold_takes_its_definition_and_a_bold_label_asks_nothing(tmp_path: Path) -> None:
    notes = _import_text(
        tmp_path,
        "# CKA notes\n\n## Sentinel\n\n**Sentinel** – a policy-as-code framework that checks runs between "
        "plan and apply.\n\n## Kinesis\n\n**Amazon Kinesis** – streams real-time data at any scale to many "
        "consumers.\n\n## Pods\n\nA pod is the smallest deployable unit in Kubernetes.\n\n"
        "- **Note:** pods are ephemeral, so never rely on their IP addresses.\n"
        "- **Key takeaway:** a pod's containers share one network namespace and its volumes.\n"
        "- **Why it matters** – the scheduler places pods, never single containers.\n"
        "- **Init containers**: run to completion before the app containers start.\n",
    )
    assert notes.notes["Sentinel"].summary == (
        "A policy-as-code framework that checks runs between plan and apply."
    )
    assert not notes.notes["Sentinel"].facts  # the term card asks it
    assert notes.notes["Kinesis"].summary == "Streams real-time data at any scale to many consumers."
    assert not notes.notes["Kinesis"].facts
    assert notes.facts("Pods") == [
        "What are Init containers? — Run to completion before the app containers start"
    ]


def test_a_table_of_numbered_steps_names_each_step_by_its_column(tmp_path: Path) -> None:
    notes = _import_text(
        tmp_path,
        "# CKA notes\n\n## Upgrading a cluster\n\nUpgrade the control plane before the workers.\n\n"
        "| Step | What it requires |\n|---|---|\n"
        "| 1 | Drain the control-plane node and upgrade kubeadm on it first |\n"
        "| 2 | Run kubeadm upgrade apply with the target version number |\n"
        "| 3 | Upgrade kubelet and kubectl, then restart the kubelet service |\n",
    )
    assert list(notes.questions("Upgrading a cluster")) == [
        "What does Step 1 require?",
        "What does Step 2 require?",
        "What does Step 3 require?",
    ]


GLOSSARY_TERMS = {  # term → its definition, each defined in a paragraph of its own
    "Asset": "a resource the entity controls that will bring economic benefits later",
    "Liability": "a present obligation that the entity expects to settle by paying cash",
    "Revenue": "income that arises in the course of ordinary activities of an entity",
    "Expense": "a decrease in economic benefits during the period, as outflows of cash",
    "Accrual": "a revenue or expense recorded before the cash changes hands",
    "Deferral": "cash received or paid before the revenue or expense is recognised",
    "Depreciation": "the systematic allocation of an asset's cost over its useful life",
    "Goodwill": "the excess of the price paid for a business over the fair value of its net worth",
    "Materiality": "information is material if leaving it out could change a reader's decisions",
}


def test_a_glossary_of_many_terms_asks_every_term(tmp_path: Path) -> None:
    paragraphs = "".join(f"**{term}** – {meaning}.\n\n" for term, meaning in GLOSSARY_TERMS.items())
    bullets = "".join(f"- **{term}**: {meaning}\n" for term, meaning in GLOSSARY_TERMS.items())
    for glossary in (paragraphs, f"The words of a ledger.\n\n{bullets}"):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        notes = _import_text(folder, f"# Accounting notes\n\n## Glossary\n\n{glossary}")
        questions = notes.questions("Glossary")
        asked = {*notes.hidden("Glossary"), *(q.removeprefix("What is ").rstrip("?") for q in questions)}
        assert asked == set(GLOSSARY_TERMS)  # none left out, none asked twice
        assert len(notes.notes["Glossary"].facts) == len(GLOSSARY_TERMS)
        result = CliRunner().invoke(main, ["check", "--strict", "--source", str(notes.folder)])
        assert result.exit_code == 0, result.output


def test_a_long_definition_another_definition_mentions_is_still_asked(tmp_path: Path) -> None:
    notes = _import_text(
        tmp_path,
        "# Accounting notes\n\n## Elements\n\n"
        # over fifteen words, and "Equity" says "assets": its first sentence answers the question
        "**Assets** – present resources the entity controls as a result of past events. Future economic "
        "benefits are expected to flow from them to the entity over the years.\n\n"
        "**Equity** – the residual interest in the assets of an entity after deducting its liabilities.\n\n"
        "## Current assets\n\n"
        # one long sentence that "Cost of sales" says, about other things than it: a cloze hides the name
        "**Inventory** – goods held in the ordinary course of business, or materials waiting in a warehouse "
        "to be turned into such goods.\n\n"
        "**Cost of sales** – what the inventory sold during the period cost the company.\n\n"
        "## Long-term items\n\n"
        # one long sentence that "Amortisation" says, of the same things: its words before "whose …" answer
        "**Intangibles** – identifiable non-monetary items without physical substance controlled by the "
        "entity, whose benefits are expected to flow to it over several years.\n\n"
        "**Amortisation** – the allocation of the cost of intangibles of the entity over their useful "
        "lives.\n\n"
        "## Obligations\n\n"
        # one long sentence, and "Provisions" says it of the same things: no honest card, so the report says
        "**Liabilities** – present obligations of the entity arising from past events that are expected to "
        "end in an outflow of the entity's own resources over time.\n\n"
        "**Provisions** – liabilities of the entity whose timing or amount is uncertain.\n\n"
        "- **Accruals**: recorded early\n",
    )
    assert notes.questions("Long-term items")["What are Intangibles?"] == (
        "Identifiable non-monetary items without physical substance controlled by the entity"
    )
    guide = notes.folder.parent / "in" / "guide.md"
    unasked = f"notice: {guide}:23: 'Liabilities' in 'Obligations' makes no card (the definition of "
    assert unasked in "\n".join(notes.report.lines())
    assert f"{guide}:27: 'Accruals' in 'Obligations' makes no card (its definition is under 3 words" in (
        "\n".join(notes.report.lines())
    )
    assert notes.questions("Elements")["What are Assets?"] == (
        "Present resources the entity controls as a result of past events"
    )
    assert notes.hidden("Current assets")[0] == "Inventory"
    assert len(notes.notes["Current assets"].facts) == 2
    result = CliRunner().invoke(main, ["check", "--strict", "--source", str(notes.folder)])
    assert result.exit_code == 0, result.output


def test_a_section_opening_with_a_narrower_term_s_definition_asks_that_term(tmp_path: Path) -> None:
    notes = _import_text(
        tmp_path,
        "# Terraform notes\n\n## State\n\n**Remote state** – the state file is kept in a shared backend "
        "such as S3, so a whole team can use it.\n\nTerraform state maps real resources to your "
        "configuration and tracks metadata.\n\n## Kinesis\n\n**Kinesis Data Streams** – a stream is "
        "kept for 24 hours by default and replayed by many consumers.\n\nKinesis is a family of services "
        "for real-time data.\n\n## Kinesis Firehose\n\n**Amazon Kinesis Firehose** – loads streaming data "
        "into S3, Redshift and OpenSearch.\n",
    )
    assert notes.notes["State"].summary == (
        "Terraform state maps real resources to your configuration and tracks metadata."
    )
    assert notes.hidden("State") == ["Remote state"]
    assert notes.notes["Kinesis"].summary == "A family of services for real-time data."
    assert notes.hidden("Kinesis") == ["Kinesis Data Streams"]
    # the topic's own name, longer ("Amazon …"), still defines the topic
    assert notes.notes["Kinesis Firehose"].summary == "Loads streaming data into S3, Redshift and OpenSearch."
    assert not notes.notes["Kinesis Firehose"].facts
