"""The test command sets up what the CLI tests need: when any selected test needs the real
CLI and no usable ``pulumi`` is found, the session builds it first
(``pytest_collection_finish`` in tests/conftest.py, ``support.ensure_cli``), so that no CLI
test is skipped; where it cannot be built, the run stops saying how to install Pulumi. The
fast tier never builds. The build is replaced by a stand-in here."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import conftest
import pytest

import support
from support import CliUnavailable, cli_tests_selected, ensure_cli


class Item:
    """A collected test with the given markers."""

    def __init__(self, *markers: str) -> None:
        self.markers = markers

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name in self.markers else None


def session(*items: Item) -> Any:
    plugins = SimpleNamespace(getplugin=lambda name: None)
    return SimpleNamespace(items=list(items), config=SimpleNamespace(pluginmanager=plugins))


def builder(builds: list[int]) -> Callable[[], int]:
    """A stand-in for the install script: it records a build (in ``builds``) that succeeds."""

    def build() -> int:
        builds.append(1)
        return 0

    return build


def test_only_a_selection_with_cli_tests_needs_the_cli() -> None:
    assert not cli_tests_selected([])
    assert not cli_tests_selected([Item("fast"), Item("host")])
    assert cli_tests_selected([Item("fast"), Item("cli")])


def test_the_session_builds_only_for_cli_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def ensure() -> str:
        calls.append("ensure")
        return "pulumi"

    monkeypatch.setattr(conftest, "ensure_cli", ensure)
    conftest.pytest_collection_finish(session(Item("fast"), Item("host")))
    assert calls == [], "the fast and host tiers never look for the CLI"
    conftest.pytest_collection_finish(session(Item("fast"), Item("cli")))
    assert calls == ["ensure"]


def test_the_session_builds_the_language_hosts_its_tests_need(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "ensure_cli", lambda: "pulumi")
    wanted: list[tuple[str, str]] = []
    monkeypatch.setattr(conftest, "ensure_language_host",
                        lambda name, marker: wanted.append((name, marker)))
    conftest.pytest_collection_finish(session(Item("cli")))
    assert wanted == [], "tests of Python programs need no other host"
    conftest.pytest_collection_finish(session(Item("cli", "yaml"), Item("cli", "nodejs"),
                                              Item("cli", "golang")))
    assert wanted == [("pulumi-language-yaml", "yaml"), ("pulumi-language-nodejs", "nodejs"),
                      ("pulumi-language-go", "golang")]


def test_a_usable_cli_is_not_built_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "usable_pulumi", lambda: "/usr/bin/pulumi")
    builds: list[int] = []
    said: list[str] = []
    assert ensure_cli(said.append, builder(builds)) == "/usr/bin/pulumi"
    assert builds == [] and said == []


def test_a_missing_cli_is_built_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    found = iter([None, "/home/u/.pulumi/bin/pulumi"])
    monkeypatch.setattr(support, "usable_pulumi", lambda: next(found))
    builds: list[int] = []
    said: list[str] = []
    assert ensure_cli(said.append, builder(builds)) == (
        "/home/u/.pulumi/bin/pulumi")
    assert builds == [1]
    assert "building it with scripts/install-pulumi-cli.sh" in said[0]


@pytest.mark.parametrize("status", [1, 0], ids=["the build fails", "nothing usable after"])
def test_without_a_build_it_says_how_to_install_pulumi(
        monkeypatch: pytest.MonkeyPatch, status: int) -> None:
    monkeypatch.setattr(support, "usable_pulumi", lambda: None)
    with pytest.raises(CliUnavailable, match=re.escape("https://www.pulumi.com/docs/install/")):
        ensure_cli(lambda _: None, lambda: status)


def test_the_session_stops_before_any_test_when_the_cli_cannot_be_built(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_go() -> str:
        raise CliUnavailable("it needs Go")

    monkeypatch.setattr(conftest, "ensure_cli", no_go)
    with pytest.raises(pytest.exit.Exception) as info:
        conftest.pytest_collection_finish(session(Item("cli")))
    assert info.value.returncode == pytest.ExitCode.USAGE_ERROR
    assert "it needs Go" in str(info.value) and "-m 'not cli'" in str(info.value)


def test_one_session_at_a_time_checks_and_builds_the_tools(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Under `-n`, every xdist worker collects and would build a missing CLI: while one
    holds the tools lock (building), another session's check waits for it to finish,
    and then finds the CLI built instead of building it a second time."""
    built: list[str] = []
    waiting_started = threading.Event()

    def ensure() -> str:
        built.append("checked while " + ("free" if not built else "after a build"))
        return "pulumi"

    monkeypatch.setattr(conftest, "ensure_cli", ensure)
    monkeypatch.setenv("PULUMI_INSTALL_DIR", str(tmp_path))  # not the machine's lock

    def another_session() -> None:
        waiting_started.set()
        conftest.pytest_collection_finish(session(Item("cli")))

    with conftest.tools_lock():
        assert (tmp_path / ".pulumi-mihu-tools.lock").exists()
        other = threading.Thread(target=another_session)
        other.start()
        waiting_started.wait(5)
        other.join(0.5)
        assert other.is_alive(), "the second session checked while the first held the lock"
        assert built == []
    other.join(5)
    assert not other.is_alive() and built == ["checked while free"]


def test_the_build_is_said_on_stderr_which_xdist_workers_share_with_the_terminal(
        capsys: pytest.CaptureFixture[str]) -> None:
    support.tell("building the Pulumi CLI")
    out, err = capsys.readouterr()
    assert out == "" and err == "building the Pulumi CLI\n"


def test_a_stop_is_said_on_stderr_before_the_session_exits(
        capsys: pytest.CaptureFixture[str]) -> None:
    """pytest shows an xdist worker's pytest.exit only as the controller's internal error,
    so the reason goes to stderr first."""
    with pytest.raises(pytest.exit.Exception) as info:
        conftest.stop("The Pulumi CLI could not be built here")
    assert info.value.returncode == pytest.ExitCode.USAGE_ERROR
    assert capsys.readouterr().err == "The Pulumi CLI could not be built here\n"
