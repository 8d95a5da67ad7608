"""Read a PDF's text back the way a viewer does (PDFium), for tests that look for words on a page.

pypdf decodes WeasyPrint's custom font encodings wrongly on some font sets (a subset with a `WP-Encod`
CMap garbles the rest of the page), so a test checking printed words would depend on the machine's fonts.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2


def page_texts(path: Path) -> list[str]:
    """Return the text of each page of the PDF at `path`."""
    document = pypdfium2.PdfDocument(path)
    try:
        texts = []
        for page in document:
            text_page = page.get_textpage()
            texts.append(text_page.get_text_range().replace("\r\n", "\n"))
            text_page.close()
            page.close()
        return texts
    finally:
        document.close()
