"""What the PDF renderer may read: files inside the notes folder and the templates folder, nothing else.

WeasyPrint resolves every URL in the sheet (images, references inside an SVG, stylesheets, fonts) against a
base URL and asks a fetcher for it. The base is the deck's `source_url` when `deck.yaml` declares one (so a
relative link in a note points to where the notes are published), else `NOTES_URL`, an address that names
no machine. The fetcher maps URLs under the base to files in the notes folder, and URLs under
`TEMPLATES_URL` to files in the templates folder, and refuses any that resolve outside them (`..`,
`%2e%2e`, symbolic links) or into hidden folders. `data:` URLs carry their own bytes. Every other URL
(`file:`, an absolute path, `http:`) is refused, so no SVG or stylesheet can pull a local file into the
PDF or reach the network, and no path of this machine is written into the PDF: it is the same
byte for byte wherever the notes are checked out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

NOTES_URL = "https://notes.cheatdeck.invalid/"
TEMPLATES_URL = "https://templates.cheatdeck.invalid/"
_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".css": "text/css",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}


def notes_url(source_url: str | None) -> str:
    """Return the base URL of the notes folder: the declared `source_url` (as a folder), or `NOTES_URL`."""
    if not source_url:
        return NOTES_URL
    return source_url if source_url.endswith("/") else f"{source_url}/"


def local_file(url: str, roots: Mapping[str, Path]) -> Path | None:
    """Return the file `url` names under one of the `roots` (base URL → folder), if it is a regular
    file inside that folder and outside hidden folders; else None."""
    for prefix, folder in roots.items():
        if not url.startswith(prefix):
            continue
        relative = unquote(url[len(prefix) :].split("#", 1)[0].split("?", 1)[0])
        if not relative or "\0" in relative or "\\" in relative:
            return None
        base = folder.resolve()
        path = (base / relative).resolve()
        inside = path.is_relative_to(base) and not any(
            part.startswith(".") for part in path.relative_to(base).parts
        )
        return path if inside and path.is_file() else None
    return None


def local_fetcher(roots: Mapping[str, Path], served: dict[str, str] | None = None) -> Any:
    """Return a WeasyPrint URL fetcher that reads only what `local_file` allows (and `data:` URLs);
    `served`, if given, records the sha256 of each file read, by URL."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = local_file(url, roots)
            if path is None:
                raise ValueError(f"not read: {url} (only files inside the notes and templates folders are)")
            content_type = _TYPES.get(path.suffix.lower(), "application/octet-stream")
            content = path.read_bytes()
            if served is not None:
                served[url] = hashlib.sha256(content).hexdigest()
            return URLFetcherResponse(url, content, {"Content-Type": content_type})

    return LocalFetcher(allowed_protocols={"data"})
