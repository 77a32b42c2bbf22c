"""Where the monitoring binaries are: Prometheus, promtool, Alertmanager and amtool.

`make monitoring` extracts Debian's packages into `.tools/monitoring` (no root needed); a binary
on the PATH (an installed package) is used otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / ".tools" / "monitoring" / "usr" / "bin"
RULES = ROOT / "deploy" / "prometheus" / "rules"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests"
ALERTMANAGER_CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"

#: Debian names the Alertmanager binary after its package.
_ALIASES = {"alertmanager": ("prometheus-alertmanager", "alertmanager")}


def find_tool(name: str) -> Path | None:
    """Return the path of a monitoring binary (`.tools` first, then the PATH), or None."""
    for candidate in _ALIASES.get(name, (name,)):
        local = TOOLS / candidate
        if local.is_file():
            return local
        found = shutil.which(candidate)
        if found:
            return Path(found)
    return None
