"""`import` asks every key term a guide defines, in the shapes real guides define them:

- a paragraph opening with a **bold** term and what it is or does ("**Non-repudiation** means …",
  "**Typosquatting** registers …"): that term's card, never the section's summary;
- **bold** definitions on consecutive lines of one paragraph, or two on one line ("**RTO (Recovery Time
  Objective)** – …" then "**RPO …** – …"; "**MTTR** – … **MTBF** – …"): a card each;
- a Pandoc / PHP Markdown Extra definition list ("Virus" then ": Malicious code …"): a card per term;
- a list of plain terms and their definitions ("- Honeypot: a decoy system …"): a card per term.

The guides are tests/fixtures/guides/security-plus/ (a CompTIA Security+ guide in a common GitHub shape) and
tests/fixtures/guides/microbiology/ (a USMLE microbiology guide with the same shapes in another field, and an
Obsidian callout). Each test imports them and reads the notes back with the loader and the deck's planner.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cheatdeck.cli import main
from tests.test_import_shapes import Imported, _import_text

GUIDES = Path(__file__).parent / "fixtures" / "guides"
SECURITY = GUIDES / "security-plus" / "security-plus.md"
MICROBIOLOGY = GUIDES / "microbiology" / "usmle-microbiology.md"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Imported]:
    folder = tmp_path_factory.mktemp("key-terms")
    return {
        name: Imported(guide, folder / name)
        for name, guide in (("security", SECURITY), ("microbiology", MICROBIOLOGY))
    }


def asked(guide: Imported, title: str) -> set[str]:
    """The terms a note's facts ask: the parts a cloze hides, and X of each question "What is X?"."""
    names = set(guide.hidden(title))
    for question in guide.questions(title):
        for opening in ("What is ", "What are ", "What does "):
            if question.startswith(opening):
                names.add(question.removeprefix(opening).removesuffix(" mean?").rstrip("?"))
    return names


def test_a_paragraph_opening_with_a_bold_term_and_what_it_is_or_does_asks_that_term(
    imported: dict[str, Imported],
) -> None:
    security = imported["security"]
    assert "Non-repudiation" in asked(security, "CIA Triad")
    threats = security.notes["Threat vectors"]
    # "**Phishing** is a social engineering attack …" is Phishing's card, not what "Threat vectors" is
    assert "Phishing" not in threats.summary and "social engineering" not in threats.summary
    assert {"Phishing", "Typosquatting"} <= asked(security, "Threat vectors")
    microbiology = imported["microbiology"]
    assert {"Peptidoglycan", "Teichoic acid"} <= asked(microbiology, "Cell envelope")
    # the section's own sentence is still its summary
    assert microbiology.notes["Cell envelope"].summary == (
        "The layered boundary that separates a bacterium from its surroundings."
    )


def test_bold_definitions_on_the_lines_of_one_paragraph_are_each_asked(
    imported: dict[str, Imported],
) -> None:
    security = imported["security"]
    resilience = asked(security, "Resilience")
    # "**MTBF** – mean time between failures": its card would spell its name; the report says so
    report = "\n".join(security.report.lines())
    assert all(
        name in resilience or f"{name!r} in 'Resilience' makes no card" in report for name in ("MTTR", "MTBF")
    )
    assert resilience & {"MTTR", "MTBF"}
    assert {name for name in resilience if name.startswith(("RTO", "RPO"))} == {
        "RTO (Recovery Time Objective)",
        "RPO (Recovery Point Objective)",
    }
    microbiology = imported["microbiology"]
    testing = asked(microbiology, "Susceptibility testing")
    assert "Breakpoint" in testing
    assert "PAE" in testing or "'PAE' in 'Susceptibility testing' makes no card" in "\n".join(
        microbiology.report.lines()
    )
    assert {name.split()[0] for name in testing} >= {"MIC", "MBC"}
    for guide in imported.values():  # no card's answer holds a second definition
        for note in guide.notebook.notes:
            for fact in note.facts:
                assert str(fact.text if fact.q is None else fact.a).count(" – ") == 0, fact


def test_a_definition_list_gives_a_card_per_term(imported: dict[str, Imported]) -> None:
    security = imported["security"]
    assert asked(security, "Indicators of malicious activity") == {"Virus", "Worm", "Trojan", "Ransomware"}
    microbiology = imported["microbiology"]
    assert asked(microbiology, "Gene transfer") == {"Transformation", "Conjugation", "Transduction"}
    # the note's text keeps every definition, its term in bold
    body = security.notes["Indicators of malicious activity"].body
    assert "**Worm**: Self-replicating malware that spreads over the network without user action." in body
    # the lines after a definition list keep their numbers: a notice names the guide's own line
    for guide, path in ((security, SECURITY), (microbiology, MICROBIOLOGY)):
        lines = path.read_text(encoding="utf-8").split("\n")
        named = re.findall(rf"{re.escape(str(path))}:(\d+): '([^']+)' in ", "\n".join(guide.report.lines()))
        assert named
        for number, term in named:
            assert term in lines[int(number) - 1]


def test_a_list_of_plain_terms_and_their_definitions_asks_every_term(
    imported: dict[str, Imported], tmp_path: Path
) -> None:
    security = imported["security"]
    assert asked(security, "Deception technologies") == {"Honeypot", "Honeynet", "Honeyfile", "Honeytoken"}
    assert asked(security, "Cloud models") >= {"IaaS", "PaaS", "SaaS"}
    microbiology = imported["microbiology"]
    assert asked(microbiology, "Virulence factors") == {"Protein A", "IgA protease", "M protein"}
    # a lowercase key names an option, not a term ("- regular: for sparse data and …"): its values are
    # asked as a table written as a list's
    notes = _import_text(
        tmp_path,
        "# ML notes\n\n## PCA\n\nPCA reduces the number of features of a data set.\n\nModes:\n\n"
        "- regular: for sparse data and a moderate number of rows\n"
        "- randomized: for many rows and features\n",
    )
    assert notes.hidden("PCA") == ["for many rows and features"]
    # a term with its abbreviation in brackets: "- Recovery Time Objective (RTO): the maximum …"
    notes = _import_text(
        tmp_path / "abbreviations",
        "# Security notes\n\n## Recovery\n\n- Recovery Time Objective (RTO): the longest a service may stay "
        "down after an outage\n- Recovery Point Objective (RPO): how much data, measured in time, may be "
        "lost\n",
    )
    assert asked(notes, "Recovery") == {"Recovery Time Objective (RTO)", "Recovery Point Objective (RPO)"}
    # a list of short values is a table written as a list: each value is asked, as before
    assert security.hidden("Threat vectors")[-4:] == [
        "targets a specific person or group",
        "targets executives",
        "phishing over voice calls",
        "phishing over SMS",
    ]


def test_one_list_s_terms_are_asked_in_one_form(imported: dict[str, Imported]) -> None:
    security = imported["security"]
    # "Physical: controls that limit physical access" says its name: asked "What is Physical?", and so is
    # every other category of the list, never "[…]: controls implemented by systems" beside it
    assert list(security.questions("Control Categories")) == [
        "What is Technical?",
        "What is Managerial?",
        "What is Operational?",
        "What is Physical?",
    ]
    assert not security.hidden("Control Categories")
    # "Race condition: the outcome depends on the timing of events; TOCTOU … is a common example" is
    # over fifteen words: its first clause answers, as the other vulnerabilities are asked
    assert security.questions("Vulnerabilities")["What is Race condition?"] == (
        "The outcome depends on the timing of events"
    )
    assert len(security.questions("Vulnerabilities")) == 4 and not security.hidden("Vulnerabilities")
    microbiology = imported["microbiology"]  # "IgA protease: cleaves secretory IgA …" says its name
    assert list(microbiology.questions("Virulence factors")) == [
        "What is Protein A?",
        "What is IgA protease?",
        "What is M protein?",
    ]


def test_a_table_s_examples_are_never_asked(imported: dict[str, Imported]) -> None:
    # "| Type | Purpose | Example |": an example is one of many right answers, never the answer
    types = imported["security"].facts("Control Types")
    assert len(types) == 6 and not [fact for fact in types if "Example" in fact]
    mechanisms = imported["microbiology"].facts("Mechanisms of action")
    assert "Macrolides — Target: ==50S ribosomal subunit==" in mechanisms
    assert len(mechanisms) == 4 and not [fact for fact in mechanisms if "Examples" in fact]


def test_the_key_term_guides_pass_check_strict(imported: dict[str, Imported]) -> None:
    # "| 21 | FTP | SFTP (22) / FTPS (990) |": a row's second answer says its first; one of them is asked
    ports = imported["security"].facts("Common ports")
    assert "21 — Protocol: ==FTP==" in ports and not [fact for fact in ports if "SFTP" in fact]
    for name, guide in imported.items():
        result = CliRunner().invoke(main, ["check", "--strict", "--source", str(guide.folder)])
        assert result.exit_code == 0, (name, result.output)
        assert "warning" not in result.output, (name, result.output)


def test_a_comparison_s_summary_is_never_one_side_each_side_s_sentence_asks_its_name(
    imported: dict[str, Imported],
) -> None:
    security = imported["security"]
    crypto = security.notes["Symmetric vs Asymmetric"]
    assert "uses the same key" not in crypto.summary  # what symmetric encryption is, not the comparison
    assert not security.term_card("Symmetric vs Asymmetric")
    assert security.facts("Symmetric vs Asymmetric") == [
        "==Symmetric== encryption uses the same key to encrypt and decrypt.",
        "==Asymmetric== encryption uses a public/private key pair.",
    ]
    microbiology = imported["microbiology"]
    assert not microbiology.term_card("Gram-positive vs Gram-negative")
    assert microbiology.hidden("Gram-positive vs Gram-negative") == ["Gram-positive", "Gram-negative"]


def test_a_reimport_of_the_unchanged_guides_writes_nothing_and_keeps_every_id(
    imported: dict[str, Imported],
) -> None:
    from cheatdeck.importer.guide import import_guides

    for name, guide in imported.items():
        before = {path: path.read_bytes() for path in guide.folder.rglob("*") if path.is_file()}
        report = import_guides([SECURITY if name == "security" else MICROBIOLOGY], guide.folder)
        assert (report.written, report.added, report.updated, report.removed) == ([], [], [], [])
        after = {path: path.read_bytes() for path in guide.folder.rglob("*") if path.is_file()}
        assert after == before


def test_a_sentence_that_only_ranks_the_topic_is_no_summary(
    imported: dict[str, Imported], tmp_path: Path
) -> None:
    # "The CIA triad is the foundation of information security.": no answer a learner could give
    security = imported["security"]
    assert "foundation" not in security.notes["CIA Triad"].summary
    assert not security.term_card("CIA Triad")
    notes = _import_text(
        tmp_path,
        "# Networking notes\n\n## OSI model\n\nThe OSI model is a key concept in networking.\n\n"
        "It splits communication into seven layers, from physical to application.\n\n"
        "## Kernel\n\nThe kernel is the core of the operating system.\n\n"
        "## Routing\n\nRouting is one of the most important topics of the exam.\n\n"
        "- **Static routes**: entered by hand on each router by an administrator\n",
    )
    assert notes.notes["OSI model"].summary == (
        "Splits communication into seven layers, from physical to application."
    )
    assert notes.notes["Kernel"].summary == "The core of the operating system."  # says what it is
    assert not notes.term_card("Routing")


NETWORK_TERMS = {  # a table of terms and their definitions, longer than a table of facts may be
    "Latency": "the time a packet takes to travel from source to destination",
    "Jitter": "the variation in delay between packets of one stream",
    "Throughput": "the amount of data actually delivered per second",
    "Bandwidth": "the maximum rate a link can carry",
    "Packet loss": "the share of packets that never arrive",
    "MTU": "the largest packet a link carries without fragmenting it",
    "QoS": "prioritising some traffic over other traffic on a congested link",
}


def test_a_table_of_terms_and_definitions_asks_every_term(tmp_path: Path) -> None:
    rows = "".join(f"| {term} | {meaning} |\n" for term, meaning in NETWORK_TERMS.items())
    notes = _import_text(
        tmp_path,
        "# Networking notes\n\n## Glossary\n\n| Term | Definition |\n|------|------------|\n"
        f"{rows}\n## Topologies\n\n| Topology | Meaning |\n|---|---|\n"
        "| Star | every node connects to one central switch |\n"
        "| Mesh | every node connects to every other node directly |\n| Bus | all nodes share one cable |\n",
    )
    assert asked(notes, "Glossary") == set(NETWORK_TERMS)
    assert len(notes.notes["Glossary"].facts) == len(NETWORK_TERMS)
    assert asked(notes, "Topologies") == {"Star", "Mesh", "Bus"}  # never "Star — Meaning?"
    result = CliRunner().invoke(main, ["check", "--strict", "--source", str(notes.folder)])
    assert result.exit_code == 0 and "warning" not in result.output, result.output


OTHER_SHAPES = """# Security notes

## Social engineering

Social engineering manipulates people into breaking security procedures.

- **Pretexting**
  - Inventing a scenario to obtain information from a target.
- **Baiting**
  - Leaving infected media where a victim will find and use it.

## Physical attacks

*Tailgating*: following an authorised person through a secure door without badging in.

*Shoulder surfing*: watching someone enter a password or PIN over their shoulder.

## Voice and text

> [!definition] Vishing
> Phishing carried out over voice calls, often with a spoofed caller ID.

> [!note] Smishing
> Phishing carried out by SMS text messages to a mobile phone.

> [!tip]
> Both are social engineering over another channel than email.

## Request forgery

- CSRF - cross-site request forgery, which tricks a browser into sending an authenticated request
- SSRF - server-side request forgery, which makes a server fetch an address the attacker chose

## Recovery objectives

RTO - the maximum acceptable time to restore a service after an outage.
RPO - the maximum acceptable amount of data loss, measured in time.
"""


def test_a_glossary_written_without_bold_is_asked_and_never_the_summary(tmp_path: Path) -> None:
    notes = _import_text(tmp_path, OTHER_SHAPES)
    # "- CSRF - cross-site request forgery, which …": no item says what the section is
    assert "CSRF" not in notes.notes["Request forgery"].summary
    assert asked(notes, "Request forgery") == {"CSRF", "SSRF"}
    # one term a line, with no bullet: "RTO - the maximum acceptable time …"
    assert "RTO" not in notes.notes["Recovery objectives"].summary
    assert asked(notes, "Recovery objectives") == {"RTO", "RPO"}


def test_a_term_in_italics_under_a_bullet_or_in_a_callout_is_asked(tmp_path: Path) -> None:
    notes = _import_text(tmp_path, OTHER_SHAPES)
    # "- **Pretexting**" with its definition on the bullet under it
    assert asked(notes, "Social engineering") == {"Pretexting", "Baiting"}
    assert notes.notes["Social engineering"].summary.startswith("Manipulates people")
    # "*Tailgating*: following …": a term in italics, never the section's summary
    assert asked(notes, "Physical attacks") == {"Tailgating", "Shoulder surfing"}
    assert "Tailgating" not in notes.notes["Physical attacks"].summary
    # an Obsidian callout titled by a term and saying what it is; a tip's title is no term
    assert asked(notes, "Voice and text") == {"Vishing", "Smishing"}
    result = CliRunner().invoke(main, ["check", "--strict", "--source", str(notes.folder)])
    assert result.exit_code == 0 and "warning" not in result.output, result.output


def test_a_bold_term_on_its_own_line_above_its_definition_is_asked_and_an_emoji_is_no_part_of_a_title(
    tmp_path: Path,
) -> None:
    notes = _import_text(
        tmp_path,
        "# Security notes\n\n## 🔐 Malware\n\nMalware is software written to harm a system or its users.\n\n"
        "**Rootkit**\nA set of tools that hides an attacker's presence at the kernel level.\n\n"
        "**Keylogger**\nsoftware that records every key a user presses and sends it on.\n\n"
        "**Ports**\nSSH listens on 22 and HTTPS on 443 by default on most servers.\n",
    )
    assert "Malware" in notes.notes  # "🔐 Malware": the emoji is decoration
    assert asked(notes, "Malware") == {"Rootkit", "Keylogger"}  # "**Ports**" heads a remark: no term
    assert notes.notes["Malware"].summary == "Software written to harm a system or its users."


def test_a_label_in_bold_or_italics_defines_no_term(tmp_path: Path) -> None:
    notes = _import_text(
        tmp_path,
        "# Security notes\n\n## Hashing\n\nA hash is a one-way function producing a fixed-length digest.\n\n"
        "*Explanation*: the same input always gives the same digest, so a changed file is noticed.\n\n"
        "**Reason**: attackers cannot work back from the digest to the password.\n\n"
        "*Optional*: read the NIST guidance on approved hash functions for the exam.\n\n"
        "**Salting** adds random data to a password before it is hashed.\n",
    )
    assert asked(notes, "Hashing") == {"Salting"}


def test_two_definitions_of_one_term_read_as_two_sentences(tmp_path: Path) -> None:
    notes = _import_text(
        tmp_path,
        "# Sec\n\n## Malware types\n\nVirus\n: Malicious code that attaches to a host file.\n"
        ": Needs a user to run the host.\n\nWorm\n: Spreads by itself across a network\n"
        ": needs no host file\n\nTrojan\n: Looks legitimate but hides a malicious payload.\n",
    )
    body = notes.notes["Malware types"].body
    assert "**Virus**: Malicious code that attaches to a host file. Needs a user to run the host." in body
    assert "**Worm**: Spreads by itself across a network; needs no host file" in body  # no full stop: joined
    assert ".;" not in body


def test_a_bold_term_alone_on_a_bullet_is_never_the_section_s_summary(tmp_path: Path) -> None:
    notes = _import_text(
        tmp_path,
        "# Net\n\n## Routing\n\n- **Static routing**\n  - Routes configured by hand by an administrator.\n"
        "- **Dynamic routing**\n  - Routers learn routes from each other.\n\n## Switching\n\n"
        "Switches forward frames by MAC address.\n",
    )
    routing = notes.notes["Routing"]
    assert "Static routing" not in routing.summary  # a term defined under it, not what routing is
    assert {"Static routing", "Dynamic routing"} <= asked(notes, "Routing")
