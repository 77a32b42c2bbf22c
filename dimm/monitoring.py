"""Where the monitoring binaries are: Prometheus, promtool, Alertmanager and amtool.

`make monitoring` extracts Debian's packages into `.tools/monitoring` (no root needed); a binary
on the PATH (an installed package) is used otherwise.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
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


#: Where Debian's build of Alertmanager reads its default templates (not embedded, unlike upstream's).
DEBIAN_TEMPLATES = b"/usr/share/prometheus/alertmanager"


@contextlib.contextmanager
def runnable_alertmanager(work_dir: Path) -> Iterator[Path]:
    """Yield an Alertmanager binary that finds its default templates (or raise LookupError).

    Debian's build opens them under /usr/share/prometheus/alertmanager; `make monitoring` extracts
    the package under .tools without root, so a copy of the binary in `work_dir` gets that path
    replaced by a symbolic link of the same length to the extracted templates, removed on exit.
    An installed package (the path exists) or another build is used as it is.
    """
    found = find_tool("alertmanager")
    if found is None:
        raise LookupError("Alertmanager is not installed: run `make monitoring` (Debian's package)")
    extracted = found.parents[1] / "share" / "prometheus" / "alertmanager"
    content = found.read_bytes()
    if Path(DEBIAN_TEMPLATES.decode()).is_dir() or DEBIAN_TEMPLATES not in content or not extracted.is_dir():
        yield found
        return
    link = Path("/tmp/dimm-am-" + uuid.uuid4().hex[:21])
    assert len(bytes(link)) == len(DEBIAN_TEMPLATES)
    link.symlink_to(extracted.resolve(), target_is_directory=True)
    binary = work_dir / "alertmanager"
    binary.write_bytes(content.replace(DEBIAN_TEMPLATES, bytes(link)))
    binary.chmod(0o755)
    try:
        yield binary
    finally:
        link.unlink(missing_ok=True)
