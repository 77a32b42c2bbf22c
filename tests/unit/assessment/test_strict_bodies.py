"""Answer levels are strict integers: a string, a float or a boolean is refused, never coerced."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.assessment.entrypoints.diagnostic_schemas import AnswerBody, ValidationBody


@pytest.mark.parametrize("body", [AnswerBody, ValidationBody])
class TestLevelsOfAnswersAndValidations:
    @pytest.mark.parametrize("level", ["3", 3.0, True, False, "1"])
    def test_a_level_that_is_not_an_integer_is_refused(self, body: type[BaseModel], level: Any) -> None:
        with pytest.raises(ValidationError):
            body.model_validate({"level": level})

    @pytest.mark.parametrize("flag", ["true", 1, "yes"])
    def test_not_applicable_must_be_a_boolean(self, body: type[BaseModel], flag: Any) -> None:
        with pytest.raises(ValidationError):
            body.model_validate({"not_applicable": flag})

    def test_an_integer_level_within_range_is_taken(self, body: type[BaseModel]) -> None:
        assert body.model_validate({"level": 3}).model_dump()["level"] == 3

    @pytest.mark.parametrize("level", [-1, 6])
    def test_a_level_out_of_range_is_still_refused(self, body: type[BaseModel], level: int) -> None:
        with pytest.raises(ValidationError):
            body.model_validate({"level": level})
