"""Draw the README's picture of a card: one card of the built deck as Anki shows it, in headless Chromium.

The built `.apkg` is imported into a scratch collection with Anki's backend; the card's answer side
(`card.answer()`, the question above it) is wrapped with its note type's CSS as Anki's reviewer does
(`<body class="card">`), shot at 500 x 400 CSS pixels, cut below its last line and reduced to a small
PNG (48 colours).

    .venv/bin/python scripts/card_image.py dist/aws-mls-c01.apkg docs/images/card-term.png --note polly
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def card_page(package: Path, note_id: str, template: str, scratch: Path) -> str:
    """Return the HTML page of one card's answer side, as Anki's backend renders it."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    collection = Collection(str(scratch / "collection.anki2"))
    try:
        request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
        collection.import_anki_package(request)
        for card_id in collection.find_cards(f'"Source id:{note_id}"'):
            card = collection.get_card(card_id)
            if card.template()["name"] == template:
                css = card.note_type()["css"]
                answer = card.answer()
                break
        else:
            raise SystemExit(f"no {template!r} card of the note {note_id!r} in {package}")
    finally:
        collection.close()
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(note_id)}</title><style>{css}</style></head>"
        f"<body class='card'><div id='qa'>{answer}</div></body></html>"
    )


def shoot(page: Path, picture: Path, size: tuple[int, int]) -> None:
    """Screenshot `page` with headless Chromium at `size` CSS pixels."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("needs Chromium (Debian/Ubuntu: chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={picture}",
                f"--window-size={size[0]},{size[1]}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )


def reduce(picture: Path, colours: int = 48, margin: int = 16) -> None:
    """Rewrite `picture` as a small PNG of a few colours, cut below the card's last line (Pillow comes
    with WeasyPrint)."""
    from PIL import Image, ImageChops

    image = Image.open(picture).convert("RGB")
    background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
    box = ImageChops.difference(image, background).getbbox()
    if box is not None:
        image = image.crop((0, 0, image.width, min(image.height, box[3] + margin)))
    image.quantize(colours, dither=Image.Dither.NONE).save(picture, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the built deck (dist/aws-mls-c01.apkg)")
    parser.add_argument("picture", type=Path, help="the PNG to write")
    parser.add_argument("--note", default="polly", help="the note's id in the notes (default: polly)")
    parser.add_argument("--template", default="Term", help="the card's template name (default: Term)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        page = folder / "card.html"
        page.write_text(card_page(arguments.package.resolve(), arguments.note, arguments.template, folder))
        shot = folder / "card.png"
        shoot(page, shot, (500, 400))
        reduce(shot)
        arguments.picture.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, arguments.picture)


if __name__ == "__main__":
    main()
