"""The scorecard as a self-contained HTML page in French (inline CSS and SVG, no external asset)."""

from __future__ import annotations

import math
from html import escape

from services.scoring.entrypoints.schemas import IndicatorView, PeersView, ScorecardView, ScoreView

SIZE, RADIUS = 420, 150
#: The peers' colour: 7:1 against white, apart from the score's blue and the target's orange.
PEER_COLOUR = "#8e24aa"
PEER_STYLE = (
    f".bar .peer{{position:absolute;top:-3px;width:4px;height:20px;margin-left:-2px;background:{PEER_COLOUR}}}"
    ".peers{margin:8px 0;font-size:14px}"
)
ASSURANCE_LABELS = {"self_assessed": "auto-évaluation", "expert_validated": "niveaux validés par un expert"}
ADVICE_TITLES = {
    "strength": "Ce que vous faites déjà bien",
    "attention": "Ce qui mérite votre attention",
    "improve": "Ce qui doit être amélioré",
}
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2430}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px} h2{font-size:19px;margin:28px 0 12px;border-bottom:2px solid #dfe3ea;padding-bottom:4px}
.meta{color:#5b6576;font-size:14px} .grid{display:grid;grid-template-columns:1fr 1fr;gap:20px}
.card{background:#fff;border-radius:10px;padding:18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.overall{font-size:56px;font-weight:700;color:#1f5fbf} .overall small{font-size:22px;color:#5b6576}
.bar{display:flex;align-items:center;gap:10px;margin:6px 0;font-size:14px}
.bar .label{width:230px} .bar .track{flex:1;background:#e8ebf0;border-radius:4px;height:14px;position:relative}
.bar .fill{background:#1f5fbf;height:14px;border-radius:4px} .bar .target{position:absolute;top:-3px;width:2px;height:20px;background:#e07b00}
.bar .value{width:48px;text-align:right;font-variant-numeric:tabular-nums}
.advice{display:grid;grid-template-columns:repeat(3,1fr);gap:14px} .advice ul{padding-left:18px;margin:6px 0;font-size:14px}
.strength h3{color:#1e8a4c} .attention h3{color:#b7791f} .improve h3{color:#c53030} h3{font-size:16px;margin:0}
ol.roadmap li{margin-bottom:10px;font-size:14px} ol.roadmap ul{margin:4px 0;color:#3c4656}
.delta-up{color:#1e8a4c} .delta-down{color:#c53030} .method li{font-size:13px;color:#3c4656;margin-bottom:4px}
.legend span{display:inline-block;width:12px;height:12px;margin:0 6px 0 14px;vertical-align:middle}
"""


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def lever_targets(view: ScorecardView) -> dict[str, float]:
    """Return each lever's target: the coefficient-weighted mean of its scored indicators' targets."""
    sums: dict[str, tuple[int, int]] = {}
    for item in view.indicators:
        if item.level is None or item.not_applicable:
            continue
        weighted, coefficients = sums.get(item.lever, (0, 0))
        sums[item.lever] = (weighted + item.coefficient * item.target, coefficients + item.coefficient)
    return {lever: w / c for lever, (w, c) in sums.items() if c}


def _polygon(values: list[float], centre: float) -> str:
    points = []
    for index, value in enumerate(values):
        angle = -math.pi / 2 + 2 * math.pi * index / len(values)
        r = RADIUS * max(0.0, min(5.0, value)) / 5
        points.append(f"{centre + r * math.cos(angle):.1f},{centre + r * math.sin(angle):.1f}")
    return " ".join(points)


def peer_medians(peers: PeersView | None) -> dict[str, float]:
    """Return the peers' median of each lever the snapshot has (none without peers)."""
    return {code: figure.median for code, figure in peers.levers.items()} if peers else {}


def _peer_outline(levers: list[ScoreView], medians: dict[str, float], centre: float) -> str:
    # A partial outline would read as zeros on the missing axes: draw it only when every lever has one.
    if not levers or any(lever.code not in medians for lever in levers):
        return ""
    points = _polygon([medians[lever.code] for lever in levers], centre)
    return (
        f'<polygon points="{points}" fill="none" stroke="{PEER_COLOUR}" stroke-width="2.5" '
        f'stroke-dasharray="8 5"><title>médiane des pairs</title></polygon>'
    )


def radar(levers: list[ScoreView], targets: dict[str, float], peers: dict[str, float] | None = None) -> str:
    """Draw the six levers' scores with the sector targets (and the peers' medians) overlaid, as inline SVG."""
    c = SIZE / 2
    grid = "".join(
        f'<polygon points="{_polygon([float(step)] * len(levers), c)}" fill="none" stroke="#d5dae3"/>'
        for step in range(1, 6)
    )
    axes, labels = [], []
    for index, lever in enumerate(levers):
        angle = -math.pi / 2 + 2 * math.pi * index / len(levers)
        x, y = c + RADIUS * math.cos(angle), c + RADIUS * math.sin(angle)
        lx, ly = c + (RADIUS + 34) * math.cos(angle), c + (RADIUS + 34) * math.sin(angle)
        axes.append(f'<line x1="{c}" y1="{c}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d5dae3"/>')
        labels.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" dominant-baseline="middle" font-size="13">'
            f"{escape(lever.name)} ({_fmt(lever.score)})</text>"
        )
    scores = _polygon([lever.score or 0.0 for lever in levers], c)
    target = _polygon([targets.get(lever.code, 0.0) for lever in levers], c)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-60 0 {SIZE + 120} {SIZE}" width="100%" role="img" '
        f'aria-label="Radar des six leviers">{grid}{"".join(axes)}'
        f'<polygon points="{target}" fill="none" stroke="#e07b00" stroke-width="2" stroke-dasharray="6 4"/>'
        f'<polygon points="{scores}" fill="rgba(31,95,191,.25)" stroke="#1f5fbf" stroke-width="2"/>'
        f"{_peer_outline(levers, peers or {}, c)}{''.join(labels)}</svg>"
    )


def _bars(
    scores: list[ScoreView], targets: dict[str, float] | None = None, peers: dict[str, float] | None = None
) -> str:
    rows = []
    for s in scores:
        width = 0 if s.score is None else s.score / 5 * 100
        mark = ""
        if targets and s.code in targets:
            mark = f'<div class="target" style="left:{targets[s.code] / 5 * 100:.1f}%" title="cible"></div>'
        if peers and s.code in peers:
            mark += (
                f'<div class="peer" style="left:{peers[s.code] / 5 * 100:.1f}%" '
                f'title="médiane des pairs : {_fmt(peers[s.code])}"></div>'
            )
        rows.append(
            f'<div class="bar"><div class="label">{escape(s.name)}</div><div class="track">'
            f'<div class="fill" style="width:{width:.1f}%"></div>{mark}</div>'
            f'<div class="value">{_fmt(s.score)}</div></div>'
        )
    return "".join(rows)


def _advice(view: ScorecardView) -> str:
    by_code: dict[str, IndicatorView] = {i.code: i for i in view.indicators}
    columns = []
    for kind, title in ADVICE_TITLES.items():
        items = (
            "".join(
                f"<li><b>{escape(code)}</b> {escape(by_code[code].name)} — niveau {by_code[code].level} / cible "
                f"{by_code[code].target}</li>"
                for code in view.advice.get(kind, [])
            )
            or "<li>Aucun indicateur</li>"
        )
        columns.append(
            f'<div class="card {kind}"><h3>{title} ({len(view.advice.get(kind, []))})</h3><ul>{items}</ul></div>'
        )
    return f'<div class="advice">{"".join(columns)}</div>'


def _roadmap(view: ScorecardView) -> str:
    steps = []
    for action in view.roadmap[:10]:
        criteria = "".join(f"<li>{escape(c)}</li>" for c in action.criteria)
        steps.append(
            f"<li><b>{escape(action.code)} — {escape(action.name)}</b> : passer du niveau {action.level} au "
            f"niveau {action.next_level} (cible {action.target}, priorité {action.priority})<ul>{criteria}</ul></li>"
        )
    return (
        f'<ol class="roadmap">{"".join(steps)}</ol>' if steps else "<p>Toutes les cibles sont atteintes.</p>"
    )


def _progress(view: ScorecardView) -> str:
    if view.progress is None:
        return "<p>Premier diagnostic de l'organisation : la progression apparaîtra au prochain.</p>"

    def delta(value: float | None) -> str:
        if value is None:
            return "—"
        css = "delta-up" if value >= 0 else "delta-down"
        return f'<span class="{css}">{"+" if value >= 0 else ""}{_fmt(value)}</span>'

    names = {s.code: s.name for s in view.levers}
    rows = "".join(
        f"<li>{escape(names.get(code, code))} : {delta(value)}</li>"
        for code, value in view.progress.levers.items()
    )
    return (
        f"<p>Depuis le diagnostic du {view.progress.previous_assessed_at:%d/%m/%Y} : score global "
        f"{delta(view.progress.overall)}</p><ul>{rows}</ul>"
    )


def _peers_sentence(peers: PeersView | None) -> str:
    if peers is None:
        return ""
    count = peers.organisations if peers.organisations is not None else "plusieurs"
    median = f" Médiane des pairs : <b>{_fmt(peers.overall.median)}</b> / 5." if peers.overall else ""
    return (
        f'<p class="peers">Votre score est comparé à {count} organisations : {escape(peers.label)} — '
        f"instantané du {peers.taken_at:%d/%m/%Y}.{median}</p>"
    )


def _legend(peers: PeersView | None) -> str:
    mark = f'<span style="background:{PEER_COLOUR}"></span>médiane des pairs' if peers else ""
    return (
        '<div class="legend"><span style="background:#1f5fbf"></span>votre score'
        f'<span style="background:#e07b00"></span>cible du secteur{mark}</div>'
    )


def render_report(view: ScorecardView) -> str:
    """Render the scorecard report."""
    targets, medians = lever_targets(view), peer_medians(view.peers)
    assurance = ASSURANCE_LABELS.get(view.assurance, view.assurance)
    profile = view.profile
    quick = "" if view.scope == "full" else f" — diagnostic rapide « {escape(view.scope)} »"
    method = "".join(f"<li>{escape(line)}</li>" for line in view.method)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Maturité digitale — {escape(view.diagnostic_id)}</title><style>{STYLE}{PEER_STYLE}</style></head>
<body><main>
<h1>Diagnostic de maturité digitale</h1>
<p class="meta">Secteur {escape(profile.get("sector", "—"))} · taille {escape(profile.get("size_band", "—"))} ·
région {escape(profile.get("region", "—"))} · modèle {escape(view.model_id)} {escape(view.model_version)}{quick} ·
réalisé le {view.assessed_at:%d/%m/%Y} · {escape(assurance)}</p>
<div class="grid">
<div class="card"><div>Score global</div><div class="overall">{_fmt(view.overall.score)} <small>/ 5</small></div>
<div>Atteinte des cibles : <b>{_fmt(view.percent_to_target)} %</b></div>{_peers_sentence(view.peers)}
{_legend(view.peers)}
{_bars(view.levers, targets, medians)}</div>
<div class="card">{radar(view.levers, targets, medians)}</div>
</div>
<h2>Leviers et groupements</h2><div class="card">{_bars(view.groupements)}</div>
<h2>Conseils</h2>{_advice(view)}
<h2>Feuille de route (10 premières actions)</h2><div class="card">{_roadmap(view)}</div>
<h2>Progression</h2><div class="card">{_progress(view)}</div>
<h2>Méthode</h2><div class="card"><ul class="method">{method}</ul>
<p class="meta">Modèle {escape(view.model_id)} version {escape(view.model_version)}.</p></div>
</main></body></html>"""
