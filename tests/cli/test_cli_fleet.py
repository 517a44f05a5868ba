"""examples/fleet/fleet.py end to end through the real Pulumi CLI (Automation API, file
backend, passphrase secrets): three accounts, each with its own simulator and token, one
of which is given another account's token. The two healthy accounts get exactly their
trunks while the third fails; the summary and the exit status say so; a rerun with
``--only-failed`` after the token is fixed runs that account alone (no write to the
others); a plain rerun writes nothing anywhere. No token or SIP credential is printed or
stored in clear in the state dir, and the stacks take their settings from their own
config only (a decoy MIHU_* environment is never used). And one account through the
recovery from an interrupted run (the provider's whole refusal, then adopt_uuid in the
inventory) and the deletion guard (--allow-delete)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.cli import PASSPHRASE, pulumi_path
from support import SIP_PASSWORD, SIP_USERNAME, assert_no_credentials, require_cli

FLEET = Path(__file__).resolve().parents[2] / "examples" / "fleet" / "fleet.py"
#: Trunks per account; "west" is the account given a wrong token.
ACCOUNTS = {"north": 2, "south": 3, "west": 1}
BROKEN = "west"


def token_of(account: str) -> str:
    return f"fleet-token-{account}-7c1e9a"


def trunks_of(account: str) -> list[dict[str, str]]:
    index = list(ACCOUNTS).index(account)
    return [{"key": f"line-{n}", "name": f"{account} line {n}",
             "phone_number": f"+1555{index}{n:06d}", "gateway": "sip.telnyx.com"}
            for n in range(ACCOUNTS[account])]


def credentials_of(account: str) -> dict[str, dict[str, str]]:
    """Each trunk's own SIP credentials, each holding the suite's known ones (which
    assert_no_credentials looks for) and the account's name."""
    return {t["key"]: {"username": f"{SIP_USERNAME}-{account}-{t['key']}",
                       "password": f"{SIP_PASSWORD}-{account}-{t['key']}"}
            for t in trunks_of(account)}


def secrets() -> list[str]:
    return [*(token_of(a) for a in ACCOUNTS),
            *(v for a in ACCOUNTS for c in credentials_of(a).values() for v in c.values())]


@pytest.fixture
def sims() -> Iterator[dict[str, MihuSimulator]]:
    """One simulator per account, each accepting only its account's token, and a decoy
    that only the MIHU_* environment names."""
    servers = {name: MihuSimulator(token=token_of(name)).start()
               for name in [*ACCOUNTS, "decoy"]}
    yield servers
    for server in servers.values():
        server.stop()


def write_inventory(root: Path, sims: dict[str, MihuSimulator]) -> Path:
    """The inventory with each kind of source: north's token from an environment
    variable, the others' from files; west's file holds north's token."""
    secrets_dir = root / "secrets"
    secrets_dir.mkdir()
    accounts: list[dict[str, Any]] = []
    for name in ACCOUNTS:
        (secrets_dir / f"{name}-sip.json").write_text(json.dumps(credentials_of(name)))
        token: dict[str, str] = {"env": "FLEET_TEST_NORTH_TOKEN"}
        if name != "north":
            (secrets_dir / f"{name}.token").write_text(
                token_of("north" if name == BROKEN else name) + "\n")
            token = {"file": f"secrets/{name}.token"}
        accounts.append({"name": name, "base_url": sims[name].base_url, "token": token,
                         "sip_credentials": {"file": f"secrets/{name}-sip.json"},
                         "settings": {"maxAttempts": "2", "retryBaseDelay": "0.01"},
                         "trunks": trunks_of(name)})
    inventory = root / "inventory.json"
    inventory.write_text(json.dumps({"accounts": accounts}, indent=2))
    return inventory


def run_fleet(root: Path, inventory: Path, decoy: MihuSimulator,
              *args: str) -> subprocess.CompletedProcess[str]:
    binary = pulumi_path()
    assert binary is not None
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIHU_")}
    env.update({
        "PATH": os.pathsep.join([str(Path(binary).parent), str(Path(sys.executable).parent),
                                 env.get("PATH", "")]),
        "PULUMI_HOME": str(root / "pulumi-home"),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
        "FLEET_TEST_NORTH_TOKEN": token_of("north"),
        # What a provider reading the environment would use: never, since every stack has
        # mihu:* config (pulumi_mihu/settings.py).
        "MIHU_BASE_URL": decoy.base_url,
        "MIHU_API_TOKEN": decoy.state.token,
    })
    return subprocess.run([sys.executable, str(FLEET), str(inventory), "--parallel", "3",
                           "--state-dir", str(root / "state"), *args],
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def summary_rows(stdout: str) -> dict[str, list[str]]:
    """The summary table's rows by account: result, created, replaced, updated,
    unchanged, deleted, failed, seconds."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["account", "result"])
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells[1:]
    return rows


def prefixed(stdout: str) -> dict[str, list[str]]:
    """The progress lines by the account that prefixes them."""
    lines: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        match = re.match(r"\[(\w+) *\] (.*)", line)
        if match:
            lines.setdefault(match[1], []).append(match[2])
    return lines


def account_state(server: MihuSimulator) -> set[tuple[str, str, str, str]]:
    return {(c["name"], c["phone_number"], c["username"], c["password"])
            for c in server.connections.values()}


def expected_state(account: str) -> set[tuple[str, str, str, str]]:
    creds = credentials_of(account)
    return {(t["name"], t["phone_number"], creds[t["key"]]["username"],
             creds[t["key"]]["password"]) for t in trunks_of(account)}


def writes(server: MihuSimulator) -> int:
    return len([r for r in server.writes() if r.method in ("POST", "DELETE")])


def assert_nothing_secret(text: str, where: str) -> None:
    assert_no_credentials(text, where)
    for secret in secrets():
        assert secret not in text, f"a secret ({secret[:12]}...) appears in {where}"


def test_a_fleet_of_three_accounts_one_failing_then_fixed(
        tmp_path: Path, sims: dict[str, MihuSimulator]) -> None:
    require_cli()
    inventory = write_inventory(tmp_path, sims)
    printed: list[str] = []

    # 1. All three at once: west's token is north's, which west's API refuses.
    first = run_fleet(tmp_path, inventory, sims["decoy"])
    printed += [first.stdout, first.stderr]
    assert first.returncode == 1, first.stdout + first.stderr
    for name in ("north", "south"):
        assert account_state(sims[name]) == expected_state(name), name
    assert sims[BROKEN].connections == {}
    assert {r.status for r in sims[BROKEN].requests} == {401}
    rows = summary_rows(first.stdout)
    assert rows["north"][:2] == ["succeeded", str(ACCOUNTS["north"] + 1)]  # + the stack
    assert rows["south"][:2] == ["succeeded", str(ACCOUNTS["south"] + 1)]
    assert rows[BROKEN][0] == "failed"
    assert int(rows[BROKEN][6]) == ACCOUNTS[BROKEN]  # its one create failed
    assert re.search(rf"^{BROKEN}: .*401", first.stdout, re.M), first.stdout
    lines = prefixed(first.stdout)
    assert set(lines) == set(ACCOUNTS)
    assert sum(line.startswith("create ") and line.endswith(" ...")
               for line in lines["south"]) == ACCOUNTS["south"]
    assert any(line.startswith("FAILED ") for line in lines[BROKEN])

    record = json.loads((tmp_path / "state" / "last-results.json").read_text())["accounts"]
    assert {n: r["result"] for n, r in record.items()} == {
        "north": "succeeded", "south": "succeeded", BROKEN: "failed"}
    # --parallel 3: the three ran at once (each started before any finished).
    started = max(datetime.fromisoformat(r["started"]) for r in record.values())
    assert started < min(datetime.fromisoformat(r["finished"]) for r in record.values())

    # 2. West's token fixed; only west runs, the others are not touched.
    (tmp_path / "secrets" / f"{BROKEN}.token").write_text(token_of(BROKEN))
    before = {name: writes(server) for name, server in sims.items()}
    second = run_fleet(tmp_path, inventory, sims["decoy"], "--only-failed")
    printed += [second.stdout, second.stderr]
    assert second.returncode == 0, second.stdout + second.stderr
    assert set(prefixed(second.stdout)) == {BROKEN}
    assert set(summary_rows(second.stdout)) == {BROKEN}
    assert account_state(sims[BROKEN]) == expected_state(BROKEN)
    for name in ("north", "south"):
        assert writes(sims[name]) == before[name], name
        assert account_state(sims[name]) == expected_state(name), name

    # 3. A plain rerun: every account, nothing left to do, no write anywhere.
    before = {name: writes(server) for name, server in sims.items()}
    third = run_fleet(tmp_path, inventory, sims["decoy"])
    printed += [third.stdout, third.stderr]
    assert third.returncode == 0, third.stdout + third.stderr
    assert {name: writes(server) for name, server in sims.items()} == before
    rows = summary_rows(third.stdout)
    assert {name: row[:6] for name, row in rows.items()} == {
        name: ["succeeded", "0", "0", "0", str(count + 1), "0"]
        for name, count in ACCOUNTS.items()}

    assert sims["decoy"].requests == []
    assert_nothing_secret("\n".join(printed), "the fleet's output")
    for path in (tmp_path / "state").rglob("*"):
        if path.is_file():
            assert_nothing_secret(path.read_text(errors="replace"), str(path))


def test_an_interrupted_run_adopted_then_deletions_guarded(tmp_path: Path) -> None:
    """One account, its first run left a connection behind (put in the account before
    the run, as an interrupted run leaves it): the run fails with the provider's whole
    message, the uuid and how to adopt it in the inventory; with ``adopt_uuid`` in the
    inventory the rerun adopts it (no POST). Then ``trunks: []`` (what commenting out
    every trunk means, said on purpose) is refused before anything is written, naming the
    trunks it would delete, and a trunk dropped from the inventory is deleted only with
    ``--allow-delete <account>``."""
    require_cli()
    name, secret_files = "east", tmp_path / "secrets"
    secret_files.mkdir()
    trunks = [{"key": f"line-{n}", "name": f"{name} line {n}",
               "phone_number": f"+1555900000{n}", "gateway": "sip.telnyx.com"}
              for n in range(2)]
    credentials = {t["key"]: {"username": f"{SIP_USERNAME}-{name}-{t['key']}",
                              "password": f"{SIP_PASSWORD}-{name}-{t['key']}"}
                   for t in trunks}
    (secret_files / "sip.json").write_text(json.dumps(credentials))
    inventory = tmp_path / "inventory.json"

    def write(trunk_list: list[dict[str, str]]) -> None:
        inventory.write_text(json.dumps({"accounts": [{
            "name": name, "base_url": sim.base_url, "token": {"env": "FLEET_TEST_NORTH_TOKEN"},
            "sip_credentials": {"file": "secrets/sip.json"},
            "settings": {"maxAttempts": "2", "retryBaseDelay": "0.01"},
            "trunks": trunk_list}]}))

    with MihuSimulator(token=token_of("north")) as sim, MihuSimulator() as decoy:
        # 1. line-0 is already in the account, which the stack does not know.
        (leftover,) = sim.add_connections(1)
        sim.connections[leftover].update(
            {k: trunks[0][k] for k in ("name", "phone_number", "gateway")},
            username=credentials["line-0"]["username"],
            password=credentials["line-0"]["password"])
        write(trunks)
        first = run_fleet(tmp_path, inventory, decoy)
        assert first.returncode == 1, first.stdout + first.stderr
        assert len(sim.connections) == 2  # line-1 made; no twin of line-0
        failure = first.stdout[first.stdout.index(f"\n{name}: "):]
        assert f"this stack does not manage ({leftover})" in failure
        assert f'set adopt_uuid="{leftover}" on this resource' in failure  # its 2nd line
        assert (f'add `adopt_uuid: "{leftover}"` to trunk line-0 of account {name} in the '
                "inventory") in failure
        assert "Traceback" not in first.stdout and 'File "' not in first.stdout

        # 2. Adopted from the inventory: no POST, the leftover is the stack's line-0.
        posts, before = len(sim.requests_to("POST")), json.dumps(sim.connections)
        write([{**trunks[0], "adopt_uuid": leftover}, trunks[1]])
        second = run_fleet(tmp_path, inventory, decoy)
        assert second.returncode == 0, second.stdout + second.stderr
        assert len(sim.requests_to("POST")) == posts
        assert json.dumps(sim.connections) == before  # the account unchanged
        assert summary_rows(second.stdout)[name][:2] == ["succeeded", "1"]

        # 3. `trunks: []`: refused before any write, naming what would go.
        held, writes_before = dict(sim.connections), len(sim.writes())
        write([])
        third = run_fleet(tmp_path, inventory, decoy)
        assert third.returncode == 1, third.stdout + third.stderr
        assert summary_rows(third.stdout)[name][0] == "refused"
        assert f"needs --allow-delete {name}" in third.stdout
        assert f"line-0 (uuid {leftover})" in third.stdout
        assert sim.connections == held and len(sim.writes()) == writes_before
        assert "config: " not in third.stdout  # refused before the config was touched

        # 4. line-1 dropped on purpose: deleted with --allow-delete, line-0 kept.
        write([trunks[0]])
        fourth = run_fleet(tmp_path, inventory, decoy, "--allow-delete", name)
        assert fourth.returncode == 0, fourth.stdout + fourth.stderr
        assert list(sim.connections) == [leftover]
        assert [r.method for r in sim.writes()][writes_before:] == ["DELETE"]
        assert summary_rows(fourth.stdout)[name][5] == "1"  # deleted

    assert decoy.requests == []
    for completed in (first, second, third, fourth):
        assert_nothing_secret(completed.stdout + completed.stderr, "the fleet's output")
