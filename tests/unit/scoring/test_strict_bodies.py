"""Simulated levels are strict integers: a string, a float or a boolean is refused, never coerced."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.scoring.entrypoints.schemas import SimulationBody


class TestSimulationLevels:
    @pytest.mark.parametrize("level", ["3", 3.0, True])
    def test_a_simulated_level_that_is_not_an_integer_is_refused(self, level: Any) -> None:
        with pytest.raises(ValidationError):
            SimulationBody.model_validate({"levels": {"SP1": level}})

    def test_integer_levels_are_taken(self) -> None:
        assert SimulationBody.model_validate({"levels": {"SP1": 4}}).levels == {"SP1": 4}
