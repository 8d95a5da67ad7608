#!/usr/bin/env python3
"""Re-run the attacks of the hardening rounds black-box, through the real CLI, on scratch folders, and
print held / degraded / failed per attack.

    .venv/bin/python bench/attack_bench.py              # every attack
    .venv/bin/python bench/attack_bench.py label lock   # only attacks whose name holds one of these words
    .venv/bin/python bench/attack_bench.py --jobs 1     # one at a time (default: 2 side by side)

Each attack builds its own scratch folder under a temporary directory, runs `build.py` as a learner would
(a subprocess, exit status and output read back), then looks at what came out: the `.apkg`'s cards as Anki
renders them (imported into a scratch collection, parsed with html5lib), the grid's HTML and CSV, the PDFs'
text and links (pypdf), the notes folder's bytes, the lock. `held` = refused with a clear message, or made
data; `degraded` = nothing run or lost but the message is poor (a traceback, no file named, a silent skip);
`failed` = markup runs, a secret is read, an edit or a review is lost, or the command hangs.

The numbers in the names are the items of the round they come from (criticals 1-7, majors 8-11, minors
12-13, `d-` for the degraded list); `v-` are variants: the same attack through another door.
Offline; needs the `anki` extra (as sync does) and Node is not needed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import html5lib
import yaml

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BUILD = str(ROOT / "build.py")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETKEYb3BlbnNzaC1rZXktdjEAAAAA\n"
    "-----END OPENSSH PRIVATE KEY-----\n"
)
HELD, DEGRADED, FAILED = "held", "degraded", "failed"
OWN_SCRIPT = "/* cheatdeck: kind colours */"


@dataclass
class Outcome:
    result: str
    detail: str


@dataclass(frozen=True)
class Run:
    code: int
    output: str

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.output or "internal error" in self.output


def cli(*arguments: str | Path, cwd: Path, timeout: float = 120, fsize: int | None = None) -> Run:
    """Run build.py as a learner would; a hang is exit status -9 with 'TIMEOUT' in the output."""

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    env = {**os.environ, "SOURCE_DATE_EPOCH": "1795000000", "ANKI_BASE": str(cwd / "no-anki")}
    try:
        done = subprocess.run(
            check=False,
            args=[PYTHON, BUILD, *map(str, arguments)],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            preexec_fn=limit,
        )
    except subprocess.TimeoutExpired as expired:
        return Run(-9, f"TIMEOUT after {timeout} s\n{expired.stdout or ''}{expired.stderr or ''}")
    return Run(done.returncode, done.stdout + done.stderr)


NOTES = [
    {"id": "alpha", "title": "Alpha", "kind": "concept", "summary": "First letter of the alphabet."},
    {"id": "beta", "title": "Beta", "kind": "concept", "summary": "Second letter of the alphabet."},
    {
        "id": "s3",
        "title": "Amazon S3",
        "kind": "service",
        "summary": "Object storage that scales.",
        "use_case": "keep any number of files durably",
        "facts": ["S3 keeps ==eleven nines== of durability", {"q": "Bucket names?", "a": "globally unique"}],
    },
]


def notes_folder(
    where: Path, deck: dict[str, Any] | None = None, notes: list[dict[str, Any]] | None = None
) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "deck.yaml").write_text(
        yaml.safe_dump({"id": "atk", "title": "Attack deck", **(deck or {})}, allow_unicode=True), "utf-8"
    )
    (where / "notes.yaml").write_text(
        yaml.safe_dump({"notes": NOTES if notes is None else notes}, allow_unicode=True), "utf-8"
    )
    return where


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"


def tree_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink())


# --- what came out -----------------------------------------------------------------------------------------

_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:text", "file:")


def live_markup(html: str, allow_own_script: bool = True) -> list[str]:
    """What in an HTML document would run or fetch: scripts (but the note type's own), on* handlers,
    javascript:/vbscript:/file: URLs, frames, objects; and elements an attacker names (`atk-*`)."""
    found = []
    document = html5lib.parse(html, namespaceHTMLElements=False)
    for element in document.iter():
        tag = str(element.tag).lower()
        if tag == "script" and not (allow_own_script and OWN_SCRIPT in (element.text or "")):
            found.append(f"<script>{(element.text or '')[:40]!r}")
        if tag in {"iframe", "object", "embed", "atk"} or tag.startswith("atk"):
            found.append(f"<{tag}>")
        for raw_name, value in element.attrib.items():
            name = str(raw_name).lower()
            if name.startswith("on") or name.startswith("data-atk"):
                found.append(f"{tag} {name}={value!r}")
            squeezed = re.sub(r"[\x00-\x20]", "", str(value)).lower()
            if name in _URL_ATTRS and squeezed.startswith(_BAD_SCHEMES):
                found.append(f"{tag} {name}={value!r}")
            if tag == "img" and name == "src" and value in {"x", "/etc/passwd"}:
                found.append(f"img src={value!r}")
    return found


def apkg_cards(package: Path, scratch: Path) -> list[tuple[str, str]]:
    """Every card's question and answer as Anki renders them, from a scratch collection."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    scratch.mkdir(parents=True, exist_ok=True)
    col = Collection(str(scratch / "collection.anki2"))
    try:
        request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
        col.import_anki_package(request)
        cards = []
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            cards.append((card.question(), card.answer()))
        return cards
    finally:
        col.close()


def apkg_findings(package: Path, scratch: Path) -> list[str]:
    found: list[str] = []
    for question, answer in apkg_cards(package, scratch):
        found += live_markup(question) + live_markup(answer)
    return found


def pdf_text_and_links(pdf: Path) -> tuple[str, list[str]]:
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    text = "".join(page.extract_text() or "" for page in reader.pages)
    links = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None:
                action = action.get_object()
                links.append(str(action.get("/URI") or action.get("/S")))
        if "/AA" in page:
            links.append("page /AA")
    root = reader.trailer["/Root"]
    if "/OpenAction" in root or "/AA" in root or "/JavaScript" in (root.get("/Names") or {}):
        links.append("document action")
    return text, links


def bad_links(links: list[str]) -> list[str]:
    return [link for link in links if not re.match(r"(https?|mailto):", link.strip(), re.I)]


def verdict(found: list[str], run: Run, what: str) -> Outcome:
    if found:
        return Outcome(FAILED, f"{what}: {found[:3]}")
    if run.traceback or run.code not in (0, 1):
        return Outcome(DEGRADED, f"exit {run.code}: {run.output.strip()[-200:]}")
    return Outcome(HELD, f"exit {run.code}; {what} clean")


# --- the attacks ------------------------------------------------------------------------------------------

ATTACKS: dict[str, Callable[[Path], Outcome]] = {}


def attack(name: str) -> Callable[[Callable[[Path], Outcome]], Callable[[Path], Outcome]]:
    def register(function: Callable[[Path], Outcome]) -> Callable[[Path], Outcome]:
        ATTACKS[name] = function
        return function

    return register


def _label_attack(tmp: Path, label: str, artefacts: tuple[str, ...] = ("deck",)) -> Outcome:
    kinds = [{"name": "drug", "colour": "#0b7285", "label": label, "fields": ["use_case"]}]
    notes = [
        {
            "id": "aspirin",
            "title": "Aspirin",
            "kind": "drug",
            "summary": "Thins the blood.",
            "use_case": "a headache",
            "facts": ["Aspirin is ==acetylsalicylic acid=="],
        },
        {
            "id": "ibuprofen",
            "title": "Ibuprofen",
            "kind": "drug",
            "summary": "Eases pain.",
            "related": [{"id": "aspirin", "difference": "ibuprofen is gentler on the stomach"}],
        },
    ]
    source = notes_folder(tmp / "notes", {"kinds": kinds}, notes)
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        tmp / "dist",
        *[a for x in artefacts for a in ("--artefact", x)],
        cwd=tmp,
    )
    found: list[str] = []
    if "deck" in artefacts and (tmp / "dist" / "atk.apkg").exists():
        found += apkg_findings(tmp / "dist" / "atk.apkg", tmp / "anki")
    if "grid" in artefacts and (tmp / "dist" / "grid.html").exists():
        found += live_markup((tmp / "dist" / "grid.html").read_text("utf-8"), allow_own_script=False)
    for pdf in ("cheatsheet.pdf", "flashcards.pdf"):
        if (tmp / "dist" / pdf).exists():
            text, links = pdf_text_and_links(tmp / "dist" / pdf)
            found += [f"{pdf} link {link}" for link in bad_links(links)]
            if "<img" not in text and "img src" not in text.replace("\n", " ") and "<" in label:
                found.append(f"{pdf}: the label's markup is not printed as text")
    if run.code != 0:
        found.append(f"the build refused a valid deck: {run.output.strip()[-160:]}")
    return verdict(found, run, "cards/outputs")


@attack("1 kind label <img onerror> on cards")
def a1(tmp: Path) -> Outcome:
    return _label_attack(tmp, "<img src=x onerror=alert(1)>")


@attack("1b kind label <script> on cards")
def a1b(tmp: Path) -> Outcome:
    return _label_attack(tmp, "<script>alert(1)</script>")


@attack("2 kind label attribute break-out")
def a2(tmp: Path) -> Outcome:
    return _label_attack(tmp, 'x" onmouseover="alert(1)" data-atk="')


@attack("2b kind label entity break-out (Anki text: decodes)")
def a2b(tmp: Path) -> Outcome:
    return _label_attack(tmp, "x&quot; onmouseover=&quot;alert(1)&quot; data-atk=&quot;")


@attack("v kind label markup -> flashcards PDF")
def v_label_flashcards(tmp: Path) -> Outcome:
    return _label_attack(tmp, "<img src=/etc/passwd onerror=alert(1)>", ("flashcards",))


@attack("v kind label markup -> grid HTML + sheet PDF")
def v_label_grid(tmp: Path) -> Outcome:
    return _label_attack(tmp, '<img src=x onerror=alert(1)>" onmouseover="alert(1)', ("grid", "sheet"))


def _lock_edit(tmp: Path, edit: Callable[[dict[str, Any]], None]) -> tuple[Path, Run]:
    source = notes_folder(tmp / "notes")
    first = cli("build", "--source", source, "--out", tmp / "dist", "--artefact", "deck", cwd=tmp)
    assert first.code == 0, first.output
    # retire beta: its row keeps its fields
    notes_folder(tmp / "notes", notes=[n for n in NOTES if n["id"] != "beta"])
    second = cli("build", "--source", source, "--out", tmp / "dist", "--artefact", "deck", cwd=tmp)
    assert second.code == 0, second.output
    lock_path = source / "cheatdeck.lock.json"
    lock = json.loads(lock_path.read_text("utf-8"))
    edit(lock)
    lock_path.write_text(json.dumps(lock), "utf-8")
    return source, cli(
        "build", "--source", source, "--out", tmp / "dist", "--artefact", "deck", "--force", cwd=tmp
    )


@attack("2c hand-edited lock: a retired note's fields with markup")
def a2c(tmp: Path) -> Outcome:
    def edit(lock: dict[str, Any]) -> None:
        for row in lock["notes"].values():
            if row["state"] == "retired" and row["fields"]:
                row["fields"] = [
                    "<img src=x onerror=alert(1)>" if i != 1 else 'x" onmouseover="alert(1)" data-atk="'
                    for i, _ in enumerate(row["fields"])
                ]
                row["fields"][-1] = "beta"

    _, run = _lock_edit(tmp, edit)
    found = apkg_findings(tmp / "dist" / "atk.apkg", tmp / "anki") if run.code == 0 else []
    return verdict(found, run, "retired note's cards")


@attack("13 lock: an unknown card name")
def a13(tmp: Path) -> Outcome:
    def edit(lock: dict[str, Any]) -> None:
        for row in lock["notes"].values():
            if row["state"] == "active":
                row["cards"] = [*row["cards"], "bogus"]
                break

    _, run = _lock_edit(tmp, edit)
    if run.traceback:
        return Outcome(DEGRADED, run.output.strip()[-200:])
    if run.code == 1 and "lock" in run.output and "bogus" in run.output:
        return Outcome(HELD, run.output.strip().splitlines()[0][:160])
    return Outcome(FAILED, f"exit {run.code}: {run.output.strip()[-160:]}")


@attack("13b lock: newest mod 2^31-2, then a build")
def a13b(tmp: Path) -> Outcome:
    def edit(lock: dict[str, Any]) -> None:
        for row in lock["notes"].values():
            row["mod"] = 2**31 - 2

    source, run = _lock_edit(tmp, edit)
    notes_folder(tmp / "notes", notes=[{**NOTES[0], "summary": "Changed."}, *NOTES[2:]])
    again = cli("build", "--source", source, "--out", tmp / "dist", "--artefact", "deck", cwd=tmp)
    third = cli("check", "--source", source, cwd=tmp)
    if any(r.traceback for r in (run, again, third)):
        return Outcome(DEGRADED, (run.output + again.output + third.output).strip()[-200:])
    if again.code == 0 and third.code != 0:
        return Outcome(FAILED, f"build wrote a lock check then refuses: {third.output.strip()[-160:]}")
    return Outcome(HELD, f"build {run.code}/{again.code}, check {third.code}: {run.output.strip()[:100]}")


@attack("v hand-edited lock: deck name / title with markup")
def v_lock_title(tmp: Path) -> Outcome:
    def edit(lock: dict[str, Any]) -> None:
        lock["title"] = "<img src=x onerror=alert(1)>"
        for row in lock["notes"].values():
            row["deck"] = "<script>alert(1)</script>"
            row["tags"] = ['"><img src=x onerror=alert(1)>']

    _, run = _lock_edit(tmp, edit)
    found = apkg_findings(tmp / "dist" / "atk.apkg", tmp / "anki") if run.code == 0 else []
    return verdict(found, run, "cards")


# --- import ------------------------------------------------------------------------------------------------


def _home(tmp: Path) -> Path:
    home = tmp / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(KEY)
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = SECRETAWS\n")
    (home / "paper.pdf").write_bytes(b"%PDF-1.7\nSECRETPDF\n")
    (home / "fake.png").write_text(KEY)
    (home / "real.png").write_bytes(PNG)
    (tmp / "outside.png").write_bytes(PNG + b"SECRETOUTSIDE")
    (home / "link.png").symlink_to(tmp / "outside.png")
    return home


def _secrets_under(folder: Path) -> list[str]:
    everything = tree_bytes(folder) if folder.exists() else b""
    return [
        s
        for s in ("SECRETKEY", "SECRETAWS", "SECRETPDF", "SECRETOUTSIDE", "SECRETVAULT")
        if s.encode() in everything
    ]


@attack("3 import HTML copies files beside the guide into media")
def a3(tmp: Path) -> Outcome:
    home = _home(tmp)
    sources = [
        ".ssh/id_rsa",
        ".aws/credentials",
        "paper.pdf",
        "fake.png",
        "link.png",
        "../outside.png",
        str(tmp / "outside.png"),
        f"file://{home}/.ssh/id_rsa",
        "real.png",
    ]
    imgs = "".join(f'<p>Pic {i}: <img src="{s}" alt="pic{i}"></p>' for i, s in enumerate(sources))
    (home / "page.html").write_text(
        f"<html><body><h1>Guide</h1><h2>Topic</h2><p>Topic is a thing.</p>{imgs}</body></html>"
    )
    run = cli("import", home / "page.html", "--into", tmp / "notes", cwd=tmp)
    check = cli("build", "--source", tmp / "notes", "--out", tmp / "dist", "--artefact", "deck", cwd=tmp)
    found = _secrets_under(tmp / "notes") + _secrets_under(tmp / "dist")
    if found:
        return Outcome(FAILED, f"secrets copied: {found}")
    if run.traceback or check.traceback:
        return Outcome(DEGRADED, (run.output + check.output)[-200:])
    if "real" not in "".join(p.name for p in (tmp / "notes").rglob("*")):
        return Outcome(DEGRADED, "the real picture was not kept either")
    return Outcome(HELD, f"import {run.code}, build {check.code}; only the picture kept")


@attack("3b import Markdown guide: images outside / hidden / not pictures")
def a3b(tmp: Path) -> Outcome:
    home = _home(tmp)
    pics = [
        "![k](.ssh/id_rsa)",
        "![c](.aws/credentials)",
        "![p](paper.pdf)",
        "![f](fake.png)",
        "![l](link.png)",
        "![o](../outside.png)",
        f"![a]({tmp}/outside.png)",
        '<img src=".ssh/id_rsa">',
        "![r](real.png)",
    ]
    (home / "guide.md").write_text("# Guide\n\n## Topic\n\nTopic is a thing.\n\n" + "\n\n".join(pics) + "\n")
    run = cli("import", home / "guide.md", "--into", tmp / "notes", cwd=tmp)
    found = _secrets_under(tmp / "notes")
    if found:
        return Outcome(FAILED, f"secrets copied: {found}")
    return verdict([], run, "notes folder")


@attack("v import Obsidian vault: ![[../../secret]] embeds, symlinks, wikilinks with markup")
def v_vault(tmp: Path) -> Outcome:
    (tmp / "secret.png").write_bytes(PNG + b"SECRETVAULT")
    (tmp / "secret.md").write_text("# Secret\n\nSECRETVAULT text\n")
    vault = tmp / "a" / "vault"
    vault.mkdir(parents=True)
    (vault / "note.md").write_text(
        "# Note\n\nNote is a thing. ![[../../secret.png]] ![[../../secret]] ![[/etc/passwd]]\n\n"
        "See [[Other|<img src=x onerror=alert(1)>]] and [[<script>alert(1)</script>]] and "
        "[x](javascript:alert(1)) [y]( JAVASCRIPT:alert(1)) [z](data:text/html,<script>alert(1)</script>) "
        "[w](vbscript:msgbox) [f](file:///etc/passwd)\n"
    )
    (vault / "Other.md").write_text("# Other\n\nOther is another thing.\n")
    (vault / "key.md").symlink_to(tmp / "secret.md")
    (vault / "loop.md").symlink_to(vault / "loop.md")
    (vault / "dangling.md").symlink_to(tmp / "nowhere.md")
    run = cli("import", vault, "--into", tmp / "notes", cwd=tmp)
    found = [f"secret {s}" for s in _secrets_under(tmp / "notes")]
    text = tree_bytes(tmp / "notes").decode("utf-8", "replace") if (tmp / "notes").exists() else ""
    for scheme in ("javascript:", "vbscript:", "data:text", "file:"):
        if scheme in text.lower().replace(" ", ""):
            found.append(f"kept a {scheme} link")
    build = cli(
        "build",
        "--source",
        tmp / "notes",
        "--out",
        tmp / "dist",
        "--artefact",
        "deck",
        "--artefact",
        "grid",
        "--artefact",
        "sheet",
        cwd=tmp,
    )
    if (tmp / "dist" / "grid.html").exists():
        found += live_markup((tmp / "dist" / "grid.html").read_text("utf-8"), allow_own_script=False)
    apkg = next((tmp / "dist").glob("*.apkg"), None)
    if apkg:
        found += apkg_findings(apkg, tmp / "anki")
    if found:
        return Outcome(FAILED, str(found[:4]))
    said = run.output
    silent = [n for n in ("key.md", "loop.md", "dangling.md") if n not in said]
    if run.traceback or build.traceback or build.code != 0 or silent:
        return Outcome(
            DEGRADED,
            f"import {run.code} build {build.code}; links not named: {silent}; {build.output[-150:]}",
        )
    return Outcome(HELD, "no secret, no live markup, skipped links named")


@attack("4 folder import follows .md symlinks out")
def a4(tmp: Path) -> Outcome:
    (tmp / "home" / ".ssh").mkdir(parents=True)
    (tmp / "home" / ".ssh" / "id_rsa").write_text(KEY)
    vault = tmp / "vault"
    vault.mkdir()
    (vault / "real.md").write_text("# Real\n\nReal is a thing.\n")
    (vault / "key.md").symlink_to(tmp / "home" / ".ssh" / "id_rsa")
    (vault / "loop.md").symlink_to(vault / "loop.md")
    (vault / "dangling.md").symlink_to(tmp / "gone.md")
    run = cli("import", vault, "--into", tmp / "notes", cwd=tmp)
    if _secrets_under(tmp / "notes"):
        return Outcome(FAILED, "the key became a note")
    silent = [n for n in ("key.md", "loop.md", "dangling.md") if n not in run.output]
    if silent or run.traceback:
        return Outcome(DEGRADED, f"skipped without a word: {silent}")
    return Outcome(HELD, f"exit {run.code}; all three named")


def _guide(notes: int, marker: str = "") -> str:
    return "# Guide\n\n" + "".join(
        f"## Topic {i}\n\nTopic {i} is thing number {i}{marker}.\n\n" for i in range(notes)
    )


def _edit_first_notes_file(notes: Path) -> tuple[Path, str]:
    files = sorted(p for p in notes.glob("*.md"))
    target = files[0]
    text = target.read_text("utf-8")
    edited = re.sub(r"(?i)thing number 0\b", "thing number 0 LEARNER-EDIT", text, count=1)
    assert edited != text, text[:300]
    target.write_text(edited, "utf-8")
    return target, "LEARNER-EDIT"


@attack("6 import rewrite killed -9 (6 trials)")
def a6(tmp: Path) -> Outcome:
    guide = tmp / "guide.md"
    losses = []
    for trial in range(6):
        notes = tmp / f"notes{trial}"
        guide.write_text(_guide(40))
        assert cli("import", guide, "--into", notes, cwd=tmp).code == 0
        target, edit = _edit_first_notes_file(notes)
        guide.write_text(_guide(40, " (revised)"))
        process = subprocess.Popen(
            [PYTHON, BUILD, "import", str(guide), "--into", str(notes)],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.9 + 0.15 * trial)
        process.send_signal(signal.SIGKILL)
        process.wait()
        cli("import", guide, "--into", notes, cwd=tmp)  # the next import rolls back / finishes
        text = target.read_text("utf-8") if target.exists() else ""
        if edit not in text or text.count("## ") < 1:
            losses.append(f"trial {trial}: {len(text)} bytes, edit kept: {edit in text}")
    if losses:
        return Outcome(FAILED, "; ".join(losses[:3]))
    return Outcome(HELD, "6 kills, the learner's edit and the file whole every time")


@attack("6b import on a full disk (write limit)")
def a6b(tmp: Path) -> Outcome:
    guide = tmp / "guide.md"
    guide.write_text(_guide(40))
    notes = tmp / "notes"
    assert cli("import", guide, "--into", notes, cwd=tmp).code == 0
    target, edit = _edit_first_notes_file(notes)
    before = tree_bytes(notes)
    guide.write_text(_guide(40, " (revised and much longer) " * 3))
    run = cli("import", guide, "--into", notes, cwd=tmp, fsize=1500)
    text = target.read_text("utf-8")
    if edit not in text or (tree_bytes(notes) != before and run.code != 0):
        return Outcome(
            FAILED, f"exit {run.code}; notes folder changed by a failed import; edit kept: {edit in text}"
        )
    if run.traceback or run.code == 0:
        return Outcome(DEGRADED, f"exit {run.code}: {run.output[-160:]}")
    return Outcome(HELD, run.output.strip().splitlines()[-1][:160])


@attack("7 a note id twice in a notes file, re-import")
def a7(tmp: Path) -> Outcome:
    guide = tmp / "guide.md"
    guide.write_text(_guide(3))
    notes = tmp / "notes"
    assert cli("import", guide, "--into", notes, cwd=tmp).code == 0
    target = sorted(notes.glob("*.md"))[0]
    text = target.read_text("utf-8")
    # duplicate the whole file's notes once more, the first copy edited
    edited = re.sub(r"(?i)thing number 0\b", "thing number 0 LEARNER-EDIT", text, count=1)
    body = edited.split("\n## ", 1)
    doubled = edited + "\n## " + text.split("\n## ", 1)[1] if len(body) == 2 else edited + text
    target.write_text(doubled, "utf-8")
    before = tree_bytes(notes)
    run = cli("import", guide, "--into", notes, cwd=tmp)
    if "LEARNER-EDIT" not in target.read_text("utf-8"):
        return Outcome(FAILED, f"the edited copy is gone: {run.output[-160:]}")
    if run.code == 0 and tree_bytes(notes) != before:
        return Outcome(DEGRADED, f"exit 0 and rewrote: {run.output[-160:]}")
    if run.traceback:
        return Outcome(DEGRADED, run.output[-160:])
    return Outcome(HELD, f"exit {run.code}: {run.output.strip().splitlines()[-1][:140]}")


# --- sync ---------------------------------------------------------------------------------------------------


def _collection(path: Path) -> Path:
    from anki.collection import Collection

    Collection(str(path)).close()
    return path


@attack("5 sync --keep-anki on a note whose note type the learner changed")
def a5(tmp: Path) -> Outcome:
    from anki.collection import Collection
    from anki.models import ChangeNotetypeRequest

    source = notes_folder(tmp / "notes")
    path = _collection(tmp / "collection.anki2")
    first = cli("sync", "--source", source, "--collection", path, "--out", tmp / "dist", "--yes", cwd=tmp)
    if first.code != 0:
        return Outcome(DEGRADED, f"first sync: {first.output[-200:]}")
    col = Collection(str(path))
    try:
        nid = next(n for n in col.find_notes('"Source id:alpha"'))
        note = col.get_note(nid)
        for cid in note.card_ids():
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 3)
        old = note.note_type()
        basic = col.models.by_name("Basic")
        assert old and basic
        col.models.change_notetype_of_notes(
            ChangeNotetypeRequest(
                note_ids=[nid],
                new_fields=[0, 2],
                new_templates=[0],
                old_notetype_id=old["id"],
                new_notetype_id=basic["id"],
                current_schema=col.db.scalar("select scm from col") if col.db else 0,
                old_notetype_name=old["name"],
                is_cloze=False,
            )
        )
        fields, cards = list(col.get_note(nid).fields), col.get_note(nid).card_ids()
        reviews = col.db.scalar("select count() from revlog") if col.db else 0
    finally:
        col.close()
    outcomes = []
    for keep in ("--keep-anki", "--keep-source"):
        run = cli(
            "sync", "--source", source, "--collection", path, "--out", tmp / "dist", "--yes", keep, cwd=tmp
        )
        col = Collection(str(path))
        try:
            try:
                after = col.get_note(nid)
            except Exception:
                return Outcome(FAILED, f"{keep}: the note is gone: {run.output[-160:]}")
            if list(after.fields) != fields or after.card_ids() != cards:
                return Outcome(FAILED, f"{keep}: fields {list(after.fields)} cards {after.card_ids()}")
            if (col.db.scalar("select count() from revlog") if col.db else 0) != reviews:
                return Outcome(FAILED, f"{keep}: reviews lost")
        finally:
            col.close()
        outcomes.append(run)
    if any(r.traceback or "note type" not in r.output for r in outcomes):
        return Outcome(DEGRADED, outcomes[0].output[-200:])
    return Outcome(
        HELD,
        "note, cards and reviews kept; "
        + next((line for line in outcomes[0].output.splitlines() if "note type" in line), "")[:120],
    )


@attack("10 sync --collection on a 0-byte / foreign SQLite file (and --dry-run)")
def a10(tmp: Path) -> Outcome:
    source = notes_folder(tmp / "notes")
    bad = []
    for make in ("empty", "foreign", "text"):
        for dry in (True, False):
            path = tmp / f"{make}-{dry}" / "collection.anki2"
            path.parent.mkdir()
            if make == "empty":
                path.write_bytes(b"")
            elif make == "text":
                path.write_text("hello")
            else:
                with sqlite3.connect(path) as db:
                    db.execute("create table photos (id integer primary key, name text)")
                db.close()
            before = sha(path)
            run = cli(
                "sync",
                "--source",
                source,
                "--collection",
                path,
                "--out",
                tmp / "dist",
                "--yes",
                *(["--dry-run"] if dry else []),
                cwd=tmp,
            )
            if sha(path) != before or len(list(path.parent.iterdir())) != 1:
                bad.append(f"{make} dry={dry}: file changed or files added")
            elif run.code == 0 or run.traceback:
                bad.append(f"{make} dry={dry}: exit {run.code} {run.output[-80:]}")
    if any("changed" in b for b in bad):
        return Outcome(FAILED, "; ".join(bad[:3]))
    if bad:
        return Outcome(DEGRADED, "; ".join(bad[:3]))
    return Outcome(HELD, "six files refused byte for byte")


@attack("d sync on a collection failing the integrity check")
def d_integrity(tmp: Path) -> Outcome:
    source = notes_folder(tmp / "notes")
    (tmp / "c").mkdir()
    path = _collection(tmp / "c" / "collection.anki2")
    assert cli("sync", "--source", source, "--collection", path, "--out", tmp / "dist", cwd=tmp).code == 0

    def unicase(db: sqlite3.Connection) -> sqlite3.Connection:
        db.create_collation(
            "unicase", lambda a, b: (a.casefold() > b.casefold()) - (a.casefold() < b.casefold())
        )
        return db

    db = unicase(sqlite3.connect(path))  # the notes table and one index out of step, as a damaged disk leaves
    db.execute("pragma journal_mode = delete")
    sql, rootpage = db.execute(
        "select sql, rootpage from sqlite_master where name = 'ix_notes_csum'"
    ).fetchone()
    db.execute("pragma writable_schema = on")
    db.execute("delete from sqlite_master where name = 'ix_notes_csum'")
    db.commit()
    db.close()
    db = unicase(sqlite3.connect(path))
    db.execute("update notes set csum = csum + 1")
    db.commit()
    db.execute("pragma writable_schema = on")
    db.execute(
        "insert into sqlite_master (type, name, tbl_name, rootpage, sql) values ('index', 'ix_notes_csum', "
        "'notes', ?, ?)",
        (rootpage, sql),
    )
    db.commit()
    db.close()
    db = unicase(sqlite3.connect(path))
    ok = db.execute("pragma integrity_check").fetchone()[0]
    db.close()
    notes_folder(tmp / "notes", notes=NOTES[1:])
    before = path.read_bytes()[
        100:
    ]  # past SQLite's header (journal mode, change counter: any open sets them)
    run = cli("sync", "--source", source, "--collection", path, "--out", tmp / "dist", "--yes", cwd=tmp)
    if ok == "ok":
        return Outcome(HELD if run.code == 0 else DEGRADED, "(could not damage the file; sync ran)")
    if run.code == 0 or path.read_bytes()[100:] != before:
        return Outcome(FAILED, f"exit {run.code}; pages changed: {path.read_bytes()[100:] != before}")
    return verdict([], run, "collection untouched")


# --- watch --------------------------------------------------------------------------------------------------


@attack("8 watch builds a half-saved file")
def a8(tmp: Path) -> Outcome:
    many = [
        {"id": f"n{i}", "title": f"Note {i}", "kind": "concept", "summary": f"Note number {i}."}
        for i in range(31)
    ]
    source = notes_folder(tmp / "notes", notes=many)
    out = tmp / "dist"
    assert cli("build", "--source", source, "--out", out, "--artefact", "deck", cwd=tmp).code == 0
    lock_before = json.loads((source / "cheatdeck.lock.json").read_text())
    process = subprocess.Popen(
        [PYTHON, BUILD, "watch", "--source", str(source), "--out", str(out), "--artefact", "deck"],
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(4)
        text = (source / "notes.yaml").read_bytes()
        with open(source / "notes.yaml", "wb") as file:  # an editor that truncates, then writes
            file.flush()
            time.sleep(0.1)
            file.write(text[: len(text) // 2])
            file.flush()
            time.sleep(0.1)
            file.write(text[len(text) // 2 :])
        time.sleep(5)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    lock_after = json.loads((source / "cheatdeck.lock.json").read_text())
    moved = [
        k
        for k, row in lock_after["notes"].items()
        if (lock_before["notes"].get(k) or {}).get("mod") != row.get("mod") or row["state"] != "active"
    ]
    if moved:
        return Outcome(FAILED, f"{len(moved)} notes retired or re-dated: {output[-160:]}")
    return Outcome(HELD, f"no note retired or re-dated ({len(lock_after['notes'])} notes)")


# --- caches -------------------------------------------------------------------------------------------------


FORMULAS = [
    {
        "id": "precision",
        "title": "Precision",
        "kind": "metric",
        "summary": "Share of positives that are right.",
        "formula": "Precision = TP / (TP + FP)",
    },
    {
        "id": "recall",
        "title": "Recall",
        "kind": "metric",
        "summary": "Share of real positives found.",
        "formula": "Recall = TP / (TP + FN)",
    },
]


# A sheet is laid out in cached parts (pages of notes) from PARTS_FROM notes (cheatdeck/sheet/document.py)
MANY = [
    {"id": f"filler-{i}", "title": f"Filler {i}", "kind": "concept", "summary": f"Filler note {i}."}
    for i in range(125)
]


def _built_sheet(tmp: Path) -> tuple[Path, Path, Path]:
    source = notes_folder(tmp / "notes", notes=[*NOTES, *FORMULAS, *MANY])
    out = tmp / "dist"
    first = cli("build", "--source", source, "--out", out, "--artefact", "sheet", cwd=tmp)
    assert first.code == 0, first.output
    return source, out, out / ".cheatdeck-cache" / "sheet"


def _cache_attack(
    tmp: Path, spoil: Callable[[Path], None], force: bool = False, timeout: float = 60
) -> Outcome:
    source, out, cache = _built_sheet(tmp)
    for part in sorted(cache.glob("*.pdf"))[:1]:
        spoil(part)
    notes_folder(tmp / "notes", notes=[{**NOTES[0], "title": "Alpha changed"}, *NOTES[1:], *FORMULAS, *MANY])
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        out,
        "--artefact",
        "sheet",
        *(["--force"] if force else []),
        cwd=tmp,
        timeout=timeout,
    )
    if run.code == -9:
        return Outcome(FAILED, "the build hangs")
    if run.code != 0:
        return Outcome(FAILED if not run.traceback else DEGRADED, f"exit {run.code}: {run.output[-200:]}")
    _, links = pdf_text_and_links(out / "cheatsheet.pdf")
    if bad_links(links):
        return Outcome(FAILED, f"joined: {bad_links(links)}")
    lines = run.output.strip().splitlines()
    said = next((line for line in lines if ".cheatdeck-cache" in line), lines[0])
    named = force or ".cheatdeck-cache" in said
    return Outcome(HELD if named else DEGRADED, said[-170:])


def _spoil_all(spoil: Callable[[Path], None]) -> Callable[[Path], None]:
    def each(part: Path) -> None:
        for other in sorted(part.parent.iterdir()):
            spoil(other)

    return each


def _replace(part: Path, make: Callable[[Path], None]) -> None:
    part.unlink()
    make(part)


@attack("11 a named pipe in the sheet cache")
def a11(tmp: Path) -> Outcome:
    return _cache_attack(tmp, _spoil_all(lambda p: _replace(p, os.mkfifo)), timeout=40)


@attack("11b a symlink to /dev/zero in the sheet cache")
def a11b(tmp: Path) -> Outcome:
    return _cache_attack(
        tmp, _spoil_all(lambda p: _replace(p, lambda q: q.symlink_to("/dev/zero"))), timeout=40
    )


@attack("12 a forged part (garbage PDF) in the sheet cache")
def a12(tmp: Path) -> Outcome:
    return _cache_attack(
        tmp,
        _spoil_all(lambda p: p.write_bytes(b"%PDF-1.7\n garbage" if p.suffix == ".pdf" else p.read_bytes())),
    )


@attack("12b a deeply nested part record")
def a12b(tmp: Path) -> Outcome:
    return _cache_attack(
        tmp, _spoil_all(lambda p: p.write_text("[" * 200000 + "]" * 200000) if p.suffix == ".json" else None)
    )


@attack("12c a deeply nested formulas.json")
def a12c(tmp: Path) -> Outcome:
    def spoil(part: Path) -> None:
        (part.parent.parent / "formulas.json").write_text("[" * 200000 + "]" * 200000)

    outcome = _cache_attack(tmp, spoil)
    if outcome.result == HELD and "formulas.json" not in outcome.detail:
        return Outcome(DEGRADED, "formulas.json not named: " + outcome.detail)
    return outcome


@attack("12c' a deeply nested formulas.json, --force")
def a12c_force(tmp: Path) -> Outcome:
    def spoil(part: Path) -> None:
        (part.parent.parent / "formulas.json").write_text("[" * 200000 + "]" * 200000)

    outcome = _cache_attack(tmp, spoil, force=True)
    formulas = json.loads((tmp / "dist" / ".cheatdeck-cache" / "formulas.json").read_text())
    if outcome.result != FAILED and not formulas.get("drawings"):
        return Outcome(FAILED, "--force left formulas.json unwritten")
    return Outcome(HELD if outcome.result != FAILED else FAILED, outcome.detail)


@attack("12e swapped drawings in formulas.json")
def a12e(tmp: Path) -> Outcome:
    source, out, cache = _built_sheet(tmp / "one")
    path = cache.parent / "formulas.json"
    data = json.loads(path.read_text())
    first, second = list(data["drawings"])[:2]
    drawings = data["drawings"]
    drawings[first], drawings[second] = drawings[second], drawings[first]
    path.write_text(json.dumps(data))
    changed = [*NOTES, *({**note, "summary": note["summary"] + " Changed."} for note in FORMULAS), *MANY]
    notes_folder(source, notes=changed)
    run = cli("build", "--source", source, "--out", out, "--artefact", "sheet", cwd=tmp)
    fresh = notes_folder(tmp / "two" / "notes", notes=changed)
    again = cli("build", "--source", fresh, "--out", tmp / "two" / "dist", "--artefact", "sheet", cwd=tmp)
    if run.code != 0 or again.code != 0:
        return Outcome(DEGRADED, (run.output + again.output)[-200:])
    if sha(out / "cheatsheet.pdf") != sha(tmp / "two" / "dist" / "cheatsheet.pdf"):
        return Outcome(
            FAILED, "the sheet differs from a fresh build of the same notes (swapped formulas printed)"
        )
    said = next((line for line in run.output.splitlines() if "formulas.json" in line), "")
    return Outcome(HELD, said[-150:] or "same sheet as a fresh build (drawings checked)")


@attack("12d a part carrying a page /AA JavaScript action")
def a12d(tmp: Path) -> Outcome:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def spoil(part: Path) -> None:
        writer = PdfWriter(clone_from=PdfReader(part))
        for page in writer.pages:
            action = DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("app.alert(1)"),
                }
            )
            page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): action})
        writer._root_object[NameObject("/OpenAction")] = action
        with open(part, "wb") as file:
            writer.write(file)

    return _cache_attack(tmp, _spoil_all(lambda p: spoil(p) if p.suffix == ".pdf" else None))


# --- deck.yaml and notes in every output --------------------------------------------------------------------

MARKUP = "<img src=x onerror=alert(1)>\"'><script>alert(1)</script>"


@attack("v deck.yaml fields with markup in every output")
def v_deck_fields(tmp: Path) -> Outcome:
    deck = {
        "title": "Title " + MARKUP,
        "description": "Desc " + MARKUP,
        "author": "Au " + MARKUP,
        "subject": "Sub " + MARKUP,
        "keywords": [MARKUP],
    }
    source = notes_folder(tmp / "notes", deck)
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        tmp / "dist",
        "--artefact",
        "deck",
        "--artefact",
        "grid",
        "--artefact",
        "sheet",
        "--artefact",
        "flashcards",
        cwd=tmp,
    )
    found: list[str] = []
    dist = tmp / "dist"
    if (dist / "grid.html").exists():
        found += live_markup((dist / "grid.html").read_text("utf-8"), allow_own_script=False)
    if (dist / "atk.apkg").exists():
        found += apkg_findings(dist / "atk.apkg", tmp / "anki")
    for pdf in ("cheatsheet.pdf", "flashcards.pdf"):
        if (dist / pdf).exists():
            found += bad_links(pdf_text_and_links(dist / pdf)[1])
    if run.code == 0 and not (dist / "grid.html").exists():
        found.append("no grid written")
    return verdict(found, run, "grid/cards/PDFs")


@attack("v note fields with markup and javascript: references in every output")
def v_note_fields(tmp: Path) -> Outcome:
    notes = [
        {
            **NOTES[0],
            "title": "T " + MARKUP,
            "summary": "S " + MARKUP,
            "body": "B " + MARKUP + "\n\n[j](javascript:alert(1))",
            "references": [
                "javascript:alert(1)",
                " JAVASCRIPT:alert(1)",
                "file:///etc/passwd",
                "data:text/html,<script>alert(1)</script>",
            ],
            "tags": ["x"],
        },
        *NOTES[1:],
    ]
    source = notes_folder(tmp / "notes", notes=notes)
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        tmp / "dist",
        "--artefact",
        "deck",
        "--artefact",
        "grid",
        "--artefact",
        "sheet",
        "--layout",
        "guide",
        cwd=tmp,
    )
    if run.code == 1 and not run.traceback and "references" in run.output:
        return Outcome(HELD, "refused: " + run.output.strip().splitlines()[0][:140])
    found: list[str] = []
    dist = tmp / "dist"
    if (dist / "grid.html").exists():
        found += live_markup((dist / "grid.html").read_text("utf-8"), allow_own_script=False)
    if (dist / "atk.apkg").exists():
        found += apkg_findings(dist / "atk.apkg", tmp / "anki")
    if (dist / "cheatsheet.pdf").exists():
        found += bad_links(pdf_text_and_links(dist / "cheatsheet.pdf")[1])
    return verdict(found, run, "grid/cards/sheet")


@attack("v grid CSV formula injection")
def v_csv(tmp: Path) -> Outcome:
    starts = ['=HYPERLINK("http://x")', "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", " =1", "=1"]
    notes = [
        {"id": f"c{i}", "title": s, "kind": "service", "summary": s, "use_case": s}
        for i, s in enumerate(starts)
    ]
    source = notes_folder(tmp / "notes", notes=notes)
    run = cli("build", "--source", source, "--out", tmp / "dist", "--artefact", "grid", cwd=tmp)
    if run.code == 1 and not run.traceback:
        return Outcome(HELD, "refused")
    import csv

    bad = []
    with open(tmp / "dist" / "grid.csv", newline="", encoding="utf-8") as file:
        for row in csv.reader(file):
            for cell in row:
                if cell and cell.lstrip(" \t\r\n")[:1] in "=+-@" and cell[:1] != "'":
                    bad.append(cell[:20])
    return verdict(bad, run, "CSV cells")


@attack("v --templates folder reading files outside it")
def v_templates(tmp: Path) -> Outcome:
    (tmp / "secret.txt").write_text("SECRETOUTSIDE")
    templates = tmp / "templates"
    shutil.copytree(ROOT / "templates", templates)
    grid = next(templates.rglob("grid*.html*"))
    original = grid.read_text("utf-8")
    grid.write_text(
        original.replace(
            "</body>",
            '{% include "../secret.txt" %}{% include "/'
            + str(tmp / "secret.txt").lstrip("/")
            + '" %}</body>',
            1,
        )
    )
    sheet = next(p for p in templates.rglob("*.html*") if "sheet" in p.name)
    sheet.write_text(
        sheet.read_text("utf-8").replace(
            "</body>",
            f'<img src="file://{tmp}/secret.txt"><link rel="stylesheet" href="file:///etc/passwd"></body>',
            1,
        )
    )
    source = notes_folder(tmp / "notes")
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        tmp / "dist",
        "--templates",
        templates,
        "--artefact",
        "grid",
        "--artefact",
        "sheet",
        cwd=tmp,
    )
    leaked = (tmp / "dist").exists() and b"SECRETOUTSIDE" in tree_bytes(tmp / "dist")
    found = ["secret in dist"] if leaked else []
    return verdict(found, run, f"dist ({grid.name}, {sheet.name})")


@attack("v a notes file symlinked from outside the notes folder")
def v_symlink_notes(tmp: Path) -> Outcome:
    (tmp / "outside.yaml").write_text(
        "notes:\n  - id: leak\n    title: Leak\n    kind: concept\n    summary: SECRETOUTSIDE\n"
    )
    source = notes_folder(tmp / "notes")
    (source / "leak.yaml").symlink_to(tmp / "outside.yaml")
    (source / "sub").mkdir()
    (source / "sub" / "dir").symlink_to(tmp)
    run = cli("build", "--source", source, "--out", tmp / "dist", cwd=tmp)
    found = ["leaked"] if (tmp / "dist").exists() and b"SECRETOUTSIDE" in tree_bytes(tmp / "dist") else []
    if "SECRETOUTSIDE" in run.output:
        found.append("content shown in the message")
    if not found and run.code == 0:
        return Outcome(DEGRADED, "built without a word about the link")
    return verdict(found, run, "dist")


@attack("v huge / deeply nested YAML")
def v_yaml(tmp: Path) -> Outcome:
    outcomes = []
    bombs = {
        "laughs": "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
        + "notes: []\n",
        "deep": "notes: " + "[" * 50000 + "]" * 50000 + "\n",
        "deepmap": "notes:\n  - id: a\n    title: A\n    kind: concept\n    summary: "
        + "{a: " * 20000
        + "1"
        + "}" * 20000
        + "\n",
    }
    for name, text in bombs.items():
        source = notes_folder(tmp / name)
        (source / "bomb.yaml").write_text(text)
        run = cli("check", "--source", source, cwd=tmp, timeout=60)
        outcomes.append((name, run))
    bad = [f"{n}: exit {r.code} {r.output[-100:]}" for n, r in outcomes if r.code == -9]
    if bad:
        return Outcome(FAILED, "; ".join(bad))
    poor = [
        f"{n}: {r.output.strip()[-120:]}"
        for n, r in outcomes
        if r.traceback or r.code != 1 or "bomb.yaml" not in r.output
    ]
    if poor:
        return Outcome(DEGRADED, "; ".join(poor))
    return Outcome(HELD, "; ".join(r.output.strip().splitlines()[0][:60] for _, r in outcomes))


# --- degraded list ------------------------------------------------------------------------------------------


@attack("d new --title with {{ }} / control char / {#id}")
def d_new_title(tmp: Path) -> Outcome:
    bad = []
    for i, title in enumerate(
        ["{{ 7*7 }} exam", "Bell\x07 exam", "Evil {#evil}", "x: y # z", "'quoted' \"x\"", MARKUP]
    ):
        for fmt in ("yaml", "md"):
            folder = tmp / f"n{i}{fmt}"
            run = cli("new", folder, "--title", title, "--format", fmt, cwd=tmp)
            if run.code == 1 and not run.traceback:
                continue
            check = cli("check", "--source", folder, "--strict", cwd=tmp)
            if run.code != 0 or check.code != 0:
                bad.append(f"{title!r}/{fmt}: new {run.code} check {check.code} {check.output[-80:]!r}")
                continue
            written = yaml.safe_load((folder / "deck.yaml").read_text("utf-8"))["title"]
            if written != title:
                bad.append(f"{title!r}/{fmt}: title became {written!r}")
    return Outcome(FAILED if bad else HELD, "; ".join(bad[:3]) or "every title refused or kept verbatim")


@attack("d imported title with {{ }} / control char / {#id}")
def d_import_title(tmp: Path) -> Outcome:
    bad = []
    for i, title in enumerate(["{{ 7*7 }} guide", "Bell\x07 guide", "Evil {#evil}"]):
        guide = tmp / f"g{i}.md"
        guide.write_text(
            f"# {title}\n\n## Topic\n\nTopic is a thing.\n\n## {title}\n\nIt is another thing.\n"
        )
        notes = tmp / f"notes{i}"
        run = cli("import", guide, "--into", notes, cwd=tmp)
        check = cli("check", "--source", notes, cwd=tmp)
        if run.traceback or check.code != 0:
            bad.append(f"{title!r}: import {run.code} check {check.code}: {check.output[-100:]!r}")
    return Outcome(FAILED if bad else HELD, "; ".join(bad[:3]) or "every imported title checks")


@attack("d declared subdeck '::' / '::x' / 'a::::b'")
def d_subdeck(tmp: Path) -> Outcome:
    bad = []
    for i, sub in enumerate(["::", "::x", "a::::b", "x::", " :: "]):
        source = notes_folder(
            tmp / f"n{i}",
            {"kinds": [{"name": "drug", "colour": "#0b7285", "subdeck": sub}]},
            [{"id": "a", "title": "A", "kind": "drug", "summary": "A drug."}],
        )
        run = cli("check", "--source", source, cwd=tmp)
        if run.code != 1 or run.traceback or "subdeck" not in run.output:
            bad.append(f"{sub!r}: exit {run.code}")
    return Outcome(FAILED if bad else HELD, "; ".join(bad) or "all refused naming subdeck")


@attack("d example ships with a lock; two clones build alike")
def d_example(tmp: Path) -> Outcome:
    digests = []
    for clone in ("one", "two"):
        source = tmp / clone / "aws-cloud-practitioner"
        shutil.copytree(ROOT / "examples" / "aws-cloud-practitioner", source)
        run = cli("build", "--source", source, "--out", tmp / clone / "dist", "--artefact", "deck", cwd=tmp)
        if run.code != 0:
            return Outcome(DEGRADED, run.output[-150:])
        digests.append(sha(next((tmp / clone / "dist").glob("*.apkg"))))
    if (
        not (ROOT / "examples" / "aws-cloud-practitioner" / "cheatdeck.lock.json").exists()
        or digests[0] != digests[1]
    ):
        return Outcome(FAILED, "the two clones' decks differ")
    return Outcome(HELD, "same .apkg from two clones")


@attack("d the immutable lock's message")
def d_immutable(tmp: Path) -> Outcome:
    source = notes_folder(tmp / "notes")
    assert cli("build", "--source", source, "--out", tmp / "dist", "--artefact", "deck", cwd=tmp).code == 0
    lock = source / "cheatdeck.lock.json"
    if subprocess.run(["chattr", "+i", str(lock)], capture_output=True, check=False).returncode != 0:
        os.chmod(source, 0o555)
        how = "read-only folder"
    else:
        how = "chattr +i"
    try:
        notes_folder(
            source, notes=[{**NOTES[0], "summary": "Changed."}, *NOTES[1:]]
        ) if how == "chattr +i" else None
        if how != "chattr +i":
            return Outcome(HELD, "(not run: chattr unavailable)")
        run = cli("build", "--source", source, "--out", tmp / "dist", "--artefact", "deck", cwd=tmp)
    finally:
        subprocess.run(["chattr", "-i", str(lock)], capture_output=True, check=False)
        os.chmod(source, 0o755)
    if run.code == 0:
        return Outcome(FAILED, "a build passed with the lock unwritable")
    if run.traceback or ".tmp" in run.output or "cheatdeck.lock.json" not in run.output:
        return Outcome(DEGRADED, run.output.strip()[-160:])
    return Outcome(HELD, f"{how}: " + run.output.strip().splitlines()[-1][:140])


@attack("d a second build waits on the folder lock and says so")
def d_second_build(tmp: Path) -> Outcome:
    source = notes_folder(tmp / "notes")
    out = tmp / "dist"
    out.mkdir()
    first = subprocess.Popen(
        [
            PYTHON,
            BUILD,
            "build",
            "--source",
            str(source),
            "--out",
            str(out),
            "--artefact",
            "sheet",
            "--artefact",
            "deck",
            "--force",
        ],
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    time.sleep(1.2)
    second = cli("build", "--source", source, "--out", out, "--artefact", "deck", "--force", cwd=tmp)
    first.communicate()
    if second.code != 0:
        return Outcome(DEGRADED, second.output[-150:])
    said = [line for line in second.output.splitlines() if "wait" in line.lower()]
    return Outcome(
        HELD if said else DEGRADED,
        said[0][:150] if said else "(no wait seen: the first build may have finished)",
    )


@attack("d import: a second guide with the same file name")
def d_same_name(tmp: Path) -> Outcome:
    (tmp / "a").mkdir()
    (tmp / "b").mkdir()
    (tmp / "a" / "guide.md").write_text("# A\n\n## Apple\n\nApple is a fruit.\n")
    (tmp / "b" / "guide.md").write_text("# B\n\n## Brick\n\nBrick is a block.\n")
    notes = tmp / "notes"
    r1 = cli("import", tmp / "a" / "guide.md", "--into", notes, cwd=tmp)
    r2 = cli("import", tmp / "b" / "guide.md", "--into", notes, cwd=tmp)
    text = tree_bytes(notes).decode("utf-8", "replace")
    if "Apple is a fruit" not in text:
        return Outcome(FAILED, "the first guide's notes are gone")
    if r2.traceback:
        return Outcome(DEGRADED, r2.output[-150:])
    return Outcome(HELD, f"both kept or refused (exit {r1.code}/{r2.code})")


@attack("d import: cheatdeck.import.json lost, guide changed")
def d_record_lost(tmp: Path) -> Outcome:
    guide = tmp / "guide.md"
    guide.write_text(_guide(3))
    notes = tmp / "notes"
    assert cli("import", guide, "--into", notes, cwd=tmp).code == 0
    for record in notes.rglob("cheatdeck.import.json"):
        record.unlink()
    guide.write_text(_guide(3).replace("thing number 1", "thing number 1 REVISED"))
    run = cli("import", guide, "--into", notes, cwd=tmp)
    text = tree_bytes(notes).decode("utf-8", "replace")
    if "REVISED" not in text and "kept your edit" in run.output:
        return Outcome(FAILED, "the guide's change passed off as the learner's edit")
    return verdict([], run, "notes")


@attack("d import: a note moved to another file")
def d_moved(tmp: Path) -> Outcome:
    guide = tmp / "guide.md"
    guide.write_text(_guide(3))
    notes = tmp / "notes"
    assert cli("import", guide, "--into", notes, cwd=tmp).code == 0
    target = sorted(notes.glob("*.md"))[0]
    text = target.read_text("utf-8")
    head, *sections = re.split(r"(?m)^(?=## )", text)
    moved = sections[-1]
    target.write_text(head + "".join(sections[:-1]), "utf-8")
    (notes / "moved.md").write_text(moved, "utf-8")
    before = cli("check", "--source", notes, cwd=tmp)
    run = cli("import", guide, "--into", notes, cwd=tmp)
    after = cli("check", "--source", notes, cwd=tmp)
    if after.code != 0 or tree_bytes(notes).decode().count(moved.splitlines()[0]) > 1:
        return Outcome(FAILED, f"re-added: check {before.code}->{after.code}: {after.output[-120:]}")
    return verdict([], run, "notes")


@attack("d import: 50,000 nested <div>s")
def d_nested(tmp: Path) -> Outcome:
    page = tmp / "deep.html"
    page.write_text(
        "<html><body><h1>D</h1><h2>T</h2><p>T is x.</p>"
        + "<div>" * 50000
        + "x"
        + "</div>" * 50000
        + "</body></html>"
    )
    started = time.monotonic()
    run = cli("import", page, "--into", tmp / "notes", cwd=tmp, timeout=60)
    took = time.monotonic() - started
    if run.code == -9:
        return Outcome(FAILED, "hangs")
    if run.traceback or "deep.html" not in run.output or took > 20:
        return Outcome(DEGRADED, f"{took:.1f} s: {run.output[-120:]}")
    return Outcome(HELD, f"{took:.1f} s: {run.output.strip().splitlines()[-1][:120]}")


@attack("d import: two vault files that slugify alike")
def d_slug(tmp: Path) -> Outcome:
    vault = tmp / "vault"
    vault.mkdir()
    (vault / "My Note.md").write_text("# My Note\n\nMy note is a.\n")
    (vault / "my-note.md").write_text("# my-note\n\nMy note is b.\n")
    run = cli("import", vault, "--into", tmp / "notes", cwd=tmp)
    if run.code == 0:
        return Outcome(HELD, "imported both")
    if run.traceback or not ("My Note.md" in run.output and "my-note.md" in run.output):
        return Outcome(DEGRADED, run.output[-150:])
    return Outcome(HELD, "refused naming both")


# --- focus --------------------------------------------------------------------------------------------------


@attack("v focus: markup in titles and deck.yaml on the focus page")
def v_focus(tmp: Path) -> Outcome:
    from anki.collection import Collection

    notes = [
        {**NOTES[0], "title": "A <img src=/etc/passwd> " + MARKUP, "summary": "S " + MARKUP, "tags": ["x"]},
        *NOTES[1:],
    ]
    source = notes_folder(tmp / "notes", {"title": "Deck " + MARKUP}, notes)
    path = _collection(tmp / "collection.anki2")
    first = cli("sync", "--source", source, "--collection", path, "--out", tmp / "dist", "--yes", cwd=tmp)
    if first.code != 0:
        return Outcome(DEGRADED, first.output[-150:])
    col = Collection(str(path))
    try:
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 1)
    finally:
        col.close()
    run = cli("focus", "--source", source, "--collection", path, "--out", tmp / "dist", cwd=tmp)
    pdf = tmp / "dist" / "focus.pdf"
    if not pdf.exists():
        return Outcome(DEGRADED, f"no focus page: {run.output[-150:]}")
    text, links = pdf_text_and_links(pdf)
    found = bad_links(links)
    if "<img" not in text and "onerror" not in text:
        found.append("the markup was not printed as text")
    return verdict(found, run, "focus.pdf")


@attack("v declared kind plural/badge/subdeck, field labels and colour with markup in every output")
def v_declared(tmp: Path) -> Outcome:
    kinds = [
        {
            "name": "drug",
            "colour": "#0b7285",
            "label": "Drug " + MARKUP,
            "plural": "Drugs " + MARKUP,
            "badge": '">',
            "subdeck": "Sub <img src=x onerror=alert(1)>",
            "fields": ["dose"],
        }
    ]
    fields = [{"name": "dose", "label": 'Dose <img src=x onerror=alert(1)> x" onmouseover="alert(1)'}]
    notes = [
        {
            "id": "aspirin",
            "title": "Aspirin",
            "kind": "drug",
            "summary": "Thins the blood.",
            "dose": "<b>1</b> g",
            "facts": ["Aspirin is ==acetylsalicylic acid=="],
        },
        {"id": "ibu", "title": "Ibu", "kind": "drug", "summary": "Eases pain.", "dose": "x"},
    ]
    source = notes_folder(tmp / "notes", {"kinds": kinds, "fields": fields}, notes)
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        tmp / "dist",
        "--artefact",
        "deck",
        "--artefact",
        "grid",
        "--artefact",
        "sheet",
        "--artefact",
        "flashcards",
        cwd=tmp,
    )
    found: list[str] = []
    dist = tmp / "dist"
    if (dist / "grid.html").exists():
        found += live_markup((dist / "grid.html").read_text("utf-8"), allow_own_script=False)
    if (dist / "atk.apkg").exists():
        found += apkg_findings(dist / "atk.apkg", tmp / "anki")
    for pdf in ("cheatsheet.pdf", "flashcards.pdf"):
        if (dist / pdf).exists():
            found += bad_links(pdf_text_and_links(dist / pdf)[1])
    if run.code != 0:
        found.append(
            f"refused a valid deck: {run.output.strip()[-150:]}"
        ) if "subdeck" not in run.output else None
    colour = notes_folder(
        tmp / "c",
        {"kinds": [{"name": "drug", "colour": "#fff;}</style><script>alert(1)</script>"}]},
        [{"id": "a", "title": "A", "kind": "drug", "summary": "A."}],
    )
    refused = cli("check", "--source", colour, cwd=tmp)
    if refused.code != 1 or "colour" not in refused.output:
        found.append(f"a colour with CSS/markup accepted: exit {refused.code}")
    return verdict(found, run, "grid/cards/PDFs")


@attack("v markdown notes with markup in headings, fields and links")
def v_markdown_notes(tmp: Path) -> Outcome:
    source = notes_folder(tmp / "notes", notes=NOTES)
    (source / "more.md").write_text(
        "# More <script>alert(1)</script>\n\n"
        "## Gamma <img src=x onerror=alert(1)> {#gamma}\n"
        "kind: concept\nsummary: Gamma <svg onload=alert(1)> is third.\ntags: x\n\n"
        "Body with [a link](javascript:alert(1)) and [b]( JAVASCRIPT:alert(1)) "
        '<a href="javascript:alert(1)">c</a>\n'
        'and <iframe src="file:///etc/passwd"></iframe> and [[Alpha|<b onclick=alert(1)>x</b>]].\n',
        "utf-8",
    )
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        tmp / "dist",
        "--artefact",
        "deck",
        "--artefact",
        "grid",
        "--artefact",
        "sheet",
        "--layout",
        "guide",
        cwd=tmp,
    )
    if run.code == 1 and not run.traceback:
        return Outcome(HELD, "refused: " + run.output.strip().splitlines()[0][-140:])
    found: list[str] = []
    dist = tmp / "dist"
    if (dist / "grid.html").exists():
        found += live_markup((dist / "grid.html").read_text("utf-8"), allow_own_script=False)
    if (dist / "atk.apkg").exists():
        found += apkg_findings(dist / "atk.apkg", tmp / "anki")
    if (dist / "cheatsheet.pdf").exists():
        found += bad_links(pdf_text_and_links(dist / "cheatsheet.pdf")[1])
    return verdict(found, run, "grid/cards/sheet")


@attack("v javascript: links in a note's body (YAML) on the sheet PDF and cards")
def v_body_links(tmp: Path) -> Outcome:
    notes = [
        {
            **NOTES[0],
            "body": "[a](javascript:alert(1)) [b]( JAVASCRIPT:alert(1)) [c](vbscript:x) "
            "[d](file:///etc/passwd) [e](data:text/html,x) <a href='javascript:alert(1)'>f</a> "
            "<https://example.com/ok>",
        },
        *NOTES[1:],
    ]
    source = notes_folder(tmp / "notes", notes=notes)
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        tmp / "dist",
        "--artefact",
        "deck",
        "--artefact",
        "grid",
        "--artefact",
        "sheet",
        "--layout",
        "guide",
        cwd=tmp,
    )
    if run.code == 1 and not run.traceback:
        return Outcome(HELD, "refused: " + run.output.strip().splitlines()[0][-140:])
    found: list[str] = []
    dist = tmp / "dist"
    if (dist / "atk.apkg").exists():
        found += apkg_findings(dist / "atk.apkg", tmp / "anki")
    if (dist / "grid.html").exists():
        found += live_markup((dist / "grid.html").read_text("utf-8"), allow_own_script=False)
    if (dist / "cheatsheet.pdf").exists():
        found += bad_links(pdf_text_and_links(dist / "cheatsheet.pdf")[1])
    return verdict(found, run, "cards/grid/sheet links")


@attack("d import HTML: unsafe link schemes, refused images, <script> in inline SVG")
def d_import_html_links(tmp: Path) -> Outcome:
    page = tmp / "page.html"
    page.write_text(
        "<html><body><h1>G</h1><h2>Topic</h2><p>Topic is a thing. "
        '<a href="JAVASCRIPT:alert(1)">a</a> <a href=" javascript:alert(1)">b</a> '
        '<a href="data:text/html,x">c</a> '
        '<a href="file:///etc/passwd">d</a> <a href="vbscript:x">e</a> '
        '<a href="java&#x09;script:alert(1)">f</a> '
        '<a href="https://example.com/">ok</a> <img src="/etc/passwd" alt="refused-pic"> '
        "<svg><script>alert('svg')</script><circle r='1'/></svg></p></body></html>"
    )
    run = cli("import", page, "--into", tmp / "notes", cwd=tmp)
    text = tree_bytes(tmp / "notes").decode("utf-8", "replace") if (tmp / "notes").exists() else ""
    squeezed = re.sub(r"\s", "", text).lower()
    found = [
        s
        for s in ("javascript:", "vbscript:", "data:text", "file:", "alert(", "/etc/passwd")
        if s in squeezed
    ]
    if found:
        return Outcome(FAILED, f"kept: {found}")
    return verdict([], run, "notes")


@attack("9 sync beside a running build: deleted notes stay deleted")
def a9(tmp: Path) -> Outcome:
    from anki.collection import Collection

    source = notes_folder(tmp / "notes", notes=[*NOTES, *FORMULAS])
    out = tmp / "dist"
    path = _collection(tmp / "collection.anki2")
    assert cli("build", "--source", source, "--out", out, "--artefact", "deck", cwd=tmp).code == 0
    assert cli("sync", "--source", source, "--collection", path, "--out", out, "--yes", cwd=tmp).code == 0
    notes_folder(source, notes=[n for n in [*NOTES, *FORMULAS] if n["id"] != "beta"])  # retire beta
    build = subprocess.Popen(
        [PYTHON, BUILD, "build", "--source", str(source), "--out", str(out), "--force"],
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(1.5)
    sync = cli("sync", "--source", source, "--collection", path, "--out", out, "--yes", cwd=tmp)
    build.communicate()
    again = cli("build", "--source", source, "--out", out, "--artefact", "deck", cwd=tmp)
    fresh = apkg_cards(out / "atk.apkg", tmp / "fresh")
    col = Collection(str(tmp / "fresh" / "collection.anki2"))
    try:
        shipped = bool(col.find_notes('"Source id:beta"'))
    finally:
        col.close()
    if shipped and "deleted 1" in sync.output:
        return Outcome(FAILED, "beta, deleted by sync, ships again in the .apkg")
    if sync.code != 0 or again.code != 0:
        return Outcome(DEGRADED, (sync.output + again.output)[-200:])
    return Outcome(
        HELD, f"{len(fresh)} cards shipped, beta not among them; " + sync.output.strip().splitlines()[-1][:90]
    )


@attack("v focus on a 0-byte / foreign SQLite file")
def v_focus_foreign(tmp: Path) -> Outcome:
    source = notes_folder(tmp / "notes")
    bad = []
    for make in ("empty", "foreign"):
        path = tmp / make / "collection.anki2"
        path.parent.mkdir()
        if make == "empty":
            path.write_bytes(b"")
        else:
            with sqlite3.connect(path) as db:
                db.execute("create table photos (id integer primary key)")
            db.close()
        before = sha(path)
        run = cli("focus", "--source", source, "--collection", path, "--out", tmp / "dist", cwd=tmp)
        if sha(path) != before or len(list(path.parent.iterdir())) != 1:
            bad.append(f"{make}: the file changed")
        elif run.code == 0 or run.traceback:
            bad.append(f"{make}: exit {run.code}: {run.output[-100:]}")
    if any("changed" in b for b in bad):
        return Outcome(FAILED, "; ".join(bad))
    return Outcome(DEGRADED if bad else HELD, "; ".join(bad) or "both refused, untouched")


@attack("v import HTML: pictures through srcset/poster/style/object/svg image/encoded paths")
def v_import_other_doors(tmp: Path) -> Outcome:
    home = _home(tmp)
    (home / "sub").mkdir()
    (home / ".ssh" / "id.png").write_bytes(PNG + b"SECRETKEY")
    doors = [
        '<img srcset=".ssh/id_rsa 1x, .ssh/id.png 2x" src="real.png">',
        '<picture><source srcset=".ssh/id.png"><img src="real.png"></picture>',
        '<video poster=".ssh/id.png"></video>',
        '<div style="background:url(.ssh/id.png)">x</div>',
        '<object data=".ssh/id_rsa"></object>',
        '<embed src=".ssh/id_rsa">',
        '<input type="image" src=".ssh/id.png">',
        '<svg><image href=".ssh/id.png"/><image xlink:href=".ssh/id.png"/></svg>',
        '<img src="%2essh/id.png">',
        '<img src=".ssh%2fid.png">',
        '<img src="sub/../.ssh/id.png">',
        '<img src="./.ssh/id.png">',
        '<img src="real.png/../.ssh/id.png">',
        '<img src="sub/..%2f.ssh/id.png">',
        '<img src=".SSH/ID.PNG">',
        '<link rel="stylesheet" href=".ssh/id_rsa">',
        '<base href="/"><img src="etc/passwd">',
    ]
    (home / "page.html").write_text(
        "<html><body><h1>G</h1><h2>Topic</h2><p>Topic is a thing.</p>"
        + "".join(f"<p>{d}</p>" for d in doors)
        + "</body></html>"
    )
    run = cli("import", home / "page.html", "--into", tmp / "notes", cwd=tmp)
    found = _secrets_under(tmp / "notes")
    if b"root:" in tree_bytes(tmp / "notes"):
        found.append("/etc/passwd")
    if found:
        return Outcome(FAILED, f"copied: {found}")
    return verdict([], run, "notes")


@attack("v import Obsidian vault: embeds of hidden files inside the vault (.git, .obsidian)")
def v_vault_hidden(tmp: Path) -> Outcome:
    vault = tmp / "vault"
    (vault / ".git").mkdir(parents=True)
    (vault / ".git" / "config").write_text("[remote]\n url = https://user:SECRETKEY@example.com\n")
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "shot.png").write_bytes(PNG + b"SECRETVAULT")
    (vault / ".secret.md").write_text("# Hidden\n\nSECRETAWS is here.\n")
    (vault / "note.md").write_text(
        "# Note\n\nNote is a thing. ![[config]] ![[.git/config]] ![[shot.png]] "
        "![[.obsidian/shot.png]] ![[.secret]] ![[.secret.md]] [[.secret]]\n"
    )
    run = cli("import", vault, "--into", tmp / "notes", cwd=tmp)
    found = _secrets_under(tmp / "notes")
    if found:
        return Outcome(FAILED, f"copied: {found}")
    return verdict([], run, "notes")


@attack("v notes folder: a picture that is a symlink out, or a path out")
def v_notes_media(tmp: Path) -> Outcome:
    (tmp / "outside.png").write_bytes(PNG + b"SECRETOUTSIDE")
    bad = []
    for i, (image, make) in enumerate(
        [
            ("media/leak.png", lambda s: s.joinpath("media", "leak.png").symlink_to(tmp / "outside.png")),
            ("../outside.png", lambda s: None),
            (str(tmp / "outside.png"), lambda s: None),
            ("media/dir/outside.png", lambda s: s.joinpath("media", "dir").symlink_to(tmp)),
            (".hidden.png", lambda s: s.joinpath(".hidden.png").write_bytes(PNG + b"SECRETOUTSIDE")),
        ]
    ):
        notes = [{**NOTES[0], "image": image}, *NOTES[1:]]
        source = notes_folder(tmp / f"n{i}", notes=notes)
        (source / "media").mkdir()
        make(source)
        out = tmp / f"d{i}"
        run = cli("build", "--source", source, "--out", out, cwd=tmp)
        if out.exists() and b"SECRETOUTSIDE" in tree_bytes(out):
            bad.append(f"{image}: shipped")
        elif out.exists() and any(zipfile.is_zipfile(p) for p in out.glob("*.apkg")):
            with zipfile.ZipFile(next(out.glob("*.apkg"))) as package:
                names = package.namelist()
                if len(names) > 3 and run.code == 0:
                    bad.append(f"{image}: shipped {names}")
        if run.code == 0 and not bad:
            bad.append(f"{image}: built without a word")
        elif run.traceback:
            bad.append(f"{image}: traceback")
    shipped = [b for b in bad if "shipped" in b]
    if shipped:
        return Outcome(FAILED, "; ".join(shipped))
    return Outcome(DEGRADED if bad else HELD, "; ".join(bad) or "each refused")


def _forged_journal(folder: Path, victims: Path) -> None:
    """A journal of an 'interrupted' commit whose entries point out of its folder: a rollback that
    trusts it deletes or overwrites the learner's files."""
    victims.mkdir(exist_ok=True)
    for name in ("deleted", "replaced", "staged-leftover", "backup-leftover", "evil"):
        (victims / name).write_text(f"VICTIM {name}")
    entries = [
        {"target": str(victims / "deleted"), "staged": "a", "backup": "b", "existed": False},
        {
            "target": os.path.relpath(victims / "replaced", folder),
            "staged": "c",
            "backup": str(victims / "evil"),
            "existed": True,
        },
        {
            "target": "x",
            "staged": str(victims / "staged-leftover"),
            "backup": str(victims / "backup-leftover"),
            "existed": False,
        },
    ]
    (folder / ".cheatdeck-journal.json").write_text(json.dumps({"phase": "applying", "entries": entries}))


def _victims_whole(victims: Path) -> list[str]:
    harmed = []
    for name in ("deleted", "replaced", "staged-leftover", "backup-leftover", "evil"):
        path = victims / name
        if not path.exists() or path.read_text() != f"VICTIM {name}":
            harmed.append(name)
    return harmed


@attack("v a forged journal in a cloned dist/ folder, then build")
def v_journal_build(tmp: Path) -> Outcome:
    source = notes_folder(tmp / "notes")
    out = tmp / "dist"
    out.mkdir()
    _forged_journal(out, tmp / "victims")
    run = cli("build", "--source", source, "--out", out, "--artefact", "grid", cwd=tmp)
    harmed = _victims_whole(tmp / "victims")
    if harmed:
        return Outcome(FAILED, f"files outside dist/ deleted or overwritten: {harmed}")
    return verdict([], run, "files outside dist/")


@attack("v a forged journal in a cloned notes folder, then import")
def v_journal_import(tmp: Path) -> Outcome:
    notes = notes_folder(tmp / "notes")
    _forged_journal(notes, tmp / "victims")
    (tmp / "guide.md").write_text(_guide(2))
    run = cli("import", tmp / "guide.md", "--into", notes, cwd=tmp)
    harmed = _victims_whole(tmp / "victims")
    if harmed:
        return Outcome(FAILED, f"files outside the notes folder deleted or overwritten: {harmed}")
    return verdict([], run, "files outside the notes folder")


@attack("v a forged journal in dist/, then sync")
def v_journal_sync(tmp: Path) -> Outcome:
    source = notes_folder(tmp / "notes")
    out = tmp / "dist"
    out.mkdir()
    path = _collection(tmp / "collection.anki2")
    _forged_journal(out, tmp / "victims")
    run = cli("sync", "--source", source, "--collection", path, "--out", out, "--yes", cwd=tmp)
    harmed = _victims_whole(tmp / "victims")
    if harmed:
        return Outcome(FAILED, f"files outside dist/ deleted or overwritten: {harmed}")
    return verdict([], run, "files outside dist/")


@attack("v a --templates template reaching Python (lipsum.__globals__.os)")
def v_template_python(tmp: Path) -> Outcome:
    templates = tmp / "templates"
    shutil.copytree(ROOT / "templates", templates)
    grid = templates / "grid.html.j2"
    ran = tmp / "ran"
    payload = (
        f"{{{{ lipsum.__globals__.os.makedirs('{ran}') }}}}{{{{ cycler.__init__.__globals__.os.getcwd() }}}}"
    )
    grid.write_text(grid.read_text("utf-8").replace("</body>", payload + "</body>", 1), "utf-8")
    source = notes_folder(tmp / "notes")
    run = cli(
        "build",
        "--source",
        source,
        "--out",
        tmp / "dist",
        "--templates",
        templates,
        "--artefact",
        "grid",
        cwd=tmp,
    )
    if ran.exists() or (
        (tmp / "dist" / "grid.html").exists() and str(tmp) in (tmp / "dist" / "grid.html").read_text()
    ):
        return Outcome(FAILED, "the template ran Python")
    return verdict([], run, "nothing ran")


_DELIMITED = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.DOTALL)


def _active_mathjax(html: str) -> list[str]:
    """The TeX MathJax would typeset in a card (per run of text) that makes a link, a style or a class."""
    found = []
    for element in html5lib.parse(html, namespaceHTMLElements=False).iter():
        if str(element.tag) not in {"code", "pre", "script", "style"}:
            for text in (element.text, element.tail):
                found += [
                    m[0][:50]
                    for m in _DELIMITED.finditer(text or "")
                    if re.search(r"\\(href|style|class)\b", m[0])
                ]
    return found


@attack("v MathJax \\href/\\style and Anki [latex] from a note's text, math and a kind label")
def v_mathjax(tmp: Path) -> Outcome:
    from anki.collection import Collection

    href = r"\href{javascript:alert(1)}{\style{position:fixed;inset:0}{x}}"
    kinds = [{"name": "trap", "label": rf"\({href}\)", "colour": "#0b7285"}]
    notes = [
        {
            "id": "trap",
            "title": "Trap",
            "kind": "trap",
            "summary": rf"Inline ${href}$, escaped \\({href}\\). "
            r"[latex]\input{/etc/passwd}[/latex] [$]y[/$]",
            "body": f"$${href}$$\n\nSafe: $x^2$.\n",
        }
    ]
    source = notes_folder(tmp / "notes", {"kinds": kinds}, notes)
    run = cli("build", "--source", source, "--out", tmp / "dist", "--artefact", "deck", cwd=tmp)
    if run.code != 0:
        return Outcome(DEGRADED, run.output[-150:])
    found = []
    for question, answer in apkg_cards(tmp / "dist" / "atk.apkg", tmp / "anki"):
        found += _active_mathjax(question) + _active_mathjax(answer)
    col = Collection(str(tmp / "anki" / "collection.anki2"))
    try:
        for nid in col.find_notes(""):
            for field in col.get_note(nid).fields:
                found += [
                    f"[latex] {x.latex_body}"
                    for x in col._backend.extract_latex(text=field, svg=False, expand_clozes=True).latex
                ]
    finally:
        col.close()
    return verdict(found, run, "MathJax input and LaTeX of every card")


@attack("v file names with terminal escape sequences (check, import)")
def v_terminal(tmp: Path) -> Outcome:
    escape = "\x1b]0;owned\x07\x1b[2J\x9b2J"
    source = notes_folder(tmp / "notes")
    (source / f"more{escape}.yaml").write_text("notes:\n  - id: x\n    title: X\n")
    vault = tmp / "vault"
    vault.mkdir()
    (vault / f"topic{escape}.md").write_text("# Topic\n\nTopic is a thing.\n")
    (vault / f"gone{escape}.md").symlink_to(tmp / "nowhere.md")
    runs = [cli("check", "--source", source, cwd=tmp), cli("import", vault, "--into", tmp / "n2", cwd=tmp)]
    found = [repr(m[0]) for r in runs for m in re.finditer(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", r.output)]
    return verdict(found[:3], runs[0], "terminal output")


@attack("v a recognise: titles: pattern that backtracks for ever, then import")
def v_redos(tmp: Path) -> Outcome:
    kinds = [{"name": "drug", "colour": "#0b7285", "recognise": {"titles": ["^(a|aa)+$"]}}]
    source = notes_folder(
        tmp / "notes", {"kinds": kinds}, [{"id": "q", "title": "Q", "kind": "drug", "summary": "S."}]
    )
    (tmp / "g.md").write_text("# G\n\n## " + "a" * 60 + "!\n\nIt is a thing.\n")
    run = cli("import", tmp / "g.md", "--into", source, cwd=tmp, timeout=30)
    if run.code == -9:
        return Outcome(FAILED, "import hangs (30 s)")
    check = cli("check", "--source", source, cwd=tmp)
    said = next((line for line in check.output.splitlines() if "recognise" in line), "")
    if run.traceback or not said:
        return Outcome(DEGRADED, (run.output + check.output)[-150:])
    return Outcome(HELD, f"import {run.code} (no hang); check: {said[-120:]}")


# --- running ------------------------------------------------------------------------------------------------


def run_one(name: str, root: Path) -> tuple[str, Outcome, float]:
    folder = root / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    folder.mkdir()
    started = time.monotonic()
    try:
        outcome = ATTACKS[name](folder)
    except Exception as error:  # the bench's own trouble is a result too, never a crash
        outcome = Outcome(DEGRADED, f"bench error: {type(error).__name__}: {str(error)[:160]}")
    return name, outcome, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("words", nargs="*", help="run only attacks whose name holds one of these")
    parser.add_argument("--jobs", type=int, default=2)
    arguments = parser.parse_args()
    names = [
        n for n in ATTACKS if not arguments.words or any(w.lower() in n.lower() for w in arguments.words)
    ]
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="attack-bench-") as scratch,
        ThreadPoolExecutor(arguments.jobs) as pool,
    ):
        results = list(pool.map(lambda n: run_one(n, Path(scratch)), names))
    width = max(len(n) for n in names)
    print(f"| {'attack':<{width}} | result   | s    | detail")
    print(f"|{'-' * (width + 2)}|----------|------|-------")
    for name, outcome, took in results:
        detail = " | ".join(outcome.detail.split("\n"))
        print(f"| {name:<{width}} | {outcome.result:<8} | {took:4.1f} | {detail}")
    counts = {r: sum(1 for _, o, _ in results if o.result == r) for r in (HELD, DEGRADED, FAILED)}
    print(
        f"\n{len(results)} attacks: {counts[HELD]} held, {counts[DEGRADED]} degraded, "
        f"{counts[FAILED]} failed "
        f"({time.monotonic() - started:.0f} s wall)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
