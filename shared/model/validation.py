"""Validate a model document and report every problem at once, each with its path."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.model.schema import LEVELS, MAX_LEVEL, Indicator, MaturityModel

COEFFICIENTS = (1, 2, 3)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a model document."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Return the problem as a JSON object."""
        return {"path": self.path, "message": self.message}


class InvalidModel(ValueError):
    """A model document with problems; all of them are listed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the model")
        self.problems = problems


def _path(parts: tuple[int | str, ...]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _structure_problems(exc: ValidationError) -> list[Problem]:
    return [Problem(_path(tuple(err["loc"])), err["msg"]) for err in exc.errors()]


def parse_model(document: Any) -> MaturityModel:
    """Return the model a document describes, or raise InvalidModel listing every problem."""
    if not isinstance(document, dict):
        raise InvalidModel([Problem("(document)", "a model document must be a JSON object")])
    try:
        model = MaturityModel.model_validate(document)
    except ValidationError as exc:
        raise InvalidModel(_structure_problems(exc)) from exc
    problems = model_problems(model)
    if problems:
        raise InvalidModel(problems)
    return model


def _duplicates(codes: list[str], path: str, what: str) -> list[Problem]:
    return [Problem(path, f"duplicate {what} {code!r}") for code, n in Counter(codes).items() if n > 1]


def _indicator_problems(indicator: Indicator, path: str, groupement: str, sectors: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    if not re.fullmatch(rf"{re.escape(groupement)}[1-9][0-9]*", indicator.code):
        problems.append(
            Problem(
                f"{path}.code", f"{indicator.code!r} must be its groupement code {groupement!r} + an ordinal"
            )
        )
    if indicator.coefficient not in COEFFICIENTS:
        problems.append(
            Problem(f"{path}.coefficient", f"coefficient {indicator.coefficient} is not 1, 2 or 3")
        )
    if not 0 <= indicator.default_target <= MAX_LEVEL:
        problems.append(
            Problem(f"{path}.default_target", f"target {indicator.default_target} is outside 0–5")
        )
    for sector, target in indicator.sector_targets.items():
        if sector not in sectors:
            problems.append(Problem(f"{path}.sector_targets.{sector}", f"unknown sector {sector!r}"))
        if not 0 <= target <= MAX_LEVEL:
            problems.append(Problem(f"{path}.sector_targets.{sector}", f"target {target} is outside 0–5"))
    if not indicator.applicability.size_bands:
        problems.append(Problem(f"{path}.applicability.size_bands", "applies to no size band"))
    if not indicator.applicability.organisation_types:
        problems.append(
            Problem(f"{path}.applicability.organisation_types", "applies to no organisation type")
        )
    numbers = [level.level for level in indicator.levels]
    for missing in sorted(set(LEVELS) - set(numbers)):
        problems.append(Problem(f"{path}.levels", f"level {missing} is missing"))
    for index, level in enumerate(indicator.levels):
        if level.level not in LEVELS:
            problems.append(Problem(f"{path}.levels[{index}].level", f"level {level.level} is outside 1–5"))
        if not level.criteria:
            problems.append(
                Problem(f"{path}.levels[{index}].criteria", "a level needs at least one criterion")
            )
    problems += _duplicates([str(n) for n in numbers], f"{path}.levels", "level")
    ids = [c.id for level in indicator.levels for c in level.criteria]
    problems += _duplicates(ids, f"{path}.levels", "criterion id")
    return problems


def model_problems(model: MaturityModel) -> list[Problem]:
    """List every semantic problem of a structurally valid model."""
    sectors = {s.code for s in model.sectors}
    problems = _duplicates([s.code for s in model.sectors], "sectors", "sector")
    problems += _duplicates([lever.code for lever in model.levers], "levers", "lever")
    all_groupements: list[str] = []
    all_indicators: list[str] = []
    for li, lever in enumerate(model.levers):
        for gi, groupement in enumerate(lever.groupements):
            gpath = f"levers[{li}].groupements[{gi}]"
            all_groupements.append(groupement.code)
            if not groupement.code.startswith(lever.code):
                problems.append(
                    Problem(
                        f"{gpath}.code",
                        f"{groupement.code!r} does not start with its lever prefix {lever.code!r}",
                    )
                )
            for ii, indicator in enumerate(groupement.indicators):
                all_indicators.append(indicator.code)
                problems += _indicator_problems(
                    indicator, f"{gpath}.indicators[{ii}]", groupement.code, sectors
                )
    problems += _duplicates(all_groupements, "levers", "groupement")
    problems += _duplicates(all_indicators, "levers", "indicator")
    known = set(all_indicators)
    problems += _duplicates([p.code for p in model.profiles], "profiles", "profile")
    for pi, profile in enumerate(model.profiles):
        for code in profile.indicators:
            if code not in known:
                problems.append(Problem(f"profiles[{pi}].indicators", f"unknown indicator {code!r}"))
    return problems
