"""`dimm model …`: validate a model file, show a model, compare two versions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from shared.model.diff import Change, diff_models
from shared.model.editions import shipped_edition
from shared.model.schema import MaturityModel
from shared.model.validation import InvalidModel, parse_model

app = typer.Typer(help="Maturity models: validate, show, diff.", no_args_is_help=True)


def load(reference: str) -> MaturityModel:
    """Load a model from a JSON file, or a shipped edition named `dimm[@VERSION]`."""
    path = Path(reference)
    if path.suffix == ".json" or path.is_file():
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise typer.BadParameter(f"cannot read {reference}: {exc}") from exc
        try:
            return parse_model(document)
        except InvalidModel as exc:
            _print_problems(reference, exc)
            raise typer.Exit(1) from exc
    model_id, _, version = reference.partition("@")
    if model_id != "dimm":
        raise typer.BadParameter(f"{reference!r} is neither a JSON file nor a shipped edition (dimm@VERSION)")
    try:
        return shipped_edition(version or "2.0.0")
    except KeyError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _print_problems(reference: str, exc: InvalidModel) -> None:
    typer.echo(f"{reference}: {len(exc.problems)} problem(s)", err=True)
    for problem in exc.problems:
        typer.echo(f"  {problem.path}: {problem.message}", err=True)


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="A model document (JSON).")]) -> None:
    """Validate a model file and list every problem with its path."""
    model = load(str(file))
    typer.echo(
        f"{file}: valid — {model.ref}, {len(model.levers)} levers, {model.indicator_count} indicators, "
        f"{len(model.sectors)} sectors, {len(model.profiles)} profile(s), {model.content_hash}"
    )


@app.command()
def show(
    reference: Annotated[str, typer.Argument(help="dimm[@VERSION] or a JSON file.")],
    indicator: Annotated[str | None, typer.Option(help="Show one indicator in full.")] = None,
) -> None:
    """Show a model's structure, or one indicator with its levels and criteria."""
    model = load(reference)
    if indicator is None:
        typer.echo(f"{model.title} — {model.ref} ({model.indicator_count} indicators)")
        for lever in model.levers:
            typer.echo(f"\n{lever.code}  {lever.name} — {lever.key_question}")
            for groupement in lever.groupements:
                typer.echo(f"  {groupement.code}  {groupement.name}")
                for item in groupement.indicators:
                    typer.echo(f"    {item.code:<6} ×{item.coefficient}  {item.name}")
        return
    place = model.place(indicator)
    if place is None:
        raise typer.BadParameter(f"no indicator {indicator!r} in {model.ref}")
    item = place.indicator
    typer.echo(f"{item.code} — {item.name}  ({model.ref}, {place.lever} / {place.groupement})")
    typer.echo(f"coefficient {item.coefficient}, target {item.default_target}, N/A allowed: {item.allows_na}")
    bands, types = item.applicability.size_bands, item.applicability.organisation_types
    typer.echo(f"applies to: {', '.join(bands)} × {', '.join(types)}")
    if item.sector_targets:
        typer.echo("sector targets: " + ", ".join(f"{s} {t}" for s, t in sorted(item.sector_targets.items())))
    typer.echo(item.description)
    for level in item.levels:
        typer.echo(f"\n  niveau {level.level} — {level.summary}")
        for criterion in level.criteria:
            typer.echo(f"    [{criterion.id}] {criterion.text}")
            if criterion.evidence:
                typer.echo(f"        preuve : {criterion.evidence}")


def _row(change: Change) -> str:
    where = change.indicator or change.groupement or change.lever or ""
    detail = change.field or ""
    if change.level is not None:
        detail = f"niveau {change.level} {detail}".strip()
    before, after = _short(change.before), _short(change.after)
    return f"{change.kind:<24} {where:<6} {detail:<18} {before} → {after}"


def _short(value: object) -> str:
    if isinstance(value, dict) and "text" in value:
        value = value["text"]
    text = "—" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


@app.command()
def diff(
    before: Annotated[str, typer.Argument(help="dimm@VERSION or a JSON file.")],
    after: Annotated[str, typer.Argument(help="dimm@VERSION or a JSON file.")],
) -> None:
    """List what changed from one version to another."""
    result = diff_models(load(before), load(after))
    typer.echo(f"{result.from_ref} → {result.to_ref}: {len(result.changes)} change(s)")
    for kind, count in sorted(Counter(c.kind for c in result.changes).items()):
        typer.echo(f"  {count:>4}  {kind}")
    if result.changes:
        typer.echo("")
        for change in result.changes:
            typer.echo(_row(change))
