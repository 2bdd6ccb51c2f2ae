"""lstm-lens train / results: options parsed, a model trained and saved, progress reported."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest

from app import cli
from app.train_command import ProgressBar, parse_options
from model.model_file import load_model


def test_parse_options() -> None:
    assert parse_options(["p=20", "rate=0.5", "name=x"]) == {"p": 20, "rate": 0.5, "name": "x"}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_options(["p"])


def test_train_writes_a_model_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = cli.main(
        ["train", "lag", "--variant", "gru", "--option", "p=5", "--steps", "3",
         "--hidden", "4", "--seed", "7", "--out", str(tmp_path)]
    )  # fmt: skip
    assert code == 0
    saved = load_model(tmp_path / "lag-p5-gru")
    assert saved.card["training"]["steps"] == 3 and saved.card["training"]["seed"] == 7
    assert saved.card["task_config"] == {"p": 5}
    captured = capsys.readouterr()
    assert "lag-p5-gru: held-out metric" in captured.out
    assert "step 3/3" in captured.err


@pytest.mark.parametrize(
    "arguments",
    [
        ["--option", "q=3"],
        ["--option", "p=100000"],
        ["--lr", "-1"],
        ["--lr", "nan"],
        ["--seed", "-1"],
        ["--out", "/proc/no/such/place"],
    ],
)
def test_bad_arguments_are_clean_errors(
    arguments: list[str], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "lag", "--variant", "lstm", "--out", str(tmp_path), *arguments])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_progress_bar_shows_loss_metric_and_eta() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "accuracy")
    bar.update(SimpleNamespace(step=50, steps=100, loss=0.25, metric=0.9, seconds=10.0))
    bar.update(SimpleNamespace(step=100, steps=100, loss=0.125, metric=0.95, seconds=20.0))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("step 50/100 [############............] loss 0.2500")
    assert "held-out accuracy 0.900" in lines[0] and "ETA 0:10" in lines[0]
    assert lines[-1].endswith("ETA 0:00")
