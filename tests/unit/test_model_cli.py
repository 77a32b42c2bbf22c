"""`dimm model validate | show | diff`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dimm.cli import app
from shared.model.editions import shipped_edition
from tests.unit.model.builders import model

runner = CliRunner()


class TestValidate:
    def test_a_valid_file_is_summarised(self, tmp_path: Path) -> None:
        path = tmp_path / "dimm.json"
        path.write_text(json.dumps(shipped_edition("2.0.0").model_dump(mode="json")))
        result = runner.invoke(app, ["model", "validate", str(path)])
        assert result.exit_code == 0
        assert "valid — dimm@2.0.0, 6 levers, 115 indicators" in result.output

    def test_an_invalid_file_lists_every_problem_and_fails(self, tmp_path: Path) -> None:
        document = model()
        document["levers"][0]["groupements"][0]["indicators"][0]["coefficient"] = 5
        document["profiles"][0]["indicators"].append("ZZ9")
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(document))
        result = runner.invoke(app, ["model", "validate", str(path)])
        assert result.exit_code == 1
        assert "2 problem(s)" in result.output
        expected = "levers[0].groupements[0].indicators[0].coefficient: coefficient 5 is not 1, 2 or 3"
        assert expected in result.output
        assert "profiles[0].indicators: unknown indicator 'ZZ9'" in result.output


class TestShow:
    def test_one_indicator_with_its_levels_and_criteria(self) -> None:
        result = runner.invoke(app, ["model", "show", "dimm@1.0.0", "--indicator", "SP1"])
        assert result.exit_code == 0
        assert "SP1 — Construction du plan stratégique" in result.output
        assert "niveau 5" in result.output
        assert "[SP1.1.a]" in result.output

    def test_an_unknown_indicator_is_an_error(self) -> None:
        result = runner.invoke(app, ["model", "show", "dimm@1.0.0", "--indicator", "ZZ1"])
        assert result.exit_code == 2


class TestDiff:
    def test_the_table_counts_each_kind_of_change(self) -> None:
        result = runner.invoke(app, ["model", "diff", "dimm@1.0.0", "dimm@2.0.0"])
        assert result.exit_code == 0
        assert "dimm@1.0.0 → dimm@2.0.0" in result.output
        assert "2  indicator_added" in result.output
        assert "coefficient_changed      TIO4" in result.output
