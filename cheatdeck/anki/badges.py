"""Each kind's colours on its cards' badges, day and night, without a field in an attribute or a new field.

A card knows its note's kind only through the `Kind` field's text, and two rules hold: no template puts a
field inside a tag (Anki pastes a field there as it is), and no note's fields change for a colour (the next
`.apkg` import would overwrite every learner's edit). So the note type carries the colours: its CSS gives
each kind a class (`cheatdeck-kind-<n>`, by position in the deck's kinds) with the kind's `colour` and
`night` colour, and a short script in each card front that shows a badge (`class="kind"`) reads the
badge's kind label (its `class="kind-name"` part, else its text) and adds the class of the kind with that
label. The labels are data in the script: a JSON array (a JavaScript literal) whose strings write what
could close the script (`<`, `>`, `&`) or be read by Anki's template syntax (`{`, `}`) as `\\u` escapes.
Without scripts (a reviewer that runs none) or with a label edited in Anki, the badge stays neutral.
"""

from __future__ import annotations

import json

from cheatdeck.notes.kinds import Kinds

_BADGE = 'class="kind'
_CLASS = "cheatdeck-kind"
_ESCAPED = {ord(char): f"\\u{ord(char):04x}" for char in "<>&{}\u2028\u2029"}

SCRIPT_MARK = "/* cheatdeck: kind colours */"
"""The first line of the script (tests find it by this)."""


def kind_css(kinds: Kinds) -> str:
    """Return the CSS that colours each kind's badges, by day and by night (colours are `#rrggbb`)."""
    rules = []
    for index, spec in enumerate(kinds):
        badge = f".kind.{_CLASS}-{index}"
        rules.append(f"{badge} {{ color: {spec.colour}; }}")
        rules.append(f".nightMode {badge}, .night_mode {badge} {{ color: {spec.night}; }}")
    return "\n".join(rules) + "\n"


def kind_script(kinds: Kinds) -> str:
    """Return the script that gives each badge its kind's class, from its label."""
    labels = json.dumps([[" ".join(spec.label.split()), index] for index, spec in enumerate(kinds)])
    table = labels.translate(_ESCAPED)
    script = f"""<script>
{SCRIPT_MARK}
(function () {{
  var labels = {table};
  var classes = new Map(labels.map(function (pair) {{ return [pair[0], "{_CLASS}-" + pair[1]]; }}));
  var badges = document.querySelectorAll(".kind");
  for (var i = 0; i < badges.length; i++) {{
    var label = badges[i].querySelector(".kind-name") || badges[i];
    var found = classes.get(label.textContent.split(/\\s+/).filter(Boolean).join(" "));
    if (found) {{
      badges[i].classList.add(found);
    }}
  }}
}})();
</script>"""
    assert "{{" not in script and "}}" not in script, "Anki would read template syntax in the script"
    return script


def with_kind_colours(front: str, kinds: Kinds) -> str:
    """Return a card front that shows a kind badge with the script that colours it (others as they are)."""
    return f"{front.rstrip()}\n{kind_script(kinds)}\n" if _BADGE in front else front
