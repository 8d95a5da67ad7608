# Shortcuts for development; each target is one documented command (docs/development.md).
PY := .venv/bin/python

.PHONY: install test test-slow lint snapshots bench bench-sheet dist images
install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[test]'
test:
	$(PY) -m pytest
test-slow:
	$(PY) -m pytest -m slow
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy
snapshots:
	$(PY) -m pytest --snapshot-update
bench:
	$(PY) bench/bench.py
bench-sheet:
	$(PY) bench/sheet_bench.py
dist:
	$(PY) build.py
# The README's pictures: the shipped sheet's two pages at 60 dpi, in 48 colours (Pillow comes with WeasyPrint),
# and a card of the deck as Anki renders it, shot in headless Chromium (needs the test extra's anki).
images: dist
	$(PY) scripts/card_image.py dist/aws-mls-c01.apkg docs/images/card-term.png
	pdftoppm -png -r 60 -f 1 -l 2 dist/cheatsheet.pdf docs/images/sheet-page
	$(PY) -c "import sys; from PIL import Image; [Image.open(p).convert('RGB').quantize(48, dither=Image.Dither.NONE).save(p, optimize=True) for p in sys.argv[1:]]" docs/images/sheet-page-1.png docs/images/sheet-page-2.png
