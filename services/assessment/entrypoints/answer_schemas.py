"""HTTP bodies of many answers sent at once (never reused as events)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.assessment.domain.answers import Given
from services.assessment.entrypoints.diagnostic_schemas import AnswerBody, AnswerView

#: More than any model's indicators: a respondent answers each at most once per request.
MAX_ANSWERS = 500


class AnswerItem(AnswerBody):
    """An answer on one indicator: one of a level, the criteria met, or N/A; comment and evidence optional."""

    indicator: str = Field(min_length=1, max_length=32, description="The indicator's code, e.g. `SP1`.")


class AnswersBody(BaseModel):
    """A respondent's answers on several indicators of one diagnostic, stored all together or not at all."""

    model_config = ConfigDict(extra="forbid")

    respondent_id: str | None = Field(
        None,
        max_length=64,
        description="Whose answers these are: a respondent's token answers for itself and may omit it; "
        "the owner names the respondent.",
    )
    answers: list[AnswerItem] = Field(min_length=1, max_length=MAX_ANSWERS)

    def to_given(self) -> list[tuple[str, Given]]:
        """Return each indicator with what the respondent says about it, in the order sent."""
        return [(item.indicator, item.to_given()) for item in self.answers]


class AnswersSaved(BaseModel):
    """The answers stored, in the order they were sent."""

    answers: list[AnswerView]
