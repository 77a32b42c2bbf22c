"""Change notices: what changed, whom it touches, and their lifecycle draft → published → withdrawn."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, get_args

from services.watch.domain.diagnostics import WatchedDiagnostic
from services.watch.domain.rules import Rule
from shared.aggregate import Aggregate
from shared.errors import Conflict, InvalidInput
from shared.events.contracts.watch import (
    ChangeValue,
    ModelChangeItem,
    ModelChangeSummary,
    NoticeKind,
    NoticePublished,
    NoticeWithdrawn,
    Severity,
)
from shared.model.diff import Change
from shared.model.schema import SEMVER_PATTERN, version_key
from shared.model.vocabulary import OrganisationType, SizeBand

NoticeStatus = Literal["draft", "published", "withdrawn"]
KINDS: tuple[str, ...] = get_args(NoticeKind)
SEVERITIES: tuple[str, ...] = get_args(Severity)
SIZE_BANDS: tuple[str, ...] = get_args(SizeBand)
ORGANISATION_TYPES: tuple[str, ...] = get_args(OrganisationType)
EDITABLE = frozenset(
    {"title_fr", "summary_fr", "source_url", "see_also", "effective_date", "date_note", "deadline"}
    | {"severity", "scope", "rule", "mapping_note"}
)


def _invalid(path: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors=[{"path": path, "message": message}])


def groupement_of(code: str) -> str:
    """Return an indicator's groupement: its code without the ordinal (the model validation ensures it)."""
    return code.rstrip("0123456789")


@dataclass(frozen=True)
class Scope:
    """Which parts of the model a notice touches, and which organisations it may concern."""

    indicators: frozenset[str] = frozenset()
    groupements: frozenset[str] = frozenset()
    levers: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    """Empty: every sector (so for the size bands and organisation types)."""
    size_bands: frozenset[str] = frozenset()
    organisation_types: frozenset[str] = frozenset()
    model_id: str | None = None
    min_model_version: str | None = None
    max_model_version: str | None = None

    def __post_init__(self) -> None:
        if unknown := self.size_bands - set(SIZE_BANDS):
            raise _invalid("scope.size_bands", f"unknown size band(s): {', '.join(sorted(unknown))}")
        if unknown := self.organisation_types - set(ORGANISATION_TYPES):
            raise _invalid("scope.organisation_types", f"unknown type(s): {', '.join(sorted(unknown))}")
        for name in ("min_model_version", "max_model_version"):
            version = getattr(self, name)
            if version is not None and not re.fullmatch(SEMVER_PATTERN, version):
                raise _invalid(f"scope.{name}", f"{version!r} is not a semantic version")
        low, high = self.min_model_version, self.max_model_version
        if low and high and version_key(low) > version_key(high):
            raise _invalid("scope", f"the version range {low}–{high} is empty")

    @property
    def names_anything(self) -> bool:
        """Tell whether it names at least one indicator, groupement or lever."""
        return bool(self.indicators or self.groupements or self.levers)

    def touches(self, code: str) -> bool:
        """Tell whether an indicator is named, or sits in a named groupement or lever."""
        groupement = groupement_of(code)
        return (
            code in self.indicators
            or groupement in self.groupements
            or any(groupement.startswith(lever) for lever in self.levers)
        )

    def admits(self, diagnostic: WatchedDiagnostic) -> bool:
        """Apply the sector, size band, type, model and version filters."""
        version = version_key(diagnostic.model_version)
        return (
            (not self.sectors or diagnostic.sector in self.sectors)
            and (not self.size_bands or diagnostic.size_band in self.size_bands)
            and (not self.organisation_types or diagnostic.organisation_type in self.organisation_types)
            and (self.model_id is None or diagnostic.model_id == self.model_id)
            and (self.min_model_version is None or version >= version_key(self.min_model_version))
            and (self.max_model_version is None or version <= version_key(self.max_model_version))
        )


@dataclass(frozen=True)
class ModelChange:
    """For a model notice: the versions it goes from and to, and the changes between them."""

    from_version: str
    to_version: str
    changes: tuple[Change, ...]


@dataclass(eq=False)
class Notice(Aggregate):
    """A change notice; edited as a draft, published once, possibly withdrawn."""

    id: str
    kind: NoticeKind
    title_fr: str
    summary_fr: str
    source_url: str
    effective_date: date | None
    severity: Severity
    scope: Scope
    deadline: date | None = None
    rule: Rule | None = None
    model_change: ModelChange | None = None
    see_also: tuple[str, ...] = ()
    date_note: str | None = None
    mapping_note: str = ""
    status: NoticeStatus = "draft"
    published_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None

    def __post_init__(self) -> None:
        for name in ("id", "title_fr", "summary_fr"):
            if not getattr(self, name).strip():
                raise _invalid(name, f"{name} must not be empty")
        if self.kind not in KINDS or self.severity not in SEVERITIES:
            raise _invalid("kind", f"kind must be one of {KINDS}, severity one of {SEVERITIES}")
        for url in (self.source_url, *self.see_also):
            if not url.startswith("https://"):
                raise _invalid("source_url", f"{url!r} is not an https URL")
        if self.deadline and self.effective_date and self.deadline < self.effective_date:
            raise _invalid("deadline", "the deadline comes before the effective date")
        if not self.scope.names_anything and self.rule is None and self.kind != "model":
            raise _invalid("scope", "a notice names an indicator, a groupement or a lever, or has a rule")
        if (self.kind == "model") != (self.model_change is not None) or (
            self.model_change is not None and self.scope.model_id is None
        ):
            raise _invalid("model_change", "a model notice, and only it, carries its model and versions")

    def revise(self, **changes: object) -> None:
        """Edit a draft; the notice is validated again as a whole."""
        if self.status != "draft":
            raise Conflict(f"notice {self.id} is {self.status}: only a draft can be edited")
        if unknown := changes.keys() - EDITABLE:
            raise _invalid(", ".join(sorted(unknown)), f"not editable: {', '.join(sorted(unknown))}")
        revised = dataclasses.replace(self, **changes)  # type: ignore[arg-type]  # validated in __post_init__
        for name in changes:
            setattr(self, name, getattr(revised, name))

    def publish(self, at: datetime) -> None:
        """Publish a draft, recording NoticePublished."""
        if self.status != "draft":
            raise Conflict(f"notice {self.id} is already {self.status}")
        self.status, self.published_at = "published", at
        self.record(self.published_event(), subject=self.id)

    def withdraw(self, at: datetime, reason: str) -> None:
        """Withdraw a published notice, recording NoticeWithdrawn."""
        if self.status != "published":
            raise Conflict(f"notice {self.id} is {self.status}: only a published notice can be withdrawn")
        if not reason.strip():
            raise _invalid("reason", "say why the notice is withdrawn")
        self.status, self.withdrawn_at, self.withdrawal_reason = "withdrawn", at, reason
        self.record(NoticeWithdrawn(notice_id=self.id, reason=reason, withdrawn_at=at), subject=self.id)

    def targets(self, diagnostic: WatchedDiagnostic) -> bool:
        """Tell whether an organisation's latest diagnostic is concerned by this notice."""
        if not self.scope.admits(diagnostic):
            return False
        if self.model_change is not None:
            return self._targets_model(diagnostic)
        if self.rule is not None:
            return self.rule.matches(diagnostic.levels)
        return any(self.scope.touches(code) for code in diagnostic.levels)

    def _targets_model(self, diagnostic: WatchedDiagnostic) -> bool:
        assert self.model_change is not None
        if diagnostic.model_id != self.scope.model_id or version_key(diagnostic.model_version) > version_key(
            self.model_change.from_version
        ):
            return False
        if self.rule is not None and not self.rule.matches(diagnostic.levels):
            return False
        return any(self.scope.touches(code) for code in diagnostic.levels if diagnostic.answered(code))

    def touched_codes(self, diagnostic: WatchedDiagnostic) -> list[str]:
        """Return the diagnostic's indicators this notice touches (or its rule names), in its order."""
        named = self.rule.codes if self.rule is not None else frozenset()
        return [code for code in diagnostic.levels if self.scope.touches(code) or code in named]

    def published_event(self) -> NoticePublished:
        """Describe the notice as published."""
        assert self.published_at is not None
        scope, change = self.scope, self.model_change
        return NoticePublished(
            notice_id=self.id,
            kind=self.kind,
            severity=self.severity,
            title=self.title_fr,
            summary=self.summary_fr,
            source_url=self.source_url,
            see_also=list(self.see_also),
            effective_date=self.effective_date,
            date_note=self.date_note,
            deadline=self.deadline,
            indicators=sorted(scope.indicators),
            groupements=sorted(scope.groupements),
            levers=sorted(scope.levers),
            sectors=sorted(scope.sectors),
            size_bands=sorted(scope.size_bands),
            organisation_types=sorted(scope.organisation_types),
            model_id=scope.model_id,
            min_model_version=scope.min_model_version,
            max_model_version=scope.max_model_version,
            rule=None if self.rule is None else str(self.rule),
            model_change=None if change is None else _summary(change),
            published_at=self.published_at,
        )


def _summary(change: ModelChange) -> ModelChangeSummary:
    return ModelChangeSummary(
        from_version=change.from_version,
        to_version=change.to_version,
        changes=[
            ModelChangeItem(
                kind=c.kind,
                lever=c.lever,
                groupement=c.groupement,
                indicator=c.indicator,
                field=c.field,
                level=c.level,
                before=_compact(c.before),
                after=_compact(c.after),
            )
            for c in change.changes
        ],
    )


def _compact(value: Any) -> ChangeValue:
    """Keep a change's value small: a criterion as its text, lists as strings."""
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, dict):
        return str(value.get("text", value))
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)
