"""axe-core's WCAG 2.1 A/AA rules, run in headless Chromium on a page, and keyboard access to its folds.

axe-core comes from the npm registry at the version locked in tools/a11y (`make a11y-tools`); a test
skips, saying why, when Chromium or axe-core is not installed. The page is checked twice in one
browser run: as it opens (lists folded), then with every `<details>` open, so folded content is
checked too. Each `<summary>` must take the keyboard focus and unfold its list when activated.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.scoring.adapters.pdf import HEADLESS

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools" / "a11y"
AXE = TOOLS / "node_modules" / "axe-core"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: axe's "best practice" rules on a page's structure, run beside the WCAG ones: headings in order,
#: one main landmark, every content inside a landmark, a first-level heading.
STRUCTURE_RULES = ("heading-order", "landmark-one-main", "region", "page-has-heading-one")
#: Debian's chromium as the PDF renderer runs it, without scrollbars.
CHROMIUM = ["chromium", *HEADLESS, "--hide-scrollbars"]

_RUN = """<script>%(axe)s</script><script>
(async function () {
  var options = {runOnly: {type: "tag", values: %(tags)s}, rules: %(rules)s, resultTypes: ["violations"]};
  function keep(result, state) {
    return result.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help, state: state,
              nodes: v.nodes.map(function (n) { return n.target.join(" ") + " " + n.html.slice(0, 160); })};
    });
  }
  var found = keep(await axe.run(document, options), "folded");
  var folds = Array.from(document.querySelectorAll("details"));
  var keyboard = folds.map(function (d) {
    var summary = d.querySelector("summary");
    if (!summary) { return "a <details> without <summary>"; }
    summary.focus();
    if (document.activeElement !== summary) {
      return "a <summary> does not take the focus: " + summary.textContent;
    }
    var before = d.open; summary.click();
    return d.open === before ? "a <summary> does not unfold its list: " + summary.textContent : null;
  }).filter(function (problem) { return problem; });
  folds.forEach(function (d) { d.open = true; });
  found = found.concat(keep(await axe.run(document, options), "unfolded"));
  var out = document.createElement("pre"); out.id = "axe-results";
  out.textContent = JSON.stringify({violations: found, keyboard: keyboard, folds: folds.length});
  document.body.appendChild(out);
})();
</script></body>"""


@dataclass(frozen=True)
class Audit:
    """What axe-core and the keyboard check found on a page."""

    violations: list[dict[str, Any]]
    keyboard: list[str]
    folds: int

    @property
    def clean(self) -> bool:
        """Tell whether nothing was found."""
        return not self.violations and not self.keyboard

    def report(self) -> str:
        """List every violation, one per line, with the nodes it names."""
        lines = [
            f"{v['id']} ({v['impact']}, {v['state']}): {v['help']} — {v['nodes'][:3]}"
            for v in self.violations
        ]
        return "\n".join(lines + self.keyboard)


def axe_version() -> str:
    """Return the axe-core version tools/a11y locks."""
    lock = json.loads((TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"]["node_modules/axe-core"]["version"])


def axe_script() -> str:
    """Return axe-core's script, or skip the test saying what is missing."""
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make browser installs it): no accessibility audit")
    if not (AXE / "axe.min.js").exists():
        missing = "npm is not installed" if shutil.which("npm") is None else "run make a11y-tools"
        pytest.skip(f"axe-core is not installed in tools/a11y ({missing}): no accessibility audit")
    installed = json.loads((AXE / "package.json").read_text(encoding="utf-8"))["version"]
    assert installed == axe_version(), (
        f"axe-core {installed} installed, {axe_version()} locked: run make a11y-tools"
    )
    return (AXE / "axe.min.js").read_text(encoding="utf-8")


def audit(page: str, tmp_path: Path, *, name: str = "page") -> Audit:
    """Run axe-core's WCAG 2.1 A/AA rules and the keyboard check on a page in headless Chromium."""
    assert "</body>" in page, "not a whole HTML page"
    source = tmp_path / f"{name}.html"
    rules = {rule: {"enabled": True} for rule in STRUCTURE_RULES}
    script = _RUN % {"axe": axe_script(), "tags": json.dumps(TAGS), "rules": json.dumps(rules)}
    head, _, tail = page.rpartition("</body>")
    source.write_text(head + script + tail, encoding="utf-8")
    dom = subprocess.run(
        [
            *CHROMIUM,
            f"--user-data-dir={tmp_path / f'{name}-profile'}",
            "--window-size=1200,1600",
            # Time enough for axe's promises to settle before the DOM is printed.
            "--virtual-time-budget=30000",
            "--dump-dom",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout
    found = re.search(r'<pre id="axe-results">(.*?)</pre>', dom, re.S)
    assert found, "axe-core did not report (a script error, or the virtual time budget ran out)"
    result = json.loads(html.unescape(found.group(1)))
    return Audit(result["violations"], result["keyboard"], result["folds"])
