"""The scorecard as one self-contained HTML page in French (inline CSS and SVG, no external asset).

Written for a business owner: the organisation named, its profile in words, each figure read in a
sentence, the most important advice first (the rest folded), and a layout for printing on A4.
"""

from __future__ import annotations

from html import escape

from services.scoring.entrypoints.report_charts import (
    PEER_COLOUR,
    bars,
    fmt,
    legend,
    lever_table,
    lever_targets,
    peer_medians,
    radar,
)
from services.scoring.entrypoints.report_reading import (
    level_name,
    levers_reading,
    overall_reading,
    percent_reading,
    scale,
)
from services.scoring.entrypoints.report_style import BASE, REPORT
from services.scoring.entrypoints.schemas import (
    ActionView,
    IndicatorView,
    PeersView,
    ScorecardView,
    ScoreView,
)
from shared.model.engine import priority

__all__ = ["PEER_COLOUR", "render_report"]

ASSURANCE_LABELS = {"self_assessed": "auto-évaluation", "expert_validated": "niveaux validés par un expert"}
ADVICE_TITLES = {
    "strength": "Ce que vous faites déjà bien",
    "attention": "Ce qui mérite votre attention",
    "improve": "Ce qui doit être amélioré",
}
#: Items of an advice list shown before the fold, and roadmap actions shown before it.
ADVICE_SHOWN, ROADMAP_SHOWN = 5, 10
PRIORITY_SENTENCE = (
    "Les actions sont classées par priorité : coefficient de l'indicateur × ((1 + écart à la cible)² − 1), "
    "si bien qu'un indicateur important et loin de sa cible passe en premier."
)


class _Folds:
    """Folded lists: closed on screen, open in the printable page (a PDF cannot unfold them)."""

    def __init__(self, *, printable: bool) -> None:
        self.open = " open" if printable else ""

    def fold(self, summary: str, content: str) -> str:
        return f"<details{self.open}><summary>{summary}</summary>{content}</details>"


def _advice_order(kind: str, item: IndicatorView) -> tuple[int, int]:
    # Gaps: the roadmap's priority; strengths: the heaviest indicators, then the widest margin.
    if kind == "strength":
        return -item.coefficient, (item.gap or 0)
    return -priority(item.coefficient, item.gap or 0), 0


def _advice_item(item: IndicatorView) -> str:
    return (
        f"<li><strong>{escape(item.code)}</strong> {escape(item.name)} — niveau {item.level} "
        f"(« {level_name(item.level or 0)} »), cible {item.target}</li>"
    )


def _advice(view: ScorecardView, folds: _Folds) -> str:
    by_code = {i.code: i for i in view.indicators}
    columns = []
    for kind, title in ADVICE_TITLES.items():
        items = sorted(
            (by_code[c] for c in view.advice.get(kind, []) if c in by_code),
            key=lambda i: _advice_order(kind, i),
        )
        shown = "".join(_advice_item(i) for i in items[:ADVICE_SHOWN]) or "<li>Aucun indicateur</li>"
        rest = items[ADVICE_SHOWN:]
        more = (
            folds.fold(
                f"Voir les {len(rest)} autres<span class='visually-hidden'> : {title.lower()}</span>",
                f"<ul>{''.join(_advice_item(i) for i in rest)}</ul>",
            )
            if rest
            else ""
        )
        columns.append(
            f'<div class="card {kind}"><h3>{title} ({len(items)})</h3><ul>{shown}</ul>{more}</div>'
        )
    return (
        "<p>Chaque indicateur est classé selon l'écart entre son niveau et la cible de votre secteur ; "
        "dans chaque liste, les plus importants viennent d'abord (coefficient et écart).</p>"
        f'<div class="advice">{"".join(columns)}</div>'
    )


def _step(action: ActionView) -> str:
    criteria = "".join(f"<li>{escape(c)}</li>" for c in action.criteria)
    return (
        f"<li><strong>{escape(action.code)} — {escape(action.name)}</strong> : passer du niveau {action.level} "
        f"au niveau {action.next_level} (cible {action.target}) — priorité {action.priority}"
        f"<ul>{criteria}</ul></li>"
    )


def _roadmap(view: ScorecardView, folds: _Folds) -> str:
    if not view.roadmap:
        return "<p>Toutes les cibles sont atteintes : aucune action n'est nécessaire.</p>"
    head, rest = view.roadmap[:ROADMAP_SHOWN], view.roadmap[ROADMAP_SHOWN:]
    more = (
        folds.fold(
            f"Voir les {len(rest)} actions suivantes",
            f'<ol class="roadmap" start="{ROADMAP_SHOWN + 1}">{"".join(_step(a) for a in rest)}</ol>',
        )
        if rest
        else ""
    )
    return f'<p>{PRIORITY_SENTENCE}</p><ol class="roadmap">{"".join(_step(a) for a in head)}</ol>{more}'


def _progress(view: ScorecardView) -> str:
    if view.progress is None:
        return "<p>Premier diagnostic de l'organisation : la progression apparaîtra au prochain.</p>"

    def delta(value: float | None) -> str:
        if value is None:
            return "—"
        css = "delta-up" if value >= 0 else "delta-down"
        return f'<span class="{css}">{"+" if value >= 0 else ""}{fmt(value)}</span>'

    names = {s.code: s.name for s in view.levers}
    rows = "".join(
        f"<li>{escape(names.get(code, code))} : {delta(value)}</li>"
        for code, value in view.progress.levers.items()
    )
    return (
        f"<p>Depuis le diagnostic du {view.progress.previous_assessed_at:%d/%m/%Y} : score global "
        f"{delta(view.progress.overall)} point sur 5.</p><ul>{rows}</ul>"
    )


def _peers_sentence(peers: PeersView | None) -> str:
    if peers is None:
        return ""
    count = peers.organisations if peers.organisations is not None else "plusieurs"
    median = f" Médiane des pairs : <b>{fmt(peers.overall.median)}</b> / 5." if peers.overall else ""
    return (
        f'<p class="peers">Votre score est comparé à {count} organisations : {escape(peers.label)} — '
        f"instantané du {peers.taken_at:%d/%m/%Y}.{median}</p>"
    )


def _score_table(scores: list[ScoreView], caption: str) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(s.name)}</th><td class="num">{fmt(s.score)}</td><td class="num">{s.indicators}</td></tr>'
        for s in scores
    )
    return (
        f'<table><caption>{caption}</caption><thead><tr><th scope="col">Groupement</th>'
        f'<th scope="col">Score sur 5</th><th scope="col">Indicateurs</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def _header(view: ScorecardView, pdf_href: str | None) -> str:
    words = view.profile_labels
    name = escape(view.organisation_name or "Votre organisation")
    profile = " · ".join(
        f"{label} : {escape(words[key])}"
        for key, label in (
            ("sector", "Secteur"),
            ("size_band", "Taille"),
            ("region", "Région"),
            ("organisation_type", "Type"),
        )
        if words.get(key)
    )
    scope = "complet" if view.scope == "full" else f"rapide « {escape(view.scope)} »"
    assurance = ASSURANCE_LABELS.get(view.assurance, view.assurance)
    download = (
        f'<p class="actions no-print"><a href="{escape(pdf_href)}">Télécharger ce rapport en PDF</a> '
        "(ou l'imprimer depuis le navigateur, format A4).</p>"
        if pdf_href
        else ""
    )
    return (
        f'<header><p class="meta">Rapport de maturité digitale — modèle DIMM</p><h1>{name}</h1>'
        f'<p class="meta">{profile}</p><p class="meta">Diagnostic {scope} réalisé le {view.assessed_at:%d/%m/%Y} · '
        f"{escape(assurance)} · modèle {escape(view.model_id)} {escape(view.model_version)}</p>{download}</header>"
    )


def render_report(view: ScorecardView, *, pdf_href: str | None = None, printable: bool = False) -> str:
    """Render the scorecard report; `printable` unfolds every list (for the PDF)."""
    targets, medians, folds = lever_targets(view), peer_medians(view.peers), _Folds(printable=printable)
    method = "".join(f"<li>{escape(line)}</li>" for line in view.method)
    title = escape(view.organisation_name or view.diagnostic_id)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Maturité digitale — {title}</title><style>{BASE}{REPORT}</style></head>
<body>{_header(view, pdf_href)}
<main>
<h2>En bref</h2>
<div class="grid"><div class="card"><p class="overall">{fmt(view.overall.score)} <small>/ 5</small></p>
{overall_reading(view)}{percent_reading(view)}{levers_reading(view)}{_peers_sentence(view.peers)}</div>
<div class="card"><h3>Que veulent dire les niveaux ?</h3>{scale()}</div></div>
<h2>Vos scores par levier</h2>
<div class="grid"><div class="card">{legend(view.peers)}{bars(view.levers, targets, medians)}</div>
<div class="card">{radar(view.levers, targets, medians)}</div></div>
<div class="card">{folds.fold("Les chiffres du radar et des barres, en tableau", lever_table(view.levers, targets, medians))}</div>
<h2>Groupements</h2>
<div class="card">{bars(view.groupements)}
{folds.fold("Les chiffres des groupements, en tableau", _score_table(view.groupements, "Score de chaque groupement sur 5"))}</div>
<h2>Conseils</h2>{_advice(view, folds)}
<h2>Feuille de route</h2><div class="card">{_roadmap(view, folds)}</div>
<h2>Progression</h2><div class="card">{_progress(view)}</div>
<h2>Méthode</h2><div class="card"><ul class="method">{method}</ul></div>
</main>
<footer><p class="meta">Diagnostic {escape(view.diagnostic_id)} · scores calculés le {view.scored_at:%d/%m/%Y}.</p></footer>
</body></html>"""
