"""The harness is a checked replica of the engine: the same scenarios run through
``StackHarness`` and through the real ``pulumi`` CLI (file backend), each against its own
simulator, and what matters must agree: the steps per resource, the requests the API
received (as multisets: parallel steps may reorder them), the final checkpoint (entries,
ids and outputs by resource name, pending deletes included) and the stack outputs.

Without a CLI on PATH the harness side still runs and checks the engine's behaviour as
recorded here; in CI (``CI=true``) a missing CLI is a failure.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pulumi_mihu.testing import Fault, MihuSimulator
from pulumi_mihu.testing.cli import PulumiCli, pulumi_path
from pulumi_mihu.testing.harness import (
    DYNAMIC_PREFIX,
    LOGICAL_OPS,
    DeploymentError,
    RunResult,
    StackHarness,
)
from pulumi_mihu.testing.host import strip_secrets
from support import stack_config

PROGRAM = Path(__file__).resolve().parent / "differential_program"
PROJECT = "difftest"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")

pytestmark = pytest.mark.cli


def cli_available() -> bool:
    if pulumi_path() is not None:
        return True
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true but the Pulumi CLI is not on PATH: install it with "
                    "scripts/install-pulumi-cli.sh and put ~/.pulumi/bin on PATH")
    return False


# -- what each side observed ----------------------------------------------------------------


def normalize(value: Any) -> Any:
    """Values as compared: ids and timestamps (which differ between runs) masked."""
    if isinstance(value, str):
        return TIMESTAMP.sub("<time>", UUID.sub("<uuid>", value))
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items() if k != "__provider"}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def canonical(value: Any) -> str:
    return json.dumps(normalize(value), sort_keys=True)


@dataclass
class Entry:
    """One checkpoint entry of a dynamic resource."""

    name: str
    id: str
    outputs: dict[str, Any]
    delete: bool = False
    pending_replacement: bool = False

    def key(self) -> tuple[str, bool, bool, str]:
        return (self.name, self.delete, self.pending_replacement, canonical(self.outputs))


@dataclass
class Observation:
    ok: bool
    #: resource name -> its steps' ops, in order
    steps: dict[str, list[str]]
    requests: Counter[tuple[str, str, int | None, str]]
    entries: list[Entry] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def checkpoint(self) -> Counter[tuple[str, bool, bool, str]]:
        return Counter(e.key() for e in self.entries)

    def summary(self) -> Counter[str]:
        return Counter(op for ops in self.steps.values() for op in ops if op in LOGICAL_OPS)


def requests_of(sim: MihuSimulator) -> Counter[tuple[str, str, int | None, str]]:
    return Counter((r.method, normalize(r.path), r.status, canonical(r.body))
                   for r in sim.requests)


def check_account(observation: Observation, sim: MihuSimulator, side: str) -> None:
    """Every entry's id is its uuid output, and the account holds exactly the connections
    the checkpoint knows (a deleted-for-replacement entry holds none)."""
    live = set()
    for entry in observation.entries:
        assert entry.id == entry.outputs.get("uuid"), (side, entry)
        if not entry.pending_replacement:
            live.add(entry.id)
    assert live == set(sim.connections), f"{side}: the account and the checkpoint differ"


class HarnessSide:
    def __init__(self, sim: MihuSimulator, config: dict[str, str]) -> None:
        self.sim = sim
        self.stack = StackHarness(PROGRAM, config={**stack_config(sim), **config},
                                  secret_keys={"mihu:apiToken"}, project=PROJECT)

    def set_config(self, **values: str) -> None:
        self.stack.config.update({f"{PROJECT}:{k}": v for k, v in values.items()})

    def run(self, operation: str) -> Observation:
        self.sim.state.requests.clear()
        try:
            result = getattr(self.stack, operation)()
            ok, message = True, ""
        except DeploymentError as exc:
            result, ok, message = exc.result, False, str(exc)
        return self.observe(result, ok, message)

    def observe(self, result: RunResult, ok: bool, message: str) -> Observation:
        steps: dict[str, list[str]] = {}
        for step in result.steps:
            if DYNAMIC_PREFIX in step.urn:
                steps.setdefault(step.urn.rsplit("::", 1)[-1], []).append(step.op)
        entries = [Entry(r.name, r.id, strip_secrets(r.outputs)[0], r.pending_delete,
                         r.pending_replacement)
                   for r in self.stack.state if r.type.startswith(DYNAMIC_PREFIX)]
        outputs = strip_secrets(self.stack.outputs)[0]
        if result.preview:
            entries, outputs = [], {}
        return Observation(ok, steps, requests_of(self.sim), entries, outputs, message)


class CliSide:
    def __init__(self, sim: MihuSimulator, config: dict[str, str], work_dir: Path) -> None:
        self.sim = sim
        self.cli = PulumiCli(PROGRAM, project=PROJECT, work_dir=work_dir, env={
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"})
        self.cli.run("stack", "init", self.cli.stack, "--secrets-provider", "passphrase")
        values = {**stack_config(sim), **config}
        args = []
        for key, value in values.items():
            args += ["--secret" if key == "mihu:apiToken" else "--plaintext", f"{key}={value}"]
        self.cli.run("config", "set-all", *args, "--stack", self.cli.stack)

    def set_config(self, **values: str) -> None:
        args = []
        for key, value in values.items():
            args += ["--plaintext", f"{PROJECT}:{key}={value}"]
        self.cli.run("config", "set-all", *args, "--stack", self.cli.stack)

    def run(self, operation: str) -> Observation:
        self.sim.state.requests.clear()
        stack = ["--stack", self.cli.stack]
        if operation == "preview":
            done = self.cli.run("preview", "--json", "--show-sames", "--show-replacement-steps",
                                *stack, check=False)
            digest = json.loads(done.stdout)
            steps: dict[str, list[str]] = {}
            for step in digest.get("steps", []):
                if DYNAMIC_PREFIX in step["urn"]:
                    steps.setdefault(step["urn"].rsplit("::", 1)[-1], []).append(step["op"])
            return Observation(done.returncode == 0, steps, requests_of(self.sim),
                               message=done.stdout + done.stderr)
        done = self.cli.run(operation, "--json", "--yes", "--skip-preview", *stack,
                            check=False)
        steps = {}
        for event in events(done.stdout):
            pre = event.get("resourcePreEvent")
            if pre and pre["metadata"]["type"].startswith(DYNAMIC_PREFIX):
                name = pre["metadata"]["urn"].rsplit("::", 1)[-1]
                steps.setdefault(name, []).append(pre["metadata"]["op"])
        entries, outputs = self.checkpoint()
        return Observation(done.returncode == 0, steps, requests_of(self.sim), entries,
                           outputs, done.stdout + done.stderr)

    def checkpoint(self) -> tuple[list[Entry], dict[str, Any]]:
        exported = json.loads(self.cli.run("stack", "export", "--show-secrets", "--stack",
                                           self.cli.stack).stdout)
        entries, outputs = [], {}
        for resource in exported["deployment"].get("resources") or []:
            if resource["type"] == "pulumi:pulumi:Stack":
                outputs = reveal(resource.get("outputs", {}))
            elif resource["type"].startswith(DYNAMIC_PREFIX):
                entries.append(Entry(resource["urn"].rsplit("::", 1)[-1], resource["id"],
                                     reveal(resource.get("outputs", {})),
                                     bool(resource.get("delete")),
                                     bool(resource.get("pendingReplacement"))))
        return entries, outputs


def events(stdout: str) -> Iterator[dict[str, Any]]:
    for line in stdout.splitlines():
        if line.startswith("{"):
            yield json.loads(line)


def reveal(value: Any) -> Any:
    """A ``stack export --show-secrets`` value with its secrets unwrapped."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270" and "plaintext" in value:
            return reveal(json.loads(value["plaintext"]))
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


class Pair:
    """The same stack on both sides; ``run`` performs an operation on each and checks that
    they agree."""

    def __init__(self, tmp_path: Path, config: dict[str, str], latency: float = 0.0) -> None:
        self.harness_sim = MihuSimulator(latency=latency).start()
        self.harness = HarnessSide(self.harness_sim, config)
        self.cli: CliSide | None = None
        self.cli_sim: MihuSimulator | None = None
        if cli_available():
            self.cli_sim = MihuSimulator(latency=latency).start()
            self.cli = CliSide(self.cli_sim, config, tmp_path / "cli")

    def sims(self) -> list[MihuSimulator]:
        return [s for s in (self.harness_sim, self.cli_sim) if s is not None]

    def set_config(self, **values: str) -> None:
        self.harness.set_config(**values)
        if self.cli:
            self.cli.set_config(**values)

    def inject(self, make: Any) -> None:
        for sim in self.sims():
            sim.inject(make())

    def set_latency(self, latency: float) -> None:
        for sim in self.sims():
            sim.state.latency = latency

    def run(self, operation: str, *, exact: bool = True) -> list[Observation]:
        """Both sides' observations (the harness's first). ``exact``: compare steps and
        requests exactly; otherwise only the invariants (for races inside the engine)."""
        observed = [self.harness.run(operation)]
        check_account_of = [self.harness_sim]
        if self.cli and self.cli_sim:
            observed.append(self.cli.run(operation))
            check_account_of.append(self.cli_sim)
        sides = ("harness", "cli")[:len(observed)]
        for observation, sim, side in zip(observed, check_account_of, sides, strict=True):
            if operation != "preview":
                check_account(observation, sim, side)
        if len(observed) == 2:
            harness, cli = observed
            assert harness.ok == cli.ok, (harness.message, cli.message)
            if exact:
                assert harness.steps == cli.steps
                assert harness.requests == cli.requests
                assert harness.checkpoint() == cli.checkpoint()
                assert normalize(harness.outputs) == normalize(cli.outputs)
        return observed

    def close(self) -> None:
        if self.cli:
            self.cli.cli.cleanup()
        for sim in self.sims():
            sim.stop()


@pytest.fixture
def pair_factory(tmp_path: Path) -> Iterator[Any]:
    pairs: list[Pair] = []

    def make(config: dict[str, str], latency: float = 0.0) -> Pair:
        pair = Pair(tmp_path / f"pair-{len(pairs)}", config, latency)
        pairs.append(pair)
        return pair

    yield make
    for pair in pairs:
        pair.close()


def config(**values: str) -> dict[str, str]:
    return {f"{PROJECT}:{k}": v for k, v in values.items()}


def ops(observation: Observation) -> dict[str, list[str]]:
    return observation.steps


def methods(observation: Observation) -> Counter[str]:
    """Write requests by method. Reads are left out: an up that creates reads the list
    once first (the create guard's baseline), on both sides alike (the request multisets
    are compared in full by ``pair.run``)."""
    counts: Counter[str] = Counter()
    for (method, _, _, _), n in observation.requests.items():
        if method != "GET":
            counts[method] += n
    return counts


# -- the scenarios ----------------------------------------------------------------------------


def test_create_unchanged_replace_and_destroy_agree(pair_factory: Any) -> None:
    pair = pair_factory(config(count="3"))
    trunks = [f"trunk-{i}" for i in range(3)]

    for plan in pair.run("preview"):
        assert ops(plan) == {t: ["create"] for t in trunks} and not plan.requests
    for created in pair.run("up"):
        assert ops(created) == {t: ["create"] for t in trunks}
        assert methods(created) == {"POST": 3} and len(created.entries) == 3
        assert len(created.outputs["uuids"]) == 3

    for plan in pair.run("preview"):
        assert ops(plan) == {t: ["same"] for t in trunks} and not plan.requests
    for same in pair.run("up"):
        assert ops(same) == {t: ["same"] for t in trunks} and not same.requests

    # A password change replaces: create the new one, then delete the old one.
    pair.set_config(password="second-password")
    replacement = ["create-replacement", "replace", "delete-replaced"]
    for plan in pair.run("preview"):
        assert ops(plan) == {t: replacement for t in trunks} and not plan.requests
        assert plan.summary() == {"replace": 3}
    for replaced in pair.run("up"):
        assert ops(replaced) == {t: replacement for t in trunks}
        assert methods(replaced) == {"POST": 3, "DELETE": 3}
        assert not any(e.delete for e in replaced.entries)

    # delete_before_replace: delete first, then create.
    pair.set_config(password="third-password", deleteBeforeReplace="true")
    before = ["delete-replaced", "replace", "create-replacement"]
    for plan in pair.run("preview"):
        assert ops(plan) == {t: before for t in trunks}
    for replaced in pair.run("up"):
        assert ops(replaced) == {t: before for t in trunks}
        assert methods(replaced) == {"POST": 3, "DELETE": 3}

    for destroyed in pair.run("destroy"):
        assert ops(destroyed) == {t: ["delete"] for t in trunks}
        assert methods(destroyed) == {"DELETE": 3} and destroyed.entries == []
    for sim in pair.sims():
        assert sim.connections == {}


def test_a_failing_create_among_many_in_flight(pair_factory: Any) -> None:
    """8 creates at 0.2 s latency, one answered 422: the creates running when it fails
    finish and are recorded (how many started before the failure is a race inside the
    engine), and the next up makes exactly the missing ones."""
    pair = pair_factory(config(count="8"), latency=0.2)
    pair.inject(lambda: Fault(status=422, method="POST"))
    failed = pair.run("up", exact=False)
    for observation in failed:
        assert not observation.ok
        assert 4 <= methods(observation)["POST"] <= 8
        statuses = Counter(status for (method, _, status, _), n in observation.requests.items()
                           for _ in range(n) if method == "POST")
        assert statuses[422] == 1
        assert len(observation.entries) == statuses[201] + statuses[200]
        assert len(observation.entries) >= 3
    pair.set_latency(0.0)
    repaired = pair.run("up", exact=False)
    for before, after in zip(failed, repaired, strict=True):
        assert after.ok and len(after.entries) == 8
        assert methods(before)["POST"] + methods(after)["POST"] == 9, "no connection leaked"
        created = {name for name, steps in after.steps.items() if steps == ["create"]}
        assert len(created) == 8 - len(before.entries)
    if len(repaired) == 2:
        harness, cli = repaired
        assert harness.checkpoint() == cli.checkpoint()
        assert normalize(harness.outputs) == normalize(cli.outputs)


def test_a_failed_replacement_then_another_up(pair_factory: Any) -> None:
    """trunk-0 is replaced, then its dependent fails: the replaced trunk-0 stays in the
    checkpoint as a separate entry pending deletion (``delete: true``), and the next up
    deletes it without replacing trunk-0 again."""
    pair = pair_factory(config(count="1", backup="true"))
    pair.run("up")
    pair.set_config(password="second-password", breakBackup="true")
    for failed in pair.run("up"):
        assert not failed.ok and "backup" in failed.message
        assert ops(failed) == {"trunk-0": ["create-replacement", "replace"]}
        assert methods(failed) == {"POST": 1}
        names = Counter((e.name, e.delete) for e in failed.entries)
        assert names == {("trunk-0", False): 1, ("trunk-0", True): 1, ("backup", False): 1}
    pair.set_config(breakBackup="false")
    for repaired in pair.run("up"):
        assert repaired.ok
        assert ops(repaired) == {
            "trunk-0": ["same", "delete-replaced"],
            "backup": ["create-replacement", "replace", "delete-replaced"],
        }
        assert methods(repaired) == {"POST": 1, "DELETE": 2}
        assert len(repaired.entries) == 2 and not any(e.delete for e in repaired.entries)
    for destroyed in pair.run("destroy"):
        assert methods(destroyed) == {"DELETE": 2}


def test_a_failed_delete_before_replace_then_another_up(pair_factory: Any) -> None:
    """The old trunk is deleted, its replacement's create fails: the entry stays, marked
    ``pendingReplacement``, and the next up creates without deleting again."""
    pair = pair_factory(config(count="1", deleteBeforeReplace="true"))
    pair.run("up")
    pair.set_config(password="second-password")
    pair.inject(lambda: Fault(status=422, method="POST"))
    for failed in pair.run("up"):
        assert not failed.ok
        assert ops(failed) == {"trunk-0": ["delete-replaced", "replace", "create-replacement"]}
        assert [e.pending_replacement for e in failed.entries] == [True]
    for repaired in pair.run("up"):
        assert ops(repaired) == {"trunk-0": ["replace", "create-replacement"]}
        assert methods(repaired) == {"POST": 1}
