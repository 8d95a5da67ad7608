"""The newcomer's path: the commands the README shows work as shown, and fail helpfully when they cannot."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_build_py_outside_the_environment_says_how_to_run_it(tmp_path: Path) -> None:
    # `-S`: no site-packages, as a system Python without the project's libraries; build.py's own folder is
    # still on the path, so cheatdeck itself imports and only its dependencies are missing.
    result = subprocess.run(
        [sys.executable, "-S", str(ROOT / "build.py"), "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("build.py: click is not installed for ")
    assert "`.venv/bin/python build.py`" in result.stderr
    assert "`python3 -m venv .venv && .venv/bin/pip install -e .`" in result.stderr


def _copy_of_the_repository(target: Path) -> Path:
    """Copy the repository's own files (not its environment, outputs or caches) to `target`."""
    anywhere = shutil.ignore_patterns(".git", "__pycache__", ".*_cache", ".hypothesis")
    at_the_top = shutil.ignore_patterns(".venv", "dist", "build", "*.egg-info")  # cheatdeck/build/ is code

    def ignored(folder: str, names: list[str]) -> set[str]:
        return anywhere(folder, names) | (at_the_top(folder, names) if Path(folder) == ROOT else set())

    shutil.copytree(ROOT, target, ignore=ignored)
    return target


def _build_wheel(checkout: Path, wheels: Path) -> Path:
    """Build cheatdeck's wheel as `pip install .` does: in an isolated build environment with the
    setuptools pyproject.toml asks for (from the configured package index)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(checkout), "--no-deps", "-q", "-w", str(wheels)],
        cwd=checkout,
        check=True,
    )
    (wheel,) = wheels.glob("cheatdeck-*.whl")
    return wheel


def _environment_reusing_these_libraries(folder: Path) -> Path:
    """Create a virtual environment that sees this one's libraries (a .pth line: nothing is downloaded)
    but not its cheatdeck, and return its bin folder."""
    venv.create(folder, with_pip=False)
    bin_folder = folder / "bin"
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    own = subprocess.run([bin_folder / "python", "-c", ask], capture_output=True, text=True, check=True)
    # A plain path line: the directory is searched, but the .pth files in it (this checkout's editable
    # cheatdeck) are not run.
    Path(own.stdout.strip(), "libraries-of-the-test-environment.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    return bin_folder


@pytest.mark.slow
def test_a_regular_install_from_a_wheel_ships_the_templates_and_the_format_guide(tmp_path: Path) -> None:
    wheel = _build_wheel(_copy_of_the_repository(tmp_path / "checkout"), tmp_path / "wheels")
    bin_folder = _environment_reusing_these_libraries(tmp_path / "venv")
    subprocess.run(
        [
            bin_folder / "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            wheel,
        ],
        check=True,
    )
    shutil.rmtree(tmp_path / "checkout")  # nothing may be read from a checkout any more
    where = tmp_path / "elsewhere"
    where.mkdir()

    def cheatdeck(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [bin_folder / "cheatdeck", *arguments], cwd=where, capture_output=True, text=True, check=False
        )

    found = subprocess.run(
        [bin_folder / "python", "-c", "import cheatdeck; print(cheatdeck.SHIPPED_TEMPLATES)"],
        cwd=where,
        capture_output=True,
        text=True,
        check=True,
    )
    templates = Path(found.stdout.strip())
    assert templates.is_relative_to(tmp_path / "venv") and (templates / "sheet.html.j2").is_file()
    created = cheatdeck("new", "exam", "--title", "My exam")
    assert created.returncode == 0, created.stderr
    guide = (where / "exam" / "README.md").read_text(encoding="utf-8")
    assert guide == (ROOT / "source" / "README.md").read_text(encoding="utf-8")
    built = cheatdeck("build", "--source", "exam", "--out", "out")
    assert built.returncode == 0, built.stderr
    written = sorted(path.name for path in (where / "out").iterdir() if not path.name.startswith("."))
    assert written[:3] == ["cheatsheet.pdf", "grid.csv", "grid.html"]
    assert re.fullmatch(r"my-exam-[0-9a-f]{6}\.apkg", written[3]) and len(written) == 4


def test_a_build_says_why_it_rewrote_each_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One line per file written, with its reason, at the default verbosity (deck and grid: no PDF)."""
    from click.testing import CliRunner

    from cheatdeck.cli import main
    from tests.conftest import FROZEN_NOW, set_clock

    source, out, templates = tmp_path / "notes", tmp_path / "out", tmp_path / "templates"
    source.mkdir()
    (source / "deck.yaml").write_text("id: why\ntitle: Why\n", encoding="utf-8")
    notes = "notes:\n  - id: c\n    title: C\n    kind: concept\n    summary: A concept.\n    body: One.\n"
    (source / "notes.yaml").write_text(notes, encoding="utf-8")
    shutil.copytree(ROOT / "templates", templates)

    def build(*options: str) -> list[str]:
        command = ["build", "--source", str(source), "--out", str(out), "--templates", str(templates)]
        result = CliRunner().invoke(main, [*command, "--artefact", "deck", "--artefact", "grid", *options])
        assert result.exit_code == 0, result.output
        return [line for line in result.output.splitlines() if line.startswith(("wrote", "nothing to do"))]

    deck, csv, html = out / "why.apkg", out / "grid.csv", out / "grid.html"
    assert build() == [f"wrote {path}: not built in {out} before" for path in (deck, csv, html)]
    assert build() == ["nothing to do: every output is up to date"]

    set_clock(monkeypatch, FROZEN_NOW + 2 * 86_400)  # the body is on no grid: only the grid's day moves
    (source / "notes.yaml").write_text(notes.replace("One.", "Two."), encoding="utf-8")
    assert build() == [
        f"wrote {deck}: notes changed",
        f"wrote {csv}: notes changed, the printed day moved (2026-11-25 → 2026-11-27)",
        f"wrote {html}: notes changed, the printed day moved (2026-11-25 → 2026-11-27)",
    ]

    with (templates / "grid.css").open("a", encoding="utf-8") as css:
        css.write("table { border: 1px solid black; }\n")
    assert build() == [f"wrote {csv}: templates changed", f"wrote {html}: templates changed"]

    csv.unlink()
    assert build() == [f"wrote {path}: grid.csv was changed or removed in {out}" for path in (csv, html)]
    assert build("--force") == [f"wrote {path}: forced (--force)" for path in (deck, csv, html)]


@pytest.mark.slow
def test_without_harfbuzz_s_subsetter_a_build_says_so_once_and_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WeasyPrint falls back to fontTools and says so for every font of every part; the build says it once."""
    from click.testing import CliRunner
    from weasyprint.pdf import fonts as pdf_fonts

    from cheatdeck.cli import main

    monkeypatch.setattr(pdf_fonts, "harfbuzz_subset", None)  # as on a machine without libharfbuzz-subset0
    source = tmp_path / "notes"
    source.mkdir()
    (source / "deck.yaml").write_text("id: fonts\ntitle: Fonts\n", encoding="utf-8")
    notes = "notes:\n  - id: c\n    title: C\n    kind: concept\n    summary: A concept, *in italics*.\n"
    (source / "notes.yaml").write_text(notes, encoding="utf-8")
    command = ["build", "--source", str(source), "--out", str(tmp_path / "out"), "--artefact", "sheet"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "fontTools" in line or "HarfBuzz" in line]
    assert said == [
        "warning: HarfBuzz's font subsetter is not installed, so the PDF's fonts are subset with fontTools,"
        " which is slower; install it for faster builds (Debian/Ubuntu: libharfbuzz-subset0)"
    ]
    assert (tmp_path / "out" / "cheatsheet.pdf").read_bytes().startswith(b"%PDF")


def _readme_blocks() -> list[tuple[str, str]]:
    """Return the README's fenced blocks as (language, text), in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```(\w*)\n(.*?)^```$", readme, flags=re.MULTILINE | re.DOTALL)


def _fresh_shell(home: Path) -> dict[str, str]:
    """The environment of a new login shell: `python3` on the PATH, a home of its own. The one addition:
    PYTHONPATH shows cheatdeck's libraries already installed for these tests, so `pip install` finds them
    satisfied and downloads only its build backend (CI's `.ci/run` installs them for real)."""
    bin_folder = home / "bin"
    bin_folder.mkdir(parents=True)
    (bin_folder / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    kept = {key: value for key, value in os.environ.items() if key.startswith(("PIP_", "SOURCE_DATE_EPOCH"))}
    return {
        **kept,
        "HOME": str(home),
        "PATH": f"{bin_folder}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        # the README's test command, narrowed to one quick test: this test checks the command, not the suite
        "PYTEST_ADDOPTS": "-p no:cacheprovider -k test_a_key_indented_too_far",
    }


@pytest.mark.slow
def test_every_command_block_of_the_readme_runs_as_written(tmp_path: Path) -> None:
    checkout = _copy_of_the_repository(tmp_path / "cheatdeck")
    environment = _fresh_shell(tmp_path / "home")
    blocks = _readme_blocks()
    (first_note,) = [text for language, text in blocks if language == "yaml"]
    (error,) = [text for language, text in blocks if language == ""]
    shell = [text for language, text in blocks if language == "sh"]
    assert any("build.py new my-notes" in block for block in shell), "the first note starts a notes folder"

    def run(block: str) -> str:
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", block],
            cwd=checkout,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{block}\n{result.stdout}\n{result.stderr}"
        return result.stdout + result.stderr

    for block in shell:
        run(block)
        if "build.py new my-notes" in block:  # "Add this one at the end of the `notes:` list"
            with (checkout / "my-notes" / "notes.yaml").open("a", encoding="utf-8") as notes:
                notes.write(first_note)
    for built in ("dist/aws-mls-c01.apkg", "dist/cheatsheet.pdf", "dist/grid.csv", "dist/grid.html"):
        assert (checkout / built).is_file(), built
    assert (checkout / "my-dist" / "cheatsheet.pdf").is_file()

    notes = checkout / "my-notes" / "notes.yaml"  # the README's example of an error, as check reports it
    notes.write_text(
        notes.read_text(encoding="utf-8").replace(
            "kind: concept\n    summary: A model", "kind: concpet\n    summary: A model"
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        ["bash", "-c", ".venv/bin/python build.py check --source my-notes"],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-2:] == error.splitlines()


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown text."""
    headings = re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_link_between_the_readme_and_the_docs_leads_somewhere() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    checked = 0
    for page in pages:
        text = re.sub(r"```.*?```|`[^`\n]*`", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)  # code
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://")):
                continue
            address, _, anchor = target.partition("#")
            linked = (page.parent / address).resolve() if address else page
            assert linked.exists(), f"{page.name}: {target}"
            if anchor:
                assert anchor in _anchors(linked.read_text(encoding="utf-8")), f"{page.name}: {target}"
            checked += 1
    assert checked > 20
    assert not re.search(r"\bissue \d", "\n".join(page.read_text(encoding="utf-8") for page in pages))
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


def test_without_the_condensed_face_a_build_says_so_once_and_names_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sheet asks for DejaVu Sans Condensed; without it fontconfig gives a wider face, silently."""
    from click.testing import CliRunner

    from cheatdeck.cli import main
    from cheatdeck.sheet import fonts

    installed = fonts.font_families()
    if installed is None:
        pytest.skip("fontconfig's fc-list is not installed: the fonts cannot be asked")
    monkeypatch.setattr(fonts, "font_families", lambda: installed - {fonts.CONDENSED_FAMILY})
    source = tmp_path / "notes"
    source.mkdir()
    (source / "deck.yaml").write_text("id: face\ntitle: Face\n", encoding="utf-8")
    notes = "notes:\n  - id: c\n    title: C\n    kind: concept\n    summary: A concept.\n"
    (source / "notes.yaml").write_text(notes, encoding="utf-8")
    command = ["build", "--source", str(source), "--out", str(tmp_path / "out"), "--artefact", "sheet"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if "Condensed" in line] == [
        "warning: the sheet's type, DejaVu Sans Condensed, is not installed, so the sheet is set in a wider"
        " face and takes more room; install it for the sheet as designed (Debian/Ubuntu: fonts-dejavu-extra)"
    ]
    monkeypatch.setattr(fonts, "font_families", lambda: installed | {fonts.CONDENSED_FAMILY})
    assert fonts.missing_face_notice(ROOT / "templates") is None
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "sheet.css").write_text("html { font-family: serif; }\n", encoding="utf-8")
    monkeypatch.setattr(fonts, "font_families", frozenset)
    assert fonts.missing_face_notice(tmp_path / "own") is None  # a stylesheet of one's own, another face


def test_every_folder_of_code_is_a_package_the_wheel_ships() -> None:
    """pyproject.toml lists cheatdeck's packages by hand: a new stage folder must be added there too."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    )
    folders = {
        ".".join(folder.relative_to(ROOT).parts)
        for folder in [ROOT / "cheatdeck", *(ROOT / "cheatdeck").rglob("*")]
        if folder.is_dir() and any(folder.glob("*.py"))
    }
    assert folders <= listed, f"add to [tool.setuptools] packages: {sorted(folders - listed)}"


def _next_command(output: str) -> list[str]:
    """Return the words of the command a command's `next:` line tells the learner to type."""
    (line,) = [line for line in output.splitlines() if line.startswith("next: ")]
    return shlex.split(line.removeprefix("next: "))


@pytest.mark.parametrize("command", ["new", "import"])
def test_new_and_import_name_their_next_command_as_a_fresh_shell_runs_it(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`new` and `import` said `next: python build.py check …`, which in a fresh shell (no venv active)
    fails with ModuleNotFoundError; the README writes `.venv/bin/python build.py …`. The folder is quoted
    so a name with a space is one word."""
    from click.testing import CliRunner

    from cheatdeck.cli import main

    monkeypatch.chdir(tmp_path)
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\n## Amazon S3\n\nObject storage.\n", encoding="utf-8")
    arguments = ["new", "my notes"] if command == "new" else ["import", str(guide), "--into", "my notes"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    words = _next_command(result.output)
    assert words[:2] == [".venv/bin/python", "build.py"], words
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"\n.venv/bin/python build.py {words[2]} --source " in readme  # the form the README shows
    checked = CliRunner().invoke(main, words[2:])
    assert checked.exit_code == 0, checked.output


def test_the_bench_guide_names_no_internal_issue_numbers() -> None:
    text = (ROOT / "bench" / "README.md").read_text(encoding="utf-8")
    assert not re.findall(r".{0,30}\bissues? \d+.{0,30}", text, flags=re.IGNORECASE)


def test_the_readme_shows_a_card_beside_the_sheet() -> None:
    """The README showed the sheet only; what it makes first is a deck (issue's "a picture of a card")."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = re.findall(r"!\[([^\]]*)\]\((docs/images/[^)]+\.png)\)", readme)
    cards = [path for alt, path in pictures if "card" in alt.lower()]
    sheets = [path for alt, path in pictures if "sheet" in alt.lower()]
    assert cards and sheets, pictures
    for path in cards:
        picture = (ROOT / path).read_bytes()
        assert picture.startswith(b"\x89PNG") and len(picture) < 30_000, (path, len(picture))


@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="needs Chromium (Debian: chromium)",
)
def test_the_card_picture_is_drawn_from_a_built_deck_as_anki_renders_it(tmp_path: Path) -> None:
    """scripts/card_image.py: the deck built from source/, imported by Anki's backend, shot in Chromium."""
    from PIL import Image

    from tests.conftest import SOURCE, build_into

    out, source = tmp_path / "dist", tmp_path / "source"
    shutil.copytree(SOURCE, source)
    build_into(source, out, artefacts=("deck",))
    picture = tmp_path / "card.png"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "card_image.py"),
            str(out / "aws-mls-c01.apkg"),
            str(picture),
        ],
        check=True,
        capture_output=True,
    )
    image = Image.open(picture).convert("RGB")
    assert image.width == 500 and 100 < image.height <= 400
    assert len(image.getcolors(256) or []) > 4  # text and a badge, not a blank page
    assert picture.stat().st_size < 30_000
