"""A published study's results as a self-contained French page: inline CSS and SVG, no external asset."""

from __future__ import annotations

from html import escape

from services.benchmark.domain.publications import StudyResults
from services.benchmark.domain.snapshots import CohortStats, FigureStats
from services.benchmark.domain.studies import Study
from shared.model.schema import MaturityModel

WIDTH, ROW, LEFT = 640, 54, 210
SECTOR_COLOUR, ALL_COLOUR = "#1f5fbf", "#5b6576"  # both ≥ 4.5:1 on white
BAND_COLOURS = ("#8c1d1d", "#b3471a", "#7a6300", "#2d6a3e", "#1f5fbf")
QUARTILES = ("Q1", "médiane", "Q3")
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2430}
main{max-width:1000px;margin:0 auto;padding:24px} h1{font-size:26px;margin:0 0 6px}
h2{font-size:19px;margin:28px 0 10px;border-bottom:2px solid #dfe3ea;padding-bottom:4px}
.meta{color:#4a5361;font-size:14px} .card{background:#fff;border-radius:10px;padding:18px;margin-bottom:16px}
table{border-collapse:collapse;width:100%;font-size:14px} th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e6eb}
td.num{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;color:#4a5361;padding-bottom:4px} summary{cursor:pointer;color:#1d4ed8;padding:4px 0} .legend span{display:inline-block;width:14px;height:10px;margin:0 6px 0 14px}
@page{size:A4;margin:14mm 12mm}
@media print{body{background:#fff} .card{break-inside:avoid;box-shadow:none}
@supports selector(details::details-content){details::details-content{content-visibility:visible;display:contents}
summary{display:none}}}
"""


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def _names(model: MaturityModel) -> dict[str, str]:
    names = {"overall": "Score global"}
    for lever in model.levers:
        names[f"lever:{lever.code}"] = lever.name
        for groupement in lever.groupements:
            names[f"groupement:{groupement.code}"] = groupement.name
            for indicator in groupement.indicators:
                names[f"indicator:{indicator.code}"] = f"{indicator.code} — {indicator.name}"
    return names


def _x(score: float) -> float:
    return LEFT + (WIDTH - LEFT - 20) * max(0.0, min(5.0, score)) / 5


def _box(figure: FigureStats, y: float, colour: str, label: str) -> str:
    q1, median, q3 = figure.quartiles
    return (
        f'<rect x="{_x(q1):.1f}" y="{y:.1f}" width="{max(1.0, _x(q3) - _x(q1)):.1f}" height="14" '
        f'fill="{colour}" fill-opacity="0.25" stroke="{colour}"><title>{escape(label)} : '
        f"Q1 {_fmt(q1)}, médiane {_fmt(median)}, Q3 {_fmt(q3)}</title></rect>"
        f'<line x1="{_x(median):.1f}" x2="{_x(median):.1f}" y1="{y - 2:.1f}" y2="{y + 16:.1f}" '
        f'stroke="{colour}" stroke-width="3"/>'
    )


def quartile_chart(rows: list[tuple[str, FigureStats | None, FigureStats | None]]) -> str:
    """Draw each figure's quartiles: the sector's against every organisation's, on a 0–5 scale."""
    height = ROW * len(rows) + 30
    grid = "".join(
        f'<line x1="{_x(s):.1f}" x2="{_x(s):.1f}" y1="0" y2="{height - 24}" stroke="#e3e6eb"/>'
        f'<text x="{_x(s):.1f}" y="{height - 8}" text-anchor="middle" font-size="12">{s}</text>'
        for s in range(6)
    )
    body = []
    for index, (name, sector, everyone) in enumerate(rows):
        y = index * ROW + 8
        body.append(f'<text x="0" y="{y + 18}" font-size="13">{escape(name[:32])}</text>')
        if sector is not None:
            body.append(_box(sector, y, SECTOR_COLOUR, "Participants"))
        if everyone is not None:
            body.append(_box(everyone, y + 22, ALL_COLOUR, "Toutes les organisations"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="Quartiles des participants comparés à toutes les organisations">{grid}{"".join(body)}</svg>'
    )


def band_chart(rows: list[tuple[str, FigureStats]]) -> str:
    """Draw each figure's distribution as the share of participants per score band."""
    height = 30 * len(rows) + 10
    bars = []
    for index, (name, figure) in enumerate(rows):
        y, x = index * 30 + 4, float(LEFT)
        bars.append(f'<text x="0" y="{y + 14}" font-size="13">{escape(name[:32])}</text>')
        for band, share in enumerate(figure.bands):
            width = (WIDTH - LEFT - 20) * share
            bars.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="18" fill="{BAND_COLOURS[band]}">'
                f"<title>{band} à {band + 1} : {share * 100:.0f} %</title></rect>"
            )
            x += width
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="Répartition des participants par tranche de score, par levier">{"".join(bars)}</svg>'
    )


def band_legend() -> str:
    """Name each score band's colour: the distribution chart is read by it."""
    items = "".join(
        f'<span style="background:{colour}"></span>{band} à {band + 1}'
        for band, colour in enumerate(BAND_COLOURS)
    )
    return f'<p class="legend">Tranches de score :{items}</p>'


def _quartiles(figure: FigureStats | None) -> str:
    if figure is None:
        return "<td class='num'>—</td>" * 3
    return "".join(f"<td class='num'>{_fmt(q)}</td>" for q in figure.quartiles)


def quartile_table(rows: list[tuple[str, FigureStats | None, FigureStats | None]]) -> str:
    """Return the quartile chart's figures as a table (its text alternative)."""
    cells = "".join(
        f"<tr><th scope='row'>{escape(name)}</th>{_quartiles(sector)}{_quartiles(everyone)}</tr>"
        for name, sector, everyone in rows
    )
    head = "".join(
        f"<th scope='col'>{who} : {q}</th>" for who in ("Participants", "Toutes") for q in QUARTILES
    )
    return (
        "<table><caption>Premier quartile, médiane et troisième quartile, sur 5</caption>"
        f"<thead><tr><th scope='col'>Score</th>{head}</tr></thead><tbody>{cells}</tbody></table>"
    )


def band_table(rows: list[tuple[str, FigureStats]]) -> str:
    """Return the distribution chart's shares as a table (its text alternative)."""
    head = "".join(f"<th scope='col'>{band} à {band + 1}</th>" for band in range(len(BAND_COLOURS)))
    cells = "".join(
        f"<tr><th scope='row'>{escape(name)}</th>"
        + "".join(f"<td class='num'>{share * 100:.0f} %</td>" for share in figure.bands)
        + "</tr>"
        for name, figure in rows
    )
    return (
        "<table><caption>Part des participants dans chaque tranche de score</caption>"
        f"<thead><tr><th scope='col'>Score</th>{head}</tr></thead><tbody>{cells}</tbody></table>"
    )


def _fold(table: str) -> str:
    return f"<details><summary>Les chiffres du graphique, en tableau</summary>{table}</details>"


def _rows(
    results: CohortStats, comparison: CohortStats | None, prefix: str, names: dict[str, str]
) -> list[tuple[str, FigureStats | None, FigureStats | None]]:
    figures = [
        f for f in (*results.figures, *(comparison.figures if comparison else {})) if f.startswith(prefix)
    ]
    seen = list(dict.fromkeys(figures))
    everyone = comparison.figures if comparison else {}
    return [(names.get(f, f), results.figures.get(f), everyone.get(f)) for f in seen]


def _table(rows: list[tuple[str, FigureStats | None, FigureStats | None]]) -> str:
    cells = "".join(
        f"<tr><td>{escape(name)}</td><td class='num'>{_fmt(s.quartiles[1]) if s else 'non publié'}</td>"
        f"<td class='num'>{s.organisations if s else '—'}</td><td class='num'>{_fmt(a.quartiles[1]) if a else '—'}</td></tr>"
        for name, s, a in rows
    )
    return (
        "<table><thead><tr><th scope='col'>Indicateur</th><th scope='col'>Médiane des participants</th>"
        "<th scope='col'>Participants</th><th scope='col'>Médiane de toutes les organisations</th></tr></thead>"
        f"<tbody>{cells}</tbody></table>"
    )


def render_results(study: Study, published: StudyResults, model: MaturityModel) -> str:
    """Render a published study's results page."""
    names = _names(model)
    sector = next((s.name for s in model.sectors if s.code == study.sector), study.sector)
    main = _rows(published.results, published.comparison, "overall", names) + _rows(
        published.results, published.comparison, "lever:", names
    )
    bands = [(name, s) for name, s, _ in main if s is not None]
    legend = (
        f'<p class="legend"><span style="background:{SECTOR_COLOUR}"></span>Participants'
        f'<span style="background:{ALL_COLOUR}"></span>Toutes les organisations</p>'
    )
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(study.title)} — résultats</title><style>{STYLE}</style></head>
<body><main>
<h1>{escape(study.title)}</h1>
<p class="meta">Secteur : {escape(sector)} · {published.participants} organisations participantes ·
diagnostics évalués du {study.opens_at:%d/%m/%Y} au {study.period_end:%d/%m/%Y} · modèle {escape(study.model_id)} {escape(study.model_version)} ·
publié le {published.published_at:%d/%m/%Y}</p>
<h2>Les participants face à toutes les organisations</h2>
<div class="card">{legend}{quartile_chart(main)}
<p class="meta">Chaque barre va du premier au troisième quartile ; le trait épais marque la médiane (scores sur 5).</p>
{_fold(quartile_table(main))}</div>
<h2>Répartition des participants par tranche de score</h2>
<div class="card">{band_legend()}{band_chart(bands)}{_fold(band_table(bands))}</div>
<h2>Groupements</h2>
<div class="card">{_table(_rows(published.results, published.comparison, "groupement:", names))}</div>
<h2>Indicateurs (niveaux de 0 à 5)</h2>
<div class="card">{_table(_rows(published.results, published.comparison, "indicator:", names))}</div>
<h2>Méthode</h2>
<div class="card"><p class="meta">Seul le dernier diagnostic évalué pendant la période compte pour chaque participant.
Un chiffre n'est publié que s'il porte sur au moins {published.min_cohort_size} organisations ;
aucun minimum, maximum ni valeur individuelle n'est publié.
Quantiles exacts sur les valeurs arrondies à 0,01 (interpolation linéaire, type 7 de Hyndman et Fan).</p></div>
</main></body></html>"""
