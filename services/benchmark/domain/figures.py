"""The figures of a model version: overall, lever and groupement scores, then indicator levels."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from services.benchmark.domain.statistics import Kind
from shared.model.batch import BatchScores
from shared.model.schema import MaturityModel

OVERALL = "overall"
LEVER = "lever:"
GROUPEMENT = "groupement:"
INDICATOR = "indicator:"


def kind_of(figure: str) -> Kind:
    """Return whether a figure is a score (0–5, 0.01 bins) or an indicator level (0…5)."""
    return "level" if figure.startswith(INDICATOR) else "score"


@dataclass(frozen=True)
class FigureLayout:
    """The figures of one model version, in model order (the scoring engine's column order)."""

    score_figures: tuple[str, ...]
    indicator_figures: tuple[str, ...]

    @classmethod
    def of(cls, model: MaturityModel) -> FigureLayout:
        """Return the layout of a model: overall, each lever, each groupement, each indicator."""
        return cls(
            score_figures=(
                OVERALL,
                *(LEVER + lever.code for lever in model.levers),
                *(GROUPEMENT + g.code for lever in model.levers for g in lever.groupements),
            ),
            indicator_figures=tuple(INDICATOR + place.indicator.code for place in model.places()),
        )

    @property
    def figures(self) -> tuple[str, ...]:
        """Return every figure: the scores, then the indicators."""
        return (*self.score_figures, *self.indicator_figures)

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {
            **{figure: i for i, figure in enumerate(self.score_figures)},
            **{figure: i for i, figure in enumerate(self.indicator_figures)},
        }

    def position(self, figure: str) -> int | None:
        """Return a figure's column in the scores or in the levels, None when the model has no such figure."""
        return self._positions.get(figure)

    def score_matrix(self, batch: BatchScores) -> npt.NDArray[np.float64]:
        """Return the engine's batch scores as the (n, score figures) matrix a Population holds."""
        matrix = np.column_stack([batch.overall, batch.levers, batch.groupements]).astype(np.float64)
        if matrix.shape[1] != len(self.score_figures):
            raise ValueError(f"{matrix.shape[1]} score columns for {len(self.score_figures)} figures")
        return matrix
