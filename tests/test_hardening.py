"""Hostile and unlucky inputs: each closes an attack or a fault found in issue 10 (and issue 9's error
boundary): a message and exit status 1, never a traceback, and nothing written."""

from __future__ import annotations

import builtins
import csv
import errno
import io
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader

import cheatdeck.grid
import cheatdeck.notes.sources
import cheatdeck.sheet.document
import cheatdeck.sheet.fonts
from cheatdeck import SHIPPED_TEMPLATES
from cheatdeck.anki.lock import LOCK_FILE
from cheatdeck.build.pipeline import BuildReport
from cheatdeck.build.watch import build_once, watch
from cheatdeck.cli import main
from cheatdeck.errors import SourceError, UsageError
from cheatdeck.grid import neutralise_cell
from cheatdeck.notes.sources import load_sources
from cheatdeck.options import BuildOptions, SheetOptions
from cheatdeck.sheet.breaks import breakable
from tests.conftest import build_into

DECK = "id: hardening\ntitle: Hardening\n"
NOTES = """\
notes:
  - id: kmeans
    title: k-means
    kind: algorithm
    summary: Clusters points around k centroids.
    tags: [clustering]
    learning: unsupervised
    task: clustering
  - id: s3
    title: Amazon S3
    kind: service
    summary: Object storage.
    tags: [storage]
    use_case: store objects
"""


def _notes(root: Path, notes: str = NOTES, deck: str = DECK) -> Path:
    source = root / "source"
    source.mkdir(parents=True)
    (source / "deck.yaml").write_text(deck, encoding="utf-8")
    (source / "notes.yaml").write_text(notes, encoding="utf-8")
    return source


def _run(*arguments: str | Path) -> Result:
    result = CliRunner().invoke(main, [str(argument) for argument in arguments])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _failing_read(monkeypatch: pytest.MonkeyPatch, victim: Path) -> None:
    """Reading `victim` fails as a dying disk does (EIO); every other file reads normally."""
    read_bytes = Path.read_bytes

    def read(path: Path) -> bytes:
        if path == victim:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", read)


# Error boundary: check, build and watch


@pytest.mark.parametrize("victim", ["notes.yaml", "deck.yaml"])
def test_check_reports_a_file_it_cannot_read(
    victim: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _notes(tmp_path)
    _failing_read(monkeypatch, source / victim)
    result = _run("check", "--source", source)
    assert result.exit_code == 1
    assert f"{source / victim}:1: cannot read the file: Input/output error" in result.output
    assert "1 error in" in result.output


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        (b'{"version": 1, "notes": {"\xff": 1}}', "unreadable lock file (not UTF-8: byte 0xff at offset 26)"),
        (b"[" * 100_000 + b"]" * 100_000, "unreadable lock file (nested too deeply)"),
    ],
)
def test_a_broken_lock_is_a_message(lock: bytes, message: str, tmp_path: Path) -> None:
    source, out = _notes(tmp_path), tmp_path / "dist"
    build_into(source, out, artefacts=("grid",))  # a state to compare with: the lock is fingerprinted
    before = sorted((path.name, path.read_bytes()) for path in out.iterdir())
    (source / LOCK_FILE).write_bytes(lock)
    result = _run("build", "--source", source, "--out", out, "--artefact", "grid")
    assert result.exit_code == 1
    assert message in result.output and "restore it from version control; nothing written" in result.output
    assert sorted((path.name, path.read_bytes()) for path in out.iterdir()) == before


def test_an_unclosed_tag_in_a_card_template_is_a_message(tmp_path: Path) -> None:
    source = _notes(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    front = templates / "anki" / "term.front.html"
    front.write_text(front.read_text().replace("{{Name}}", "{{Name"), encoding="utf-8")
    out = tmp_path / "dist"
    result = _run("build", "--source", source, "--out", out, "--templates", templates, "--artefact", "deck")
    assert result.exit_code == 1
    assert (
        f'{front}: card template error: Unexpected EOF; the tag "Term card on" was never closed'
        in result.output
    )
    assert "nothing written" in result.output and not out.exists()


def test_a_card_template_that_puts_a_field_in_a_tag_or_decodes_one_is_refused(tmp_path: Path) -> None:
    """A copied template of an earlier version (`class="kind kind-{{text:Kind}}"`): a field in an attribute,
    decoded by `text:`, lets a value add attributes. Every such place is named, nothing is written."""
    source = _notes(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    front = templates / "anki" / "term.front.html"
    front.write_text(
        "{{#Term card on}}\n<div class='kind kind-{{Kind}}'>{{Kind}}</div>\n<div>{{text:Name}}</div>\n"
        "{{/Term card on}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "dist"
    result = _run("build", "--source", source, "--out", out, "--templates", templates, "--artefact", "deck")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{front}:2: {{{{Kind}}}} is inside a tag" in result.output, result.output
    assert f"{front}:3: {{{{text:Name}}}}: the text: filter" in result.output, result.output
    assert "nothing written" in result.output and not out.exists()


def test_watch_reports_a_full_disk_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _notes(tmp_path)
    options = BuildOptions(source=source, out=tmp_path / "dist", artefacts=("grid",))

    def disk_full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(cheatdeck.grid, "write_text", disk_full)
    lines: list[str] = []
    result = build_once(options, lines.append)
    assert isinstance(result, OSError | Exception) and not isinstance(result, BuildReport)
    assert any(
        "No space left on device; nothing written, the previous outputs are kept" in line for line in lines
    )
    monkeypatch.undo()
    assert isinstance(build_once(options, lines.append), BuildReport)


def test_watch_survives_an_out_folder_under_a_file_and_builds_once_it_is_fixed(tmp_path: Path) -> None:
    source = _notes(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    options = BuildOptions(source=source, out=blocker / "dist", artefacts=("grid",))
    stop, arrived = threading.Event(), threading.Condition()
    results: list[BuildReport | Exception] = []
    lines: list[str] = []

    def on_result(result: BuildReport | Exception) -> None:
        with arrived:
            results.append(result)
            arrived.notify_all()

    thread = threading.Thread(target=watch, args=(options, lines.append, stop, on_result), daemon=True)
    thread.start()
    try:
        with arrived:
            assert arrived.wait_for(lambda: len(results) >= 1, timeout=20), lines
        assert isinstance(results[0], Exception)
        assert any("Not a directory" in line and "nothing written" in line for line in lines), lines
        assert thread.is_alive()
        blocker.unlink()
        blocker.mkdir()
        notes = source / "notes.yaml"
        notes.write_text(notes.read_text().replace("store objects", "keep objects"), encoding="utf-8")
        with arrived:
            assert arrived.wait_for(lambda: any(isinstance(r, BuildReport) for r in results), timeout=20), (
                lines
            )
        assert "keep objects" in (blocker / "dist" / "grid.csv").read_text()
    finally:
        stop.set()
        thread.join(timeout=10)


# Options


def test_an_unknown_tag_or_kind_is_an_error_not_an_empty_sheet(tmp_path: Path) -> None:
    source = _notes(tmp_path)
    out = tmp_path / "dist"
    result = _run("build", "--source", source, "--out", out, "--tag", "clusterin", "--only", "metric")
    assert result.exit_code == 1
    assert "--tag clusterin: no note has this tag (did you mean 'clustering'?)" in result.output
    assert "--only metric: no note is of this kind (the notes have algorithm, service)" in result.output
    assert not out.exists()
    with pytest.raises(UsageError, match="select no note"):
        build_into(source, out, sheet=SheetOptions(only_kinds=("service",), tags=("clustering",)))


@pytest.mark.parametrize("inside", ["source/dist", "source"])
def test_an_out_folder_inside_the_notes_folder_is_refused(inside: str, tmp_path: Path) -> None:
    source = _notes(tmp_path)
    result = _run("build", "--source", source, "--out", tmp_path / inside, "--artefact", "grid")
    assert result.exit_code == 1
    assert "is inside --source" in result.output
    assert sorted(path.name for path in source.iterdir()) == ["deck.yaml", "notes.yaml"]


# CSV formula injection


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    notes = NOTES.replace("title: Amazon S3", 'title: \'=HYPERLINK("http://evil.example","S3")\'')
    notes = notes.replace("use_case: store objects", "use_case: '+1+cmd|calc'\n    domain: '@SUM(A1)'")
    notes = notes.replace("task: clustering", "task: '-2+3'")
    source = _notes(tmp_path, notes)
    out = tmp_path / "dist"
    build_into(source, out, artefacts=("grid",))
    rows = list(csv.DictReader(io.StringIO((out / "grid.csv").read_text(encoding="utf-8-sig"))))
    cells = {(row["note_id"], column): value for row in rows for column, value in row.items()}
    assert cells["s3", "name"] == '\'=HYPERLINK("http://evil.example","S3")'
    assert cells["s3", "use_case"] == "'+1+cmd|calc"
    assert cells["s3", "domain"] == "'@SUM(A1)"
    assert cells["kmeans", "task"] == "'-2+3"
    assert cells["kmeans", "name"] == "k-means"  # a dash inside a cell is harmless and kept
    page = (out / "grid.html").read_text()
    assert "=HYPERLINK" in page and "&#39;=HYPERLINK" not in page  # only the CSV is for spreadsheets


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_every_formula_start_is_neutralised(cell: str) -> None:
    """Tabs and carriage returns cannot start a note's field (they are stripped) but are covered too."""
    assert neutralise_cell(cell) == f"'{cell}"
    assert neutralise_cell(f"a{cell}") == f"a{cell}"


# Fingerprint: fonts


def test_installing_a_font_makes_the_next_build_rebuild_the_sheet(tmp_path: Path) -> None:
    """fontconfig told to look in one more folder, as after `apt-get install fonts-…`: not up to date."""
    dejavu = subprocess.run(
        ["fc-match", "--format", "%{file}", "DejaVu Sans"], capture_output=True, text=True, check=True
    ).stdout
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>{fonts}</dir>'
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    source = _notes(tmp_path)
    out = tmp_path / "dist"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            cheatdeck.sheet.document,
            "write_sheet_pdf",
            lambda sheet, target, *_, **__: target.write_text("".join(sheet.parts)),
        )
        patch.setenv("FONTCONFIG_FILE", str(config))
        patch.setattr(cheatdeck.sheet.fonts, "_FONTS", [], raising=False)  # forget the last answer
        build_into(source, out, artefacts=("sheet",))
        assert build_into(source, out, artefacts=("sheet",)).up_to_date
        shutil.copy(dejavu, fonts / "Installed.ttf")
        patch.setattr(cheatdeck.sheet.fonts, "_FONTS", [], raising=False)
        report = build_into(source, out, artefacts=("sheet",))
    assert not report.up_to_date
    assert [path.name for path in report.written] == ["cheatsheet.pdf"]


# The notes folder: what is read, what is refused, what is reported


def test_a_notes_file_linked_from_outside_is_refused_without_showing_its_content(tmp_path: Path) -> None:
    source = _notes(tmp_path)
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")
    (source / "keys.yaml").symlink_to(secret)
    (source / "deck-link.yaml").symlink_to(tmp_path / "source" / "notes.yaml")  # inside: fine (same notes)
    result = _run("check", "--source", source)
    assert result.exit_code == 1
    assert (
        f"{source / 'keys.yaml'}:1: symbolic link leads outside the notes folder; not read" in result.output
    )
    assert "PRIVATE KEY" not in result.output and "b3Bl" not in result.output
    assert "duplicate id 'kmeans'" in result.output  # the inside link was read


def test_broken_and_looping_links_and_unreadable_folders_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _notes(tmp_path)
    (source / "gone.yaml").symlink_to(source / "deleted.yaml")
    (source / "loop-a.yaml").symlink_to(source / "loop-b.yaml")
    (source / "loop-b.yaml").symlink_to(source / "loop-a.yaml")
    (source / "private").mkdir()
    (source / "private" / "more.yaml").write_text(NOTES.replace("kmeans", "k2").replace("s3", "s4"))
    os.mkfifo(source / "pipe.yaml")
    scandir = os.scandir

    def denied(path: str | os.PathLike[str]) -> object:
        if Path(path) == source / "private":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    result = _run("check", "--source", source)
    assert result.exit_code == 1
    assert f"{source / 'gone.yaml'}:1: broken symbolic link; not read" in result.output
    assert f"{source / 'loop-a.yaml'}:1: looping symbolic link; not read" in result.output
    assert f"{source / 'private'}:1: cannot read the folder: Permission denied" in result.output
    assert (
        f"{source / 'pipe.yaml'}:1: not a regular file (a pipe, socket or device); not read" in result.output
    )
    assert "5 errors in" in result.output


def test_hidden_folders_are_not_read_as_notes(tmp_path: Path) -> None:
    source = _notes(tmp_path)
    for hidden in (".git", ".github/workflows", ".obsidian"):
        (source / hidden).mkdir(parents=True)
        (source / hidden / "config.yaml").write_text("on: [push]\njobs: {}\n")
    (source / ".notes.yaml.swp").write_text("\0\0")
    result = _run("check", "--source", source)
    assert result.exit_code == 0, result.output
    out = tmp_path / "dist"
    build_into(source, out, artefacts=("grid",))
    (source / ".git" / "index.yaml").write_text("changed: true\n")  # a commit does not rebuild anything
    assert build_into(source, out, artefacts=("grid",)).up_to_date


# YAML: what counts against the alias limit, null keys, merge keys


def _plain_notes(count: int) -> str:
    return "notes:\n" + "".join(
        f"  - id: n{i}\n    title: Note {i}\n    kind: service\n    summary: Summary {i}.\n"
        f"    tags: [a, b]\n    use_case: use {i}\n    references: [https://example.com/{i}]\n"
        for i in range(count)
    )


def test_only_values_repeated_through_aliases_count_against_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit guards against alias bombs; a long file of plain notes is not one (limit scaled down)."""
    monkeypatch.setattr(cheatdeck.notes.sources, "_MAX_VALUES", 500)
    source = _notes(tmp_path, _plain_notes(300))  # about 3,000 values, no alias
    assert len(load_sources(source).notes) == 300
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    bomb += "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nnotes: []\n"  # 1,000 values through aliases
    (source / "notes.yaml").write_text(bomb)
    with pytest.raises(SourceError) as caught:
        load_sources(source)
    assert [p.message for p in caught.value.problems] == ["too many values (aliases expand to over 500)"]


@pytest.mark.slow
def test_twenty_five_thousand_notes_in_one_file_load(tmp_path: Path) -> None:
    assert len(load_sources(_notes(tmp_path, _plain_notes(25_000))).notes) == 25_000


def test_a_null_key_is_reported_on_its_line_and_a_merge_key_once(tmp_path: Path) -> None:
    notes = NOTES.replace("    tags: [storage]\n", "    tags: [storage]\n    ~: oops\n")
    notes += (
        "  - &base\n    id: c\n    title: C\n    kind: concept\n    summary: S.\n  - <<: *base\n    id: d\n"
    )
    source = _notes(tmp_path, notes)
    with pytest.raises(SourceError) as caught:
        load_sources(source)
    assert [str(problem) for problem in caught.value.problems] == [
        f"{source / 'notes.yaml'}:14: notes[1]: a key is empty ('~'); name a field",
        f"{source / 'notes.yaml'}:21: notes[3]: YAML merge keys (<<) are not supported; write the fields out",
    ]


# Fields, tags, images


def test_a_field_of_another_kind_is_an_error(tmp_path: Path) -> None:
    source = _notes(
        tmp_path, NOTES.replace("use_case: store objects", "use_case: store\n    learning: supervised")
    )
    result = _run("check", "--source", source)
    assert result.exit_code == 1
    assert (
        "notes[1].learning: a service note has no field 'learning' (a service has use_case, domain)"
        in result.output
    )


@pytest.mark.parametrize("tag", ["::", "a::", "::b", "a::::b"])
def test_a_tag_with_an_empty_name_is_an_error(tag: str, tmp_path: Path) -> None:
    source = _notes(tmp_path, NOTES.replace("tags: [storage]", f"tags: ['{tag}']"))
    result = _run("check", "--source", source)
    assert result.exit_code == 1
    assert f"notes[1].tags[0]: expected '::' between two names, got {tag!r}" in result.output


def test_check_rejects_an_image_the_build_could_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _notes(tmp_path, NOTES.replace("use_case: store objects", "use_case: store\n    image: s3.png"))
    (source / "media").mkdir()
    (source / "media" / "s3.png").write_bytes(b"\x89PNG")
    assert _run("check", "--source", source).exit_code == 0
    opened = builtins.open

    def unreadable(file: object, *args: object, **kwargs: object) -> object:
        if Path(str(file)).name == "s3.png":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return opened(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", unreadable)
    monkeypatch.setattr(io, "open", unreadable)
    result = _run("check", "--source", source)
    assert result.exit_code == 1
    assert f"notes[1].image: cannot read {source / 'media' / 's3.png'}: Permission denied" in result.output


# A no-op build reads no unchanged file


def test_a_no_op_build_does_not_read_unchanged_media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _notes(tmp_path, NOTES.replace("use_case: store objects", "use_case: store\n    image: big.png"))
    (source / "media").mkdir()
    media = source / "media" / "big.png"
    media.write_bytes(b"\x89PNG" + bytes(1_000_000))
    old = media.stat().st_mtime_ns - 10_000_000_000  # saved a while ago, as media usually are
    os.utime(media, ns=(old, old))
    out = tmp_path / "dist"
    build_into(source, out, artefacts=("deck", "grid"))
    read: list[str] = []
    opened = io.open

    def recording(file: object, *args: object, **kwargs: object) -> object:
        read.append(Path(str(file)).name)
        return opened(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(io, "open", recording)
    monkeypatch.setattr(builtins, "open", recording)
    assert build_into(source, out, artefacts=("deck", "grid")).up_to_date
    assert "big.png" not in read and "hardening.apkg" not in read
    monkeypatch.undo()
    media.write_bytes(b"\x89PNG" + bytes(999_999) + b"x")  # same size, new content: rebuilt
    os.utime(media, ns=(old + 1, old + 1))
    assert not build_into(source, out, artefacts=("deck", "grid")).up_to_date


# A very long unbreakable token: broken for the layout only


def test_a_long_token_gets_break_opportunities_in_text_only() -> None:
    token = "x" * 150 + "&amp;" + "y" * 150
    html = (
        f'<html><head><title>{token}</title><style>p::after {{ content: "{token}"; }}</style></head>'
        f'<body><p class="summary"><a href="https://example.com/{token}">{token}</a> short words</p></body>'
    )
    broken = breakable(html)
    text = broken.split("<body>")[1]
    assert f'href="https://example.com/{token}"' in text  # attributes untouched
    assert broken.split("<body>")[0] == html.split("<body>", maxsplit=1)[0]  # title and style untouched
    runs = re.findall(r"[^\s\u200b]+", re.sub(r"<[^>]*>", " ", text.replace("&amp;", "&")))
    assert max(map(len, runs)) == 8
    assert "&amp;" in text and "&am\u200b" not in text  # a character reference stays whole
    restored = broken.replace("\u200b", "").replace("<span>", "").replace("</span>", "")
    assert restored == html
    assert breakable("<p>" + "x" * 200 + "</p>") == "<p>" + "x" * 200 + "</p>"  # ordinary lengths: as is


@pytest.mark.slow
def test_a_long_token_is_broken_for_the_pdf_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTML WeasyPrint lays out has break opportunities; the PDF's text, the grid and the CSV keep
    the token whole. (Issue 10: 20,000 characters took 44 s; the figure is in bench/hardening_bench.py.)"""
    import weasyprint

    token = "".join(chr(ord("a") + index % 26) for index in range(600))
    source = _notes(tmp_path, NOTES.replace("use_case: store objects", f"use_case: {token}"))
    laid_out: list[str] = []
    html_class = weasyprint.HTML

    def capture(*args: object, string: str, **kwargs: object) -> object:
        laid_out.append(string)
        return html_class(*args, string=string, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", capture)
    monkeypatch.setattr(cheatdeck.sheet.document, "_cores", lambda: 1)  # every part laid out in this process
    out = tmp_path / "dist"
    build_into(source, out, artefacts=("sheet", "grid"))
    html = "".join(laid_out)
    assert token not in html
    assert token in html.replace("\u200b", "").replace("<span>", "").replace("</span>", "")
    pdf = "".join(page.extract_text() for page in PdfReader(out / "cheatsheet.pdf").pages)
    assert token in pdf.replace("\n", "").replace("\u200b", "")
    assert token in (out / "grid.csv").read_text() and "\u200b" not in (out / "grid.csv").read_text()
    assert token in (out / "grid.html").read_text()


@pytest.mark.parametrize("command", ["check", "build"])
def test_even_a_bug_is_a_message_not_a_traceback(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one error boundary (errors.explain, used by every command and by watch) names the error;
    --verbose adds where it happened."""
    source = _notes(tmp_path)

    def broken(*_: object, **__: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cheatdeck.notes.sources, "load_sources", broken)
    arguments = [command, "--source", str(source)] + (
        ["--out", str(tmp_path / "dist")] if command == "build" else []
    )
    result = _run(*arguments)
    assert result.exit_code == 1
    assert "internal error: RuntimeError: a bug; nothing written (please report it" in result.output
    verbose = CliRunner().invoke(main, ["--verbose", *arguments])
    assert verbose.exit_code == 1 and "Traceback" in verbose.output and "raise RuntimeError" in verbose.output
    lines: list[str] = []
    options = BuildOptions(source=source, out=tmp_path / "dist", artefacts=("grid",))
    assert isinstance(build_once(options, lines.append), RuntimeError)
    assert any("internal error: RuntimeError: a bug; last good outputs kept" in line for line in lines)


@pytest.mark.parametrize(
    "reach",
    [
        "lipsum.__globals__.os.makedirs",
        "cycler.__init__.__globals__.os.makedirs",
        "self._TemplateReference__context.namespace.__init__.__globals__['__builtins__']['__import__']('os')"
        ".makedirs",
    ],
)
def test_a_template_from_a_templates_folder_cannot_reach_python(reach: str, tmp_path: Path) -> None:
    """A shared `--templates` folder is data: a template reaching Python's globals through Jinja's own
    objects (a command on the learner's machine) is a template error, and nothing runs or is written."""
    source = _notes(tmp_path)
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    ran = tmp_path / "ran"
    grid = templates / "grid.html.j2"
    grid.write_text(grid.read_text().replace("</body>", f"{{{{ {reach}('{ran}') }}}}</body>", 1))
    out = tmp_path / "dist"
    result = _run("build", "--source", source, "--out", out, "--templates", templates, "--artefact", "grid")
    assert not ran.exists()
    assert result.exit_code == 1, result.output
    assert "template error" in result.output and "nothing written" in result.output
    assert not out.exists()


ESCAPE = "\x1b]0;owned\x07\x1b[2J\x9b2J"


def test_a_file_name_never_sends_the_terminal_an_escape_sequence(tmp_path: Path) -> None:
    """A file name is data too: its control characters (a terminal's escape sequences: set the title,
    clear the screen, write the clipboard) are printed as escapes, by check and by import."""
    source = _notes(tmp_path)
    (source / f"more{ESCAPE}.yaml").write_text("notes:\n  - id: x\n    title: X\n", encoding="utf-8")
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / f"topic{ESCAPE}.md").write_text("# Topic\n\nTopic is a thing.\n", encoding="utf-8")
    (vault / f"gone{ESCAPE}.md").symlink_to(tmp_path / "nowhere.md")
    checked = _run("check", "--source", source)
    imported = _run("import", vault, "--into", tmp_path / "notes")
    assert checked.exit_code == 1 and imported.exit_code == 0, checked.output + imported.output
    for output in (checked.output, imported.output):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", output), repr(output)
        assert r"\x1b]0;owned\x07\x1b[2J\x9b2J" in output, output


def _recognising(pattern: str) -> str:
    return (
        "id: t\ntitle: T\nkinds:\n  - name: drug\n    colour: '#0b7285'\n    recognise:\n"
        f"      titles: ['{pattern}']\n"
    )


@pytest.mark.parametrize("pattern", ["^(a|aa)+$", "(a+)+b", r"(\w+\s?)*:", "(x*)*y", r"((ab)*c?)+d"])
def test_a_title_pattern_that_can_backtrack_for_ever_is_refused(pattern: str, tmp_path: Path) -> None:
    """`import` matches a kind's `recognise: titles:` patterns against every heading; one with a repeat
    inside a repeat (or a choice repeated) takes exponential time on a heading that almost matches, so
    it would hang the import: refused when the deck is read, naming the field."""
    notes = "notes:\n  - id: a\n    title: A\n    kind: drug\n    summary: S.\n"
    source = _notes(tmp_path, notes, _recognising(pattern))
    result = _run("check", "--source", source)
    assert result.exit_code == 1, result.output
    assert "deck.yaml:7: kinds[0].recognise.titles[0]" in result.output, result.output
    assert "repeat" in result.output


@pytest.mark.parametrize("pattern", [r"^Amazon \w+$", r"(?:Sage|Maker)\b", r"^[A-Z]{2,5}$", r"(ab)+c"])
def test_an_ordinary_title_pattern_is_kept(pattern: str, tmp_path: Path) -> None:
    notes = "notes:\n  - id: a\n    title: A\n    kind: drug\n    summary: S.\n"
    assert _run("check", "--source", _notes(tmp_path, notes, _recognising(pattern))).exit_code == 0
