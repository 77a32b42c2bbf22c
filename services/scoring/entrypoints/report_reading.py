"""The report's figures said in plain French: the 0–5 scale, the overall score, percent-to-target."""

from __future__ import annotations

from html import escape

from services.scoring.entrypoints.report_charts import fmt, lever_targets
from services.scoring.entrypoints.schemas import IndicatorView, ScorecardView

#: What reaching each level means, in words a business owner uses (levels are cumulative).
LEVELS: tuple[tuple[str, str], ...] = (
    ("Non engagé", "les exigences du premier niveau ne sont pas encore remplies"),
    ("Premiers pas", "quelques pratiques numériques existent, isolées"),
    ("En construction", "les pratiques se diffusent mais restent partielles"),
    ("Maîtrisé", "les pratiques attendues sont en place ; c'est la cible par défaut"),
    ("Avancé", "les pratiques sont pilotées, mesurées et améliorées"),
    ("Exemplaire", "l'organisation fait référence et innove"),
)
#: Percent-to-target in words, by the lowest share each phrase applies to.
PROGRESS_WORDS: tuple[tuple[float, str], ...] = (
    (100.0, "toutes les cibles de votre secteur sont atteintes"),
    (75.0, "vous êtes proche de ce que votre secteur attend"),
    (50.0, "vous avez parcouru plus de la moitié du chemin vers ce que votre secteur attend"),
    (25.0, "vous avez parcouru moins de la moitié du chemin vers ce que votre secteur attend"),
    (0.0, "vous êtes encore loin de ce que votre secteur attend"),
)


def level_name(level: int) -> str:
    """Return a level's name, e.g. « Maîtrisé » for 3."""
    return LEVELS[max(0, min(5, level))][0]


def standing(score: float) -> str:
    """Say where a score out of 5 stands on the scale of levels."""
    floor = min(5, int(score))
    if score == floor:
        return f"au niveau {floor} (« {level_name(floor)} »)"
    return (
        f"entre le niveau {floor} (« {level_name(floor)} ») et le niveau {floor + 1} "
        f"(« {level_name(floor + 1)} »)"
    )


def _overall_target(view: ScorecardView) -> float | None:
    scored = [i for i in view.indicators if i.level is not None and not i.not_applicable]
    weights = sum(i.coefficient for i in scored)
    return sum(i.coefficient * i.target for i in scored) / weights if weights else None


def overall_reading(view: ScorecardView) -> str:
    """Explain the overall score: what it is, where it stands on the scale, how far from the target."""
    score = view.overall.score
    if score is None:
        return "<p>Aucun indicateur n'a été évalué : il n'y a pas encore de score global.</p>"
    target = _overall_target(view)
    sentences = [
        f"Votre score global est de <strong>{fmt(score)} sur 5</strong> : "
        f"votre organisation se situe {standing(score)}."
    ]
    if target is not None:
        gap = target - score
        distance = (
            f"il vous manque {fmt(gap)} point pour l'atteindre"
            if gap > 0
            else "vous l'atteignez ou la dépassez"
        )
        sentences.append(f"Votre secteur attend en moyenne le niveau {fmt(target)} : {distance}.")
    return "<p>" + " ".join(sentences) + "</p>"


def scale() -> str:
    """List what each level of the 0–5 scale means."""
    items = "".join(
        f"<li><strong>{level} — {name}</strong> : {meaning}.</li>"
        for level, (name, meaning) in enumerate(LEVELS)
    )
    return (
        "<p>Chaque indicateur est évalué comme un audit, de 0 à 5 : atteindre un niveau, c'est remplir "
        "ses exigences et celles de tous les niveaux inférieurs. Les scores des leviers et le score global "
        "sont des moyennes des niveaux, pondérées par l'importance de chaque indicateur "
        "(coefficient 1 à 3).</p>"
        f'<ul class="scale">{items}</ul>'
    )


def _below_target(view: ScorecardView) -> list[IndicatorView]:
    return [i for i in view.indicators if i.gap is not None and i.gap > 0 and not i.not_applicable]


def percent_reading(view: ScorecardView) -> str:
    """Explain percent-to-target: the share of the levels the sector expects that are reached."""
    percent = view.percent_to_target
    words = next(phrase for floor, phrase in PROGRESS_WORDS if percent >= floor)
    below = _below_target(view)
    missing = sum(i.gap or 0 for i in below)
    rest = (
        f" Il manque au total {missing} niveau{'x' if missing > 1 else ''} sur {len(below)} "
        f"indicateur{'s' if len(below) > 1 else ''} en dessous de leur cible."
        if below
        else ""
    )
    return (
        f"<p>Atteinte des cibles : <strong>{fmt(percent)} %</strong> — {words}. Ce pourcentage compte, "
        "indicateur par indicateur, les niveaux atteints parmi ceux que votre secteur attend ; un indicateur "
        f"au-dessus de sa cible ne compense pas un niveau manquant ailleurs.{rest}</p>"
    )


def levers_reading(view: ScorecardView) -> str:
    """Name the strongest lever and the one furthest below its target."""
    targets = lever_targets(view)
    scored = [lever for lever in view.levers if lever.score is not None]
    if len(scored) < 2:
        return ""
    best = max(scored, key=lambda lever: lever.score or 0.0)
    gaps = {lever.code: targets.get(lever.code, 0.0) - (lever.score or 0.0) for lever in scored}
    worst = max(scored, key=lambda lever: gaps[lever.code])
    sentence = f"Votre levier le plus avancé est « {escape(best.name)} » ({fmt(best.score)} sur 5)"
    if gaps[worst.code] > 0:
        sentence += (
            f" ; le plus éloigné de sa cible est « {escape(worst.name)} » "
            f"({fmt(worst.score)} pour une cible de {fmt(targets.get(worst.code))})"
        )
    return f"<p>{sentence}.</p>"
