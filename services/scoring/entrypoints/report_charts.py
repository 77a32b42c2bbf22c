"""The report's charts as inline SVG and bars, each with its figures in a table behind it."""

from __future__ import annotations

import math
from html import escape

from services.scoring.entrypoints.schemas import PeersView, ScorecardView, ScoreView

SIZE, RADIUS = 420, 150
#: Colours readable on white: score 6.1:1, sector target 5.0:1, peers 7.0:1 (text and marks alike).
SCORE_COLOUR, TARGET_COLOUR, PEER_COLOUR = "#1f5fbf", "#b45309", "#8e24aa"
GRID_COLOUR = "#d5dae3"


def fmt(value: float | None) -> str:
    """Write a score the French way, with 2 decimals (— when there is none)."""
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


def peer_medians(peers: PeersView | None) -> dict[str, float]:
    """Return the peers' median of each lever the snapshot has (none without peers)."""
    return {code: figure.median for code, figure in peers.levers.items()} if peers else {}


def _polygon(values: list[float], centre: float) -> str:
    points = []
    for index, value in enumerate(values):
        angle = -math.pi / 2 + 2 * math.pi * index / len(values)
        r = RADIUS * max(0.0, min(5.0, value)) / 5
        points.append(f"{centre + r * math.cos(angle):.1f},{centre + r * math.sin(angle):.1f}")
    return " ".join(points)


def _peer_outline(levers: list[ScoreView], medians: dict[str, float], centre: float) -> str:
    # A partial outline would read as zeros on the missing axes: draw it only when every lever has one.
    if not levers or any(lever.code not in medians for lever in levers):
        return ""
    points = _polygon([medians[lever.code] for lever in levers], centre)
    return (
        f'<polygon points="{points}" fill="none" stroke="{PEER_COLOUR}" stroke-width="2.5" '
        'stroke-dasharray="8 5"/>'
    )


def radar(levers: list[ScoreView], targets: dict[str, float], peers: dict[str, float] | None = None) -> str:
    """Draw the levers' scores with the sector targets (and the peers' medians) overlaid, as inline SVG.

    The drawing is one image for assistive technologies, named and described by the table beside it.
    """
    c = SIZE / 2
    grid = "".join(
        f'<polygon points="{_polygon([float(step)] * len(levers), c)}" fill="none" stroke="{GRID_COLOUR}"/>'
        for step in range(1, 6)
    )
    axes, labels = [], []
    for index, lever in enumerate(levers):
        angle = -math.pi / 2 + 2 * math.pi * index / len(levers)
        x, y = c + RADIUS * math.cos(angle), c + RADIUS * math.sin(angle)
        lx, ly = c + (RADIUS + 34) * math.cos(angle), c + (RADIUS + 34) * math.sin(angle)
        axes.append(f'<line x1="{c}" y1="{c}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>')
        labels.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" dominant-baseline="middle" font-size="13" '
            f'fill="#1d2430">{escape(lever.name)} ({fmt(lever.score)})</text>'
        )
    scores = _polygon([lever.score or 0.0 for lever in levers], c)
    target = _polygon([targets.get(lever.code, 0.0) for lever in levers], c)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-60 0 {SIZE + 120} {SIZE}" width="100%" '
        'role="img" aria-labelledby="radar-title" aria-describedby="radar-table-caption">'
        '<title id="radar-title">Radar des leviers : votre score, la cible du secteur'
        f"{' et la médiane des pairs' if peers else ''}, sur 5 (chiffres dans le tableau qui suit)</title>"
        f"{grid}{''.join(axes)}"
        f'<polygon points="{target}" fill="none" stroke="{TARGET_COLOUR}" stroke-width="2" '
        'stroke-dasharray="6 4"/>'
        f'<polygon points="{scores}" fill="rgba(31,95,191,.25)" stroke="{SCORE_COLOUR}" stroke-width="2"/>'
        f"{_peer_outline(levers, peers or {}, c)}{''.join(labels)}</svg>"
    )


def lever_table(levers: list[ScoreView], targets: dict[str, float], peers: dict[str, float]) -> str:
    """Return the radar's and the bars' figures as a table (the charts' text alternative)."""
    peer_head = '<th scope="col">Médiane des pairs</th>' if peers else ""
    rows = "".join(
        f'<tr><th scope="row">{escape(lever.name)}</th><td class="num">{fmt(lever.score)}</td>'
        f'<td class="num">{fmt(targets.get(lever.code))}</td>'
        + (f'<td class="num">{fmt(peers.get(lever.code))}</td>' if peers else "")
        + f'<td class="num">{lever.indicators}</td></tr>'
        for lever in levers
    )
    return (
        '<table><caption id="radar-table-caption">Score de chaque levier sur 5, cible du secteur'
        f"{', médiane des pairs' if peers else ''} et nombre d'indicateurs évalués</caption>"
        '<thead><tr><th scope="col">Levier</th><th scope="col">Votre score</th>'
        f'<th scope="col">Cible du secteur</th>{peer_head}<th scope="col">Indicateurs</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def bars(
    scores: list[ScoreView], targets: dict[str, float] | None = None, peers: dict[str, float] | None = None
) -> str:
    """Draw one bar per score on a 0–5 track; the name and the figure are text beside the drawing."""
    rows = []
    for s in scores:
        width = 0 if s.score is None else s.score / 5 * 100
        marks = ""
        if targets and s.code in targets:
            marks = f'<div class="target" style="left:{targets[s.code] / 5 * 100:.1f}%"></div>'
        if peers and s.code in peers:
            marks += f'<div class="peer" style="left:{peers[s.code] / 5 * 100:.1f}%"></div>'
        rows.append(
            f'<div class="bar"><div class="label">{escape(s.name)}</div>'
            '<div class="track" aria-hidden="true">'
            f'<div class="fill" style="width:{width:.1f}%"></div>{marks}</div>'
            f'<div class="value">{fmt(s.score)}<span class="visually-hidden"> sur 5</span></div></div>'
        )
    return "".join(rows)


def legend(peers: PeersView | None) -> str:
    """Name the colours of the bars and the radar."""
    mark = f'<span class="swatch" style="background:{PEER_COLOUR}"></span>médiane des pairs' if peers else ""
    return (
        f'<p class="legend" aria-hidden="true"><span class="swatch" style="background:{SCORE_COLOUR}"></span>'
        f'votre score<span class="swatch" style="background:{TARGET_COLOUR}"></span>'
        f"cible du secteur{mark}</p>"
    )
