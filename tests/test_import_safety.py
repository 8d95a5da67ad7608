"""`import` reads only what a guide shows inside its own tree, writes all or nothing, and loses no edit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from cheatdeck.cli import main
from cheatdeck.importer.guide import RECORD_FILE, GuideError, import_guides
from cheatdeck.notes.sources import load_sources
from tests.conftest import FIXTURES

GUIDE = FIXTURES / "import" / "guide"
PNG = (GUIDE / "img" / "pipeline.png").read_bytes()
KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"


def _import(*arguments: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["import", *map(str, arguments)])
    return result.exit_code, result.output


def _everything_under(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


# Pictures: only pictures, only inside the guide's tree ------------------------------------------------


def test_import_copies_only_pictures_inside_the_guides_own_tree(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_bytes(KEY)
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_bytes(b"[default]\naws_secret_access_key = SECRET\n")
    (home / ".hidden.png").write_bytes(PNG)  # a picture, but hidden
    (home / "paper.pdf").write_bytes(b"%PDF-1.7\nPAPER\n")
    (home / "fake.png").write_bytes(KEY)  # a picture's name, a key's content
    (home / "real.png").write_bytes(PNG)
    (home / "named-wrong.gif").write_bytes(PNG)  # a PNG under another name: its content decides
    (tmp_path / "outside.png").write_bytes(PNG)
    (home / "link.png").symlink_to(tmp_path / "outside.png")
    (home / "key-link.png").symlink_to(home / ".ssh" / "id_rsa")
    shown = [
        ".ssh/id_rsa",
        ".aws/credentials",
        ".hidden.png",
        "paper.pdf",
        "fake.png",
        "link.png",
        "key-link.png",
        "../outside.png",
        str(tmp_path / "outside.png"),
        "real.png",
        "named-wrong.gif",
    ]
    page = home / "page.html"
    page.write_text(
        "<html><body><h2>Pictures</h2><p>Some pictures.</p>"
        + "".join(f'<p><img src="{src}" alt="shot {number}"></p>' for number, src in enumerate(shown))
        + "</body></html>",
        encoding="utf-8",
    )
    notes = tmp_path / "notes"
    status, output = _import(page, "--into", notes)
    assert status == 0, output
    assert sorted(path.name for path in (notes / "media").iterdir()) == ["named-wrong.png", "real.png"]
    assert (notes / "media" / "real.png").read_bytes() == PNG
    everything = _everything_under(notes)
    assert b"PRIVATE KEY" not in everything and b"SECRET" not in everything and b"PAPER" not in everything
    for src in shown[:-2]:
        assert f"image {src} " in output, src  # each refusal is reported, with the picture's path
    assert "hidden" in output and "not a picture" in output and "outside the guide's folder" in output
    assert "symbolic link out of the guide's folder" in output
    body = load_sources(notes).note("pictures").body
    assert "media/real.png" in body and "media/named-wrong.png" in body
    assert "id_rsa" not in body and "credentials" not in body  # no debris of the refused ones


def test_a_markdown_guide_follows_the_same_rules_for_pictures(tmp_path: Path) -> None:
    guide = tmp_path / "guide"
    (guide / ".ssh").mkdir(parents=True)
    (guide / ".ssh" / "id_rsa").write_bytes(KEY)
    (guide / "img").mkdir()
    (guide / "img" / "ok.png").write_bytes(PNG)
    (guide / "g.md").write_text(
        "## Topic\n\nText.\n\n![key](.ssh/id_rsa)\n\n![ok](img/ok.png)\n\n![up](../g.md)\n", encoding="utf-8"
    )
    notes = tmp_path / "notes"
    report = import_guides([guide / "g.md"], notes)
    assert [path.name for path in (notes / "media").iterdir()] == ["ok.png"]
    assert b"PRIVATE KEY" not in _everything_under(notes)
    assert any("image .ssh/id_rsa " in notice and "hidden" in notice for notice in report.notices)
    assert any("image ../g.md " in notice for notice in report.notices)


# Folder import: links stay inside, and every skipped one is reported -----------------------------------


def test_folder_import_never_follows_a_link_out_and_reports_every_skipped_one(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("## Secret\n\nTOP SECRET text.\n", encoding="utf-8")
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "real.md").write_text("## Real\n\nA real note.\n", encoding="utf-8")
    (vault / "key.md").symlink_to(outside / "secret.md")
    (vault / "loop.md").symlink_to(vault / "loop.md")
    (vault / "dangling.md").symlink_to(vault / "missing.md")
    (vault / "inside.md").symlink_to(vault / "real.md")  # a link inside the folder is fine
    notes = tmp_path / "notes"
    status, output = _import(vault, "--into", notes)
    assert status == 0, output
    assert b"TOP SECRET" not in _everything_under(notes)
    assert f"{vault / 'key.md'}: symbolic link leads outside the folder being imported; not read" in output
    assert f"{vault / 'loop.md'}: looping symbolic link; not read" in output
    assert f"{vault / 'dangling.md'}: broken symbolic link; not read" in output
    assert sorted(path.name for path in (notes / "vault").iterdir()) == ["inside.md", "real.md"]


# Writing: all or nothing ------------------------------------------------------------------------------

_LIMITED_IMPORT = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the limit fails (EFBIG), as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), int(sys.argv[3])))
    from cheatdeck.cli import main
    main(["import", sys.argv[1], "--into", sys.argv[2]])
    """
)


def test_a_write_that_fails_half_way_leaves_the_notes_file_whole(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text(
        "".join(f"## Topic {n}\n\nTopic {n} is a thing worth knowing about.\n\n" for n in range(40)),
        encoding="utf-8",
    )
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    path = notes / "guide.md"
    edited = path.read_text(encoding="utf-8").replace(
        "summary: A thing worth knowing about.\n\n## Topic 4", "summary: MY OWN WORDS.\n\n## Topic 4", 1
    )
    assert "MY OWN WORDS" in edited
    path.write_text(edited, encoding="utf-8")
    guide.write_text(guide.read_text(encoding="utf-8").replace("worth knowing", "worth learning"), "utf-8")
    before = {p: p.read_bytes() for p in sorted(notes.rglob("*"))}

    limit = path.stat().st_size // 3  # the new notes file cannot be written whole
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED_IMPORT, str(guide), str(notes), str(limit)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"{path}: File too large" in done.stderr  # the file that could not be written, not the folder
    assert {p: p.read_bytes() for p in sorted(notes.rglob("*"))} == before  # no temporary file left
    assert "MY OWN WORDS" in path.read_text(encoding="utf-8")

    report = import_guides([guide], notes)  # with room again, the import goes through
    assert len(report.updated) == 39 and report.kept == ["topic-3"]


def test_an_import_killed_while_writing_is_rolled_back_by_the_next(tmp_path: Path) -> None:
    """A journal left in the notes folder (as by a kill -9 between two renames) is undone first."""
    from cheatdeck.transaction import JOURNAL

    guide = tmp_path / "guide.md"
    guide.write_text("## Topic\n\nTopic is a thing.\n", encoding="utf-8")
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    path = notes / "guide.md"
    whole = path.read_bytes()
    backup = notes / ".guide.md.cheatdeck-0badc0de.tmp"
    shutil.copyfile(path, backup)
    path.write_bytes(whole[:10])  # the rename happened, then the process died
    (notes / JOURNAL).write_text(
        '{"phase": "applying", "entries": [{"target": "guide.md", "staged": ".guide.md.cheatdeck-'
        '00000000.tmp", "backup": ".guide.md.cheatdeck-0badc0de.tmp", "existed": true}]}',
        encoding="utf-8",
    )
    report = import_guides([guide], notes)
    assert path.read_bytes() == whole and report.unchanged == ["topic"]
    assert sorted(p.name for p in notes.iterdir()) == ["cheatdeck.import.json", "deck.yaml", "guide.md"]


# A note id twice: refused before anything is written ------------------------------------------------


def test_a_note_id_twice_in_a_notes_file_is_refused_and_nothing_is_lost(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("## Alpha\n\nAlpha is first.\n\n## Beta\n\nBeta is second.\n", encoding="utf-8")
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    path = notes / "guide.md"
    text = path.read_text(encoding="utf-8")
    alpha = text[text.index("## Alpha") : text.index("## Beta")]
    edited = text.replace("Alpha is first.", "MY EDIT of alpha.", 1) + "\n" + alpha
    path.write_text(edited, encoding="utf-8")
    lines = edited.split("\n")
    first = lines.index("## Alpha {#alpha}") + 1
    second = len(lines) - lines[::-1].index("## Alpha {#alpha}")
    before = {p: p.read_bytes() for p in sorted(notes.rglob("*"))}
    status, output = _import(guide, "--into", notes)
    assert status == 1
    assert f"{path}:{second}: note id 'alpha' appears twice (first at line {first})" in output
    assert "Traceback" not in output
    assert {p: p.read_bytes() for p in sorted(notes.rglob("*"))} == before
    with pytest.raises(GuideError, match="appears twice"):
        import_guides([guide], notes)


def test_the_record_is_written_with_the_notes(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("## Alpha\n\nAlpha is first.\n", encoding="utf-8")
    report = import_guides([guide], tmp_path / "notes")
    assert (tmp_path / "notes" / RECORD_FILE).is_file()
    assert {p.name for p in report.written} == {"guide.md", "deck.yaml"}
    assert os.listdir(tmp_path / "notes").count(".cheatdeck-journal.json") == 0


def test_a_full_disk_under_the_notes_folder_is_blamed_on_the_file_not_on_dist(tmp_path: Path) -> None:
    """The build writes the lock beside the notes through the same commit: a write that fails without a
    file name (ENOSPC, EFBIG) is blamed on the file being written."""
    import errno

    from cheatdeck.errors import OutputError
    from cheatdeck.transaction import commit

    dist, notes = tmp_path / "dist", tmp_path / "notes"
    notes.mkdir()
    (notes / "cheatdeck.anki.lock").write_text("old lock\n", encoding="utf-8")

    def full_disk(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    files = [
        (dist / "deck.apkg", lambda path: path.write_bytes(b"deck")),
        (notes / "cheatdeck.anki.lock", full_disk),
    ]
    with pytest.raises(OutputError) as raised:
        commit(dist, files)
    assert str(raised.value).startswith(
        f"{notes / 'cheatdeck.anki.lock'}: No space left on device; nothing written"
    )
    assert (notes / "cheatdeck.anki.lock").read_text(encoding="utf-8") == "old lock\n"
    assert os.listdir(notes) == ["cheatdeck.anki.lock"] and not (dist / "deck.apkg").exists()


# What an imported page may carry: links only to the web, no debris ------------------------------------

_UNSAFE = ("JAVASCRIPT:alert(1)", " javascript:alert(2)", "java\tscript:alert(3)", "data:text/html,<b>4</b>")
_UNSAFE += ("file:///etc/passwd", "vbscript:msgbox(5)", "jAvAsCrIpT:alert(6)")
_SCHEMES = ("javascript", "java\tscript", "data:", "file:", "vbscript", "alert(", "msgbox", "passwd")


def _no_scheme_left(text: str) -> None:
    lowered = text.lower()
    for scheme in _SCHEMES:
        assert scheme not in lowered, scheme


def test_an_html_page_keeps_only_web_and_mail_links(tmp_path: Path) -> None:
    from html import escape

    page = tmp_path / "page.html"
    links = "".join(f'<li><a href="{escape(href)}">link {n}</a></li>' for n, href in enumerate(_UNSAFE))
    page.write_text(
        f"<html><body><h2>Link examples</h2><p>Some links.</p><ul>{links}"
        '<li><a href="https://example.com/ok">web</a> <a href="mailto:me@example.com">mail</a></li>'
        "</ul></body></html>",
        encoding="utf-8",
    )
    notes = tmp_path / "notes"
    import_guides([page], notes)
    text = (notes / "page.md").read_text(encoding="utf-8")
    _no_scheme_left(text)
    for number in range(len(_UNSAFE)):
        assert f"link {number}" in text  # the words stay, the address goes
    assert "[web](https://example.com/ok)" in text and "[mail](mailto:me@example.com)" in text


def test_a_markdown_guide_keeps_only_web_and_mail_links(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    inline = "".join(f"- [link {n}]({href.strip()})\n" for n, href in enumerate(_UNSAFE) if "\t" not in href)
    guide.write_text(
        f"## Link examples\n\nSome links.\n\n{inline}- <vbscript:msgbox(7)> and [ref][r]\n"
        "- [entity](javascript&colon;alert(9)) [tab](java&#9;script:alert(10))\n\n"
        "[r]: javascript:alert(8)\n\n- [web](https://example.com/ok)\n",
        encoding="utf-8",
    )
    notes = tmp_path / "notes"
    report = import_guides([guide], notes)
    text = (notes / "guide.md").read_text(encoding="utf-8")
    _no_scheme_left(text)
    assert "link 0" in text and "[web](https://example.com/ok)" in text
    assert any("link(s) to" in notice and "left out" in notice for notice in report.notices)


def test_refused_images_and_scripts_inside_svg_leave_no_debris(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><h2>Pictures</h2><p>Text before.</p>"
        '<p><img src="javascript:alert(1)" alt="a"><img src="data:image/png;base64,iVBOR(x)" alt="b">'
        '<img src="JAVASCRIPT:alert(2)"><img src="missing (copy).png" alt="c"></p>'
        '<svg><script>alert("svg")</script><style>p{}</style><text>drawn</text></svg>'
        "<math><script>alert('math')</script><mi>x</mi></math>"
        "<p>Text after.</p></body></html>",
        encoding="utf-8",
    )
    notes = tmp_path / "notes"
    report = import_guides([page], notes)
    text = (notes / "page.md").read_text(encoding="utf-8")
    _no_scheme_left(text)
    assert "iVBOR" not in text and "svg" not in text and "p{}" not in text and "copy" not in text
    note = load_sources(notes).note("pictures")
    words = f"{note.summary} {note.body}".split()
    assert set(words) <= {"Pictures", "Text", "before.", "x", "after."} and "after." in words, words
    assert all(len(notice) < 400 for notice in report.notices)
    assert any("image javascript:alert(1)" in notice for notice in report.notices)  # said, not silent


def test_two_vault_files_that_would_be_one_notes_file_are_both_named(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "K Means.md").write_text("## A\n\nOne.\n", encoding="utf-8")
    (vault / "k-means.md").write_text("## B\n\nTwo.\n", encoding="utf-8")
    status, output = _import(vault, "--into", tmp_path / "notes")
    assert status == 1
    assert f"{vault / 'K Means.md'} and {vault / 'k-means.md'} would both be written to" in output
    assert "vault/k-means.md" in output
    assert not (tmp_path / "notes").exists()


def test_a_page_nested_too_deep_is_refused_at_once_naming_the_file(tmp_path: Path) -> None:
    page = tmp_path / "deep.html"
    page.write_text(
        "<html><body><h2>Deep</h2>\n<p>Text.</p>\n" + "<div>" * 50_000 + "x" + "</div>" * 50_000, "utf-8"
    )
    status, output = _import(page, "--into", tmp_path / "notes")
    assert status == 1
    assert output.startswith(f"Error: {page}:3: elements nested deeper than ")
    assert "Traceback" not in output and not (tmp_path / "notes").exists()


def test_a_page_nested_as_deep_as_allowed_imports(tmp_path: Path) -> None:
    from cheatdeck.importer.html_markdown import DEEPEST_NESTING

    page = tmp_path / "deep.html"
    depth = DEEPEST_NESTING - 3  # html, body and the list below count too
    page.write_text(
        "<h2>Deep</h2><p>Text.</p>" + "<ul><li>" * (depth // 2) + "x" + "</li></ul>" * (depth // 2), "utf-8"
    )
    import_guides([page], tmp_path / "notes")
    assert "x" in load_sources(tmp_path / "notes").note("deep").body


# Which guide a notes file belongs to, and which notes are whose ----------------------------------------


def test_a_second_guide_with_the_same_file_name_never_replaces_the_first_ones_notes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "guide.md").write_text("## Alpha\n\nAlpha is first.\n", encoding="utf-8")
    (tmp_path / "b" / "guide.md").write_text("## Omega\n\nOmega is last.\n", encoding="utf-8")
    notes = tmp_path / "notes"
    import_guides([tmp_path / "a" / "guide.md"], notes)
    before = {p: p.read_bytes() for p in sorted(notes.rglob("*"))}
    status, output = _import(tmp_path / "b" / "guide.md", "--into", notes)
    assert status == 1
    assert (
        f"{notes / 'guide.md'} holds the notes imported from {tmp_path / 'a' / 'guide.md'}; "
        f"{tmp_path / 'b' / 'guide.md'} would replace them" in " ".join(output.split())
    )
    assert {p: p.read_bytes() for p in sorted(notes.rglob("*"))} == before


def test_a_guide_moved_to_another_folder_is_still_the_same_guide(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    guide = tmp_path / "a" / "guide.md"
    guide.write_text("## Alpha\n\nAlpha is first.\n\n## Beta\n\nBeta is second.\n", encoding="utf-8")
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    moved = tmp_path / "b" / "guide.md"
    moved.parent.mkdir()
    guide.rename(moved)
    moved.write_text(moved.read_text(encoding="utf-8").replace("second", "next"), encoding="utf-8")
    report = import_guides([moved], notes)
    assert report.updated == ["beta"] and report.unchanged == ["alpha"]


def test_a_lost_record_never_passes_the_guides_text_off_as_the_learners_edit(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text(
        "## Alpha\n\nAlpha is first.\n\n## Beta\n\nBeta is second.\n\n## Gamma\n\nGamma is third.\n", "utf-8"
    )
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    (notes / RECORD_FILE).unlink()
    path = notes / "guide.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Gamma is third.", "MY EDIT."), encoding="utf-8")
    guide.write_text(guide.read_text(encoding="utf-8").replace("Beta is second.", "Beta is next."), "utf-8")

    report = import_guides([guide], notes)
    lines = "\n".join(report.lines())
    assert report.unchanged == ["alpha"]  # same text as the guide's: nothing to tell
    assert report.kept == []  # nothing is called "your edit" that may not be one
    assert "kept your edit" not in lines
    assert f"no record of what was imported into {path}" in lines
    assert "beta, gamma" in lines  # each note that differs is named, with the way to take the guide's text
    text = path.read_text(encoding="utf-8")
    assert "MY EDIT." in text and "summary: Beta is second." in text  # the file's text, not the guide's

    # Taking the guide's text of one note: delete it and import again.
    header, sections = text.split("## Beta", 1)[0], text.split("## Gamma", 1)[1]
    path.write_text(header + "## Gamma" + sections, encoding="utf-8")
    again = import_guides([guide], notes)
    assert again.added == ["beta"] and "summary: Beta is next." in path.read_text(encoding="utf-8")
    assert "MY EDIT." in path.read_text(encoding="utf-8")


def test_a_note_the_learner_moved_to_another_file_stays_there_under_its_id(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("## Alpha\n\nAlpha is first.\n\n## Beta\n\nBeta is second.\n", encoding="utf-8")
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    path = notes / "guide.md"
    text = path.read_text(encoding="utf-8")
    beta = text[text.index("## Beta") :]
    path.write_text(text[: text.index("## Beta")], encoding="utf-8")
    (notes / "mine.md").write_text("# Mine\n\n" + beta, encoding="utf-8")

    report = import_guides([guide], notes)
    assert [note.id for note in load_sources(notes).notes] == ["alpha", "beta"]  # no beta-2
    assert report.added == [] and "## Beta" not in path.read_text(encoding="utf-8")
    assert any(f"beta: you moved it to {notes / 'mine.md'}" in notice for notice in report.notices)
    again = import_guides([guide], notes)
    assert again.written == [] and again.added == []


_KILLED_IMPORT = textwrap.dedent(
    """
    import io, os, signal, sys
    from pathlib import Path
    notes = os.path.realpath(sys.argv[2])
    real_open, real_replace = io.open, os.replace

    class HalfThenKilled:  # writes half of what it is given, then the process dies (kill -9)
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()
        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    def killing_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        path = os.path.realpath(file) if isinstance(file, (str, os.PathLike)) else ""
        if "w" in mode and path.startswith(notes) and "guide.md" in os.path.basename(path):
            return HalfThenKilled(handle)
        return handle

    def killing_replace(source, target, *args, **kwargs):
        real_replace(source, target, *args, **kwargs)
        if os.path.basename(target) == "guide.md":
            os.kill(os.getpid(), signal.SIGKILL)

    if sys.argv[3] == "while-writing":
        io.open = killing_open
    else:
        os.replace = killing_replace
    from cheatdeck.cli import main
    main(["import", sys.argv[1], "--into", sys.argv[2]])
    """
)


@pytest.mark.parametrize("moment", ["while-writing", "after-the-first-rename"])
def test_an_import_killed_at_any_moment_loses_no_edit(tmp_path: Path, moment: str) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("".join(f"## Topic {n}\n\nA thing worth knowing.\n\n" for n in range(40)), "utf-8")
    (tmp_path / "pic.png").write_bytes(PNG)
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    path = notes / "guide.md"
    old = path.read_text(encoding="utf-8").replace("## Topic 35 {", "## MY OWN WORDS {", 1)
    path.write_text(old, encoding="utf-8")
    guide.write_text(
        guide.read_text(encoding="utf-8").replace("worth knowing", "worth learning") + "![p](pic.png)\n",
        "utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_IMPORT, str(guide), str(notes), moment],
        capture_output=True,
        cwd=Path(__file__).parent.parent,
        check=False,
    )
    assert done.returncode == -9, done.stderr  # it really was killed
    report = import_guides([guide], notes)  # the next import finds what the killed one left
    text = path.read_text(encoding="utf-8")
    assert "## MY OWN WORDS {#topic-35}" in text
    assert [note.id for note in load_sources(notes).notes] == [f"topic-{n}" for n in range(40)]
    assert "worth learning" in text and len(report.updated) == 39
    assert sorted(p.name for p in notes.iterdir()) == [
        "cheatdeck.import.json",
        "deck.yaml",
        "guide.md",
        "media",
    ]


def test_a_note_copied_to_another_file_is_refused_naming_both(tmp_path: Path) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("## Alpha\n\nAlpha is first.\n\n## Beta\n\nBeta is second.\n", encoding="utf-8")
    notes = tmp_path / "notes"
    import_guides([guide], notes)
    path = notes / "guide.md"
    text = path.read_text(encoding="utf-8")
    (notes / "mine.md").write_text("# Mine\n\n" + text[text.index("## Beta") :], encoding="utf-8")
    line = text.split("\n").index("## Beta {#beta}") + 1
    before = {p: p.read_bytes() for p in sorted(notes.rglob("*"))}
    status, output = _import(guide, "--into", notes)
    assert status == 1
    assert f"{path}:{line}: note id 'beta' is also in {notes / 'mine.md'}" in output
    assert {p: p.read_bytes() for p in sorted(notes.rglob("*"))} == before
