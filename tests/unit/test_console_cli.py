"""`restore-sync console`: refuses at once, naming the package, when graphviz is missing; --help describes it."""

from __future__ import annotations

import io

import pytest

from restore_sync_tools.cli import ExitCode, main


def test_console_without_graphviz_says_which_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    out, err = io.StringIO(), io.StringIO()
    assert main(["console", "--region", "us-east-1"], out=out, err=err) == ExitCode.FAILED
    assert "graphviz is not installed" in err.getvalue()
    assert "apt-get install graphviz" in err.getvalue()
    assert out.getvalue() == ""


def test_console_help_names_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["console", "--help"]) == 0
    shown = capsys.readouterr().out
    for option in ("--port", "--stack-name", "--region", "--profile"):
        assert option in shown
