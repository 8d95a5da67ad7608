"""The grid's outputs as their readers open them: grid.html in a real browser (headless Chromium, from the
system's packages) at desktop and phone widths, grid.csv as Excel reads its first bytes."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Built

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Run inside the page once laid out: the left edge of each column in the first row of every group's table
# (they must match within a grid part), every word of a cell drawn on more than one line (a break inside
# it; breaks at spaces, hyphens and slashes are fine), and whether the page is wider than the window.
MEASURE = """<script>
(function () {
  var out = {width: window.innerWidth, misaligned: [], broken: [], overflow: 0};
  document.querySelectorAll(".grid-part").forEach(function (part) {
    var first = null;
    part.querySelectorAll("table.grid").forEach(function (table) {
      var lefts = Array.from(table.querySelectorAll("tbody tr:first-child td")).map(function (cell) {
        return Math.round(cell.getBoundingClientRect().left);
      });
      if (first === null) { first = lefts; }
      else if (JSON.stringify(lefts) !== JSON.stringify(first)) { out.misaligned.push([first, lefts]); }
    });
  });
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), node, match;
  while ((node = walker.nextNode())) {
    if (!node.parentElement.closest("table.grid")) { continue; }
    var word = /[^\\s\\-\\u2010-\\u2015\\/]+/g;
    while ((match = word.exec(node.data))) {
      var range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      var lines = new Set(Array.from(range.getClientRects()).map(function (r) { return Math.round(r.top); }));
      if (lines.size > 1) { out.broken.push(match[0]); }
    }
  }
  out.overflow = document.documentElement.scrollWidth - window.innerWidth;
  var pre = document.createElement("pre");
  pre.id = "measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""

# A headless window is at least 500 px wide: a phone's 375 px is an iframe of that width, measured inside.
PHONE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="phone" style="width:375px;height:800px;border:0" srcdoc="{page}"></iframe>
<script>window.addEventListener("load", function () {{
  var pre = document.createElement("pre");
  pre.id = "measure";
  pre.textContent = document.getElementById("phone").contentDocument.getElementById("measure").textContent;
  document.body.appendChild(pre);
}});</script></body></html>"""


def _measure(page: Path, width: int) -> dict[str, object]:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},900"]
    result = subprocess.run(
        [*command, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    )
    found = re.search(r'<pre id="measure">(.*?)</pre>', result.stdout, flags=re.DOTALL)
    assert found, result.stdout[-2000:]
    measured: dict[str, object] = json.loads(html.unescape(found[1]))
    return measured


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")
def test_grid_html_columns_line_up_and_no_word_breaks_inside_at_desktop_and_phone_widths(
    built: Built, tmp_path: Path
) -> None:
    page = (built.out / "grid.html").read_text(encoding="utf-8").replace("</body>", f"{MEASURE}</body>")
    desktop = tmp_path / "grid.html"
    desktop.write_text(page, encoding="utf-8")
    phone = tmp_path / "phone.html"
    phone.write_text(PHONE.format(page=html.escape(page, quote=True)), encoding="utf-8")
    for path, width, expected in ((desktop, 1280, 1280), (desktop, 800, 800), (phone, 800, 375)):
        measured = _measure(path, width)
        assert measured["width"] == expected
        assert measured["misaligned"] == [], (expected, measured)
        assert measured["broken"] == [], (expected, measured)
        assert int(str(measured["overflow"])) <= 0, (expected, measured)  # a scrollbar: negative


def test_grid_csv_starts_with_a_byte_order_mark_so_excel_reads_utf8(built: Built) -> None:
    data = (built.out / "grid.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbftable,group,name,")
    assert "Term frequency\u2013inverse document frequency" in data.decode("utf-8-sig")
