import subprocess
import sys

import pytest

from app import cli
from app.config import Settings


def test_serve_port_parsed_into_settings() -> None:
    args = cli.build_parser().parse_args(["serve", "--port", "1234"])
    assert cli.settings_from_args(args, environ={}) == Settings(host="127.0.0.1", port=1234)


def test_serve_defaults_come_from_env() -> None:
    args = cli.build_parser().parse_args(["serve"])
    env = {"PORT": "9999", "LSTM_LENS_HOST": "0.0.0.0"}
    assert cli.settings_from_args(args, environ=env) == Settings(host="0.0.0.0", port=9999)


def test_settings_defaults() -> None:
    assert Settings.from_env({}) == Settings(host="127.0.0.1", port=8000)


def test_serve_calls_server_with_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Settings] = []
    monkeypatch.setattr(cli, "run_server", calls.append)
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("LSTM_LENS_HOST", raising=False)
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "1234"]) == 0
    assert calls == [Settings(host="0.0.0.0", port=1234)]


def test_invalid_port_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["serve", "--port", "70000"])
    assert excinfo.value.code == 2
    assert "invalid port" in capsys.readouterr().err


def test_no_args_prints_help_and_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage: lstm-lens" in capsys.readouterr().err


def test_no_args_process_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "serve" in proc.stderr
