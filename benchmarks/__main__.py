"""Benchmarks of pulumi-mihu, each figure next to its reference, as a markdown table.

    python -m benchmarks            # the full table (about a minute on 2 cores)
    python -m benchmarks --quick    # tiny sizes, to check the code runs (used by a test)

Every figure is measured in this one run, side by side with its reference; nothing is
hard-coded. See README "Performance" for the results and what they mean.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pydantic import SecretStr

from pulumi_mihu import MihuSettings, SipTrunkConnectionProvider
from pulumi_mihu.client import MihuClient
from pulumi_mihu.testing import DEFAULT_TOKEN
from pulumi_mihu.testing.host import ProviderHost
from pulumi_mihu.testing.simulator import CONNECTIONS, STATS

T = TypeVar("T")

TYPE = "pulumi-python:dynamic/mihu:SipTrunkConnection"
HOST_THREADS = 4
LATENCY = 0.020
ENGINE_PARALLELISM = 32
#: Host runs are repeated and their median reported: this machine's timings vary by ~10 %.
REPEATS = 3


@dataclass
class Row:
    name: str
    measured: str
    reference: str
    ratio: float | None
    goal: str
    met: bool | None
    #: The numbers measured in this run that the row prints (its reference may also be
    #: computed from the benchmark's sizes). The smoke test checks they are finite.
    values: tuple[float, ...] = ()
    #: False for figures that are the same in every run (sizes, counts); True for timings.
    varies: bool = True

    def markdown(self) -> str:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: "(report)"}[self.met]
        return (f"| {self.name} | {self.measured} | {self.reference} | {ratio} | {self.goal} "
                f"| {met} |")


@dataclass
class RemoteSimulator:
    """The simulator in its own process, as the real API would be: it does not share this
    process's GIL with the threads that drive the provider host."""

    base_url: str
    session: requests.Session
    pid: int

    def stats(self) -> dict[str, int]:
        return dict(self.session.get(self.base_url + STATS, timeout=10).json())


@contextmanager
def simulator(latency: float = 0.0, *options: str) -> Iterator[RemoteSimulator]:
    """The simulator in its own process; ``options`` are more of its command-line options
    (``--connections 2000``, say)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi_mihu.testing.simulator", "--port", "0",
         "--latency-ms", str(latency * 1000), *options], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().split(" on ", 1)[1].split()[0]
        yield RemoteSimulator(base_url, requests.Session(), process.pid)
    finally:
        process.terminate()
        process.wait(10)


def config_for(sim: RemoteSimulator) -> dict[str, str]:
    return {"mihu:apiToken": DEFAULT_TOKEN, "mihu:baseUrl": sim.base_url}


PROVIDER = serialize_provider(SipTrunkConnectionProvider())


def trunk_props(index: int) -> dict[str, Any]:
    return {"__provider": PROVIDER, "name": f"trunk-{index}",
            "phone_number": f"+1555{index:07d}", "gateway": "sip.telnyx.com",
            "username": rpc.wrap_rpc_secret(f"user-{index}"),
            "password": rpc.wrap_rpc_secret(f"password-{index}")}


def urn(index: int) -> str:
    return f"urn:pulumi:bench::mihu::{TYPE}::trunk-{index}"


def engine_creates(host: ProviderHost, count: int,
                   offset: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """Check then Create per resource, ENGINE_PARALLELISM at a time, as the engine steps."""

    def one(index: int) -> tuple[str, dict[str, Any]]:
        inputs, failures = host.check(urn(index), {}, trunk_props(index))
        assert not failures, failures
        return host.create(urn(index), inputs)

    with ThreadPoolExecutor(ENGINE_PARALLELISM) as pool:
        return list(pool.map(one, range(offset, offset + count)))


def engine_deletes(host: ProviderHost, created: list[tuple[str, dict[str, Any]]]) -> None:
    def one(item: tuple[int, tuple[str, dict[str, Any]]]) -> None:
        index, (id_, outs) = item
        host.delete(urn(index), id_, outs, {})

    with ThreadPoolExecutor(ENGINE_PARALLELISM) as pool:
        list(pool.map(one, enumerate(created)))


def timed(fn: Callable[..., T]) -> tuple[float, T]:
    """``fn()`` and how long it took. (``fn`` is often a lambda binding a loop variable by a
    default, ``lambda o=offset: ...``: mypy cannot infer such a lambda against
    ``Callable[[], T]``, so the parameters are left open.)"""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# -- the benchmarks ------------------------------------------------------------------------


def simulator_alone(n: int) -> tuple[Row, float]:
    """The simulator must not be the bottleneck: requests/s it serves to raw sessions on
    the same number of threads as the host, with the same 20 ms latency, against what the
    throughput run needs (4 threads / 20 ms = 200 req/s). Returns the rate too: it is what
    any client can reach here, the practical ceiling of the host runs."""
    with simulator(LATENCY) as sim:
        sessions = [requests.Session() for _ in range(HOST_THREADS)]
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        url = sim.base_url + CONNECTIONS

        def worker(k: int) -> None:
            for i in range(k, n, HOST_THREADS):
                body = {"name": f"t{i}", "phone_number": "+1555", "gateway": "sip.telnyx.com",
                        "username": "u", "password": "p"}
                sessions[k].post(url, json=body, headers=headers).raise_for_status()

        elapsed, _ = timed(lambda: list(ThreadPoolExecutor(HOST_THREADS).map(
            worker, range(HOST_THREADS))))
    needed = HOST_THREADS / LATENCY
    served = n / elapsed
    return Row("Simulator alone: 4 raw requests clients, 20 ms latency",
               f"{served:.0f} req/s", f"{needed:.0f} req/s theoretical", served / needed,
               "report (ceiling)", None, (served,)), served


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def usable_cores() -> int:
    """The cores this process may run on (the affinity mask, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def host_throughput(n: int, raw_rate: float) -> tuple[Row, Row, Row, Row, Row]:
    """N creates then N deletes (those in another host) through the real provider host
    against 20 ms latency;
    limit = N x latency / 4 host threads. Also the CPU used by the creates (driver, host and
    simulator processes), and TCP connections."""
    with simulator(LATENCY) as sim:
        before = sim.stats()
        # Deletes go through a second host, as in `pulumi destroy` (another deployment,
        # another provider process): a process does not delete what it has just created,
        # which it takes for another resource's (the create guard's ledger).
        with ProviderHost(config_for(sim)) as host, ProviderHost(config_for(sim)) as destroyer:
            engine_deletes(destroyer, engine_creates(host, HOST_THREADS))  # warm both
            assert sim.stats()["connections"] == 0, "the warm-up deletes did not delete"
            host_pid, sim_pid = host.process.pid, sim.pid

            def cpu_now() -> tuple[float, float, float]:
                return time.process_time(), process_cpu(host_pid), process_cpu(sim_pid)

            create_times, delete_times = [], []
            cpu_runs: list[tuple[float, float, float]] = []  # per repeat: driver, host, sim
            for repeat in range(REPEATS):
                offset = HOST_THREADS + repeat * n
                cpu_before = cpu_now()
                create_time, created = timed(lambda o=offset: engine_creates(host, n, o))
                cpu_after = cpu_now()
                create_times.append(create_time)
                driver, host_s, sim_s = (a - b for a, b in zip(cpu_after, cpu_before,
                                                                strict=True))
                cpu_runs.append((driver, host_s, sim_s))
                delete_times.append(timed(lambda c=created: engine_deletes(destroyer, c))[0])
                assert sim.stats()["connections"] == 0, "the deletes did not delete"
        after = sim.stats()
    create_time, delete_time = statistics.median(create_times), statistics.median(delete_times)
    # Over the host's whole life, warm-up included.
    connections = after["tcp_connections"] - before["tcp_connections"]
    requests_made = after["requests"] - before["requests"]
    limit = n * LATENCY / HOST_THREADS
    create_ratio, delete_ratio = limit / create_time, limit / delete_time
    per_200 = connections * 200 / max(requests_made, 1)
    versus_raw = (n / create_time) / raw_rate
    # CPU: the median over the same repeats as the timings, each run's CPU over its time.
    busy = statistics.median(sum(cpu) / t for cpu, t in zip(cpu_runs, create_times,
                                                             strict=True))
    driver_cpu, host_cpu, sim_cpu = (statistics.median(run[i] for run in cpu_runs)
                                     for i in range(3))
    cores = usable_cores()
    return (
        Row(f"Creates through the provider host, N={n}, median of {REPEATS}",
            f"{create_time:.2f} s",
            f"limit {limit:.2f} s", create_ratio, ">= 0.90 of limit", create_ratio >= 0.9,
            (create_time,)),
        Row(f"Deletes through the provider host, N={n}, median of {REPEATS}",
            f"{delete_time:.2f} s",
            f"limit {limit:.2f} s", delete_ratio, ">= 0.90 of limit", delete_ratio >= 0.9,
            (delete_time,)),
        Row("Creates through the host vs raw clients (row 1)", f"{n / create_time:.0f} /s",
            f"{raw_rate:.0f} req/s", versus_raw, "report", None, (n / create_time, raw_rate)),
        Row(f"CPU during those creates (driver, host, simulator), median of {REPEATS}",
            f"{busy * 100:.0f} % of one core", f"host {host_cpu / n * 1e3:.2f} ms per create, "
            f"driver {driver_cpu / n * 1e3:.2f}, simulator {sim_cpu / n * 1e3:.2f}",
            busy / cores, f"report ({cores} cores = {cores * 100} %)", None,
            (busy, host_cpu, driver_cpu, sim_cpu)),
        Row(f"TCP connections per 200 requests ({requests_made} requests)",
            f"{per_200:.1f}", f"{HOST_THREADS} host threads", per_200 / HOST_THREADS,
            f"<= {HOST_THREADS}", per_200 <= HOST_THREADS, (per_200,), varies=False),
    )


def client_overhead(n: int) -> Row:
    """Median per-request time of MihuClient.get vs a raw requests.Session.get."""
    with simulator() as sim:
        settings = MihuSettings(api_token=SecretStr(DEFAULT_TOKEN), base_url=sim.base_url)
        client = MihuClient(settings)
        raw = requests.Session()
        raw.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
        url = sim.base_url + CONNECTIONS
        path = CONNECTIONS.removeprefix("/api/v1")
        ours, theirs = [], []
        for _ in range(n):
            start = time.perf_counter()
            raw.get(url, timeout=30).json()
            theirs.append(time.perf_counter() - start)
            start = time.perf_counter()
            client.get(path)
            ours.append(time.perf_counter() - start)
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    ratio = ours_m / theirs_m
    return Row("Client request vs raw requests.Session", f"{ours_m * 1e3:.2f} ms",
               f"{theirs_m * 1e3:.2f} ms", ratio, "< 1.2x", ratio < 1.2, (ours_m, theirs_m))


def provider_overhead(n: int) -> Row:
    """provider.create in this process (validation, POST, outputs) vs the same raw POST:
    what pulumi-mihu's own code adds to a create, host and gRPC excluded."""
    with simulator() as sim:
        provider = SipTrunkConnectionProvider()
        provider.configure_with(MihuSettings(api_token=SecretStr(DEFAULT_TOKEN),
                                             base_url=sim.base_url))
        body = {"name": "a", "phone_number": "+1555", "gateway": "sip.telnyx.com",
                "username": "u", "password": "p"}
        raw = requests.Session()
        raw.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
        url = sim.base_url + CONNECTIONS
        ours, theirs = [], []
        for _ in range(n):
            ours.append(timed(lambda: provider.create(dict(body)))[0])
            theirs.append(timed(lambda: raw.post(url, json=body, timeout=30).json())[0])
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    return Row("provider.create in-process vs raw POST", f"{ours_m * 1e3:.2f} ms",
               f"{theirs_m * 1e3:.2f} ms", ours_m / theirs_m, "report", None,
               (ours_m, theirs_m))


PROGRAM_COST = r"""
import sys, time, pulumi
from pulumi_mihu import SipTrunkConnection

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return args.name, dict(args.inputs)
    def call(self, args):
        return {}, None

class Plain(pulumi.CustomResource):
    # The shape of a resource in a generated Pulumi SDK.
    def __init__(self, name, props, opts=None):
        super().__init__("test:index:Plain", name, props, opts)

pulumi.runtime.set_mocks(Mocks(), project="p", stack="s", preview=False)
kind, n = sys.argv[1], int(sys.argv[2])
start = time.perf_counter()
for i in range(n):
    if kind == "dynamic":
        SipTrunkConnection(f"t{i}", phone_number="+1555", gateway="sip.telnyx.com",
                           username="u", password="p")
    else:
        Plain(f"t{i}", {"phone_number": "+1555",
            "gateway": "sip.telnyx.com", "username": pulumi.Output.secret("u"),
            "password": pulumi.Output.secret("p"), "name": f"t{i}", "secondary_gateway": None,
            "uuid": None, "status": None, "created_at": None, "updated_at": None},
            pulumi.ResourceOptions(additional_secret_outputs=["username", "password"]))
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await
_sync_await(wait_for_rpcs())
print(time.perf_counter() - start)
"""


def program_cost(n: int) -> Row:
    """Registering N SipTrunkConnections under mocks vs N resources of a plain
    CustomResource subclass (a generated SDK's shape) with the same properties and options,
    each in a fresh interpreter (best of 3)."""
    def run(kind: str) -> float:
        return min(float(subprocess.run([sys.executable, "-c", PROGRAM_COST, kind, str(n)],
                                        check=True, capture_output=True, text=True)
                         .stdout.strip()) for _ in range(3))
    ours, plain = run("dynamic"), run("plain")
    ratio = ours / plain
    return Row(f"Program: register {n} resources under mocks", f"{ours:.2f} s",
               f"{plain:.2f} s plain CustomResource", ratio, "< 1.5x", ratio < 1.5,
               (ours, plain))


def state_footprint(n: int) -> tuple[Row, Row]:
    """Bytes of __provider, and of a resource's whole state entry (inputs + outputs as the
    engine's checkpoint stores them)."""
    with simulator() as sim, ProviderHost(config_for(sim)) as host:
        created = engine_creates(host, n)
    provider_bytes = len(PROVIDER)
    per_resource = statistics.mean(
        len(json.dumps({"inputs": trunk_props(i), "outputs": outs}))
        for i, (_, outs) in enumerate(created))
    return (
        Row("`__provider` size", f"{provider_bytes} B", "200 B", provider_bytes / 200,
            "< 200 B", provider_bytes < 200, (provider_bytes,), varies=False),
        Row("State per resource (inputs + outputs)", f"{per_resource:.0f} B",
            f"{provider_bytes} B of it is __provider x2", None, "report", None,
            (per_resource,), varies=False),
    )


def cold_start(n: int) -> tuple[Row, Row, Row, Row]:
    """First Check and first Create in a fresh host (import + unpickle + configure, and the
    first connection) against warm ones, and the import time of pulumi_mihu's modules."""
    first_checks, warm_checks, firsts, warms = [], [], [], []
    for _ in range(n):
        # A fresh account per repeat: the same trunks created again in one account would
        # be refused as twins of the previous repeat's (the create guard).
        with simulator() as sim:
            with ProviderHost(config_for(sim)) as host:
                first_checks.append(timed(lambda h=host: h.check(urn(0), {},
                                                                 trunk_props(0)))[0])
                warm_checks.append(statistics.median(
                    timed(lambda h=host, i=i: h.check(urn(i), {}, trunk_props(i)))[0]
                    for i in range(1, 11)))
            with ProviderHost(config_for(sim)) as host:
                firsts.append(timed(lambda h=host: h.create(urn(0), trunk_props(0)))[0])
                warms.append(statistics.median(
                    timed(lambda h=host, i=i: h.create(urn(i), trunk_props(i)))[0]
                    for i in range(1, 11)))
    check_m, warm_check_m = statistics.median(first_checks), statistics.median(warm_checks)
    first_m, warm_m = statistics.median(firsts), statistics.median(warms)
    imports = subprocess.run([sys.executable, "-X", "importtime", "-c",
                              "import pulumi.dynamic, pulumi_mihu"],
                             capture_output=True, text=True, check=True).stderr.splitlines()
    # "import time: self [us] | cumulative | package": self time of our modules only.
    ours = sum(int(line.split(":", 1)[1].split("|")[0]) for line in imports
               if line.startswith("import time:") and "|" in line
               and line.rsplit("|", 1)[1].strip().startswith("pulumi_mihu"))
    return (
        Row("Check round trip through the host (warm)", f"{warm_check_m * 1e3:.2f} ms",
            "engine -> host -> provider.check -> engine", None, "report", None,
            (warm_check_m,)),
        Row("Cold start: first Check in a fresh host (preview)", f"{check_m * 1e3:.1f} ms",
            f"{warm_check_m * 1e3:.1f} ms warm Check", check_m / warm_check_m, "report", None,
            (check_m, warm_check_m)),
        Row("Cold start: first Create in a fresh host", f"{first_m * 1e3:.1f} ms",
            f"{warm_m * 1e3:.1f} ms warm Create", first_m / warm_m, "report", None,
            (first_m, warm_m)),
        Row("Import: self time of pulumi_mihu.* modules", f"{ours / 1e3:.1f} ms",
            "(pulumi, pydantic, requests excluded)", None, "report", None, (ours / 1e3,)),
    )


def scaling(sizes: list[int]) -> list[Row]:
    rows = []
    per: dict[int, float] = {}
    for n in sizes:
        runs = []
        with simulator(LATENCY) as sim, ProviderHost(config_for(sim)) as host:
            engine_creates(host, HOST_THREADS)
            for repeat in range(REPEATS):
                offset = HOST_THREADS + repeat * n
                runs.append(timed(lambda h=host, n=n, o=offset: engine_creates(h, n, o))[0])
        elapsed = statistics.median(runs)
        per[n] = elapsed / n
        limit = n * LATENCY / HOST_THREADS
        rows.append(Row(f"Scaling: N={n} creates, median of {REPEATS}", f"{elapsed:.2f} s "
                        f"({per[n] * 1e3:.2f} ms each)", f"limit {limit:.2f} s",
                        limit / elapsed, ">= 0.90, flat per item", limit / elapsed >= 0.9,
                        (elapsed, per[n])))
    spread = max(per.values()) / min(per.values())
    rows.append(Row("Scaling: per-create time, largest/smallest", f"{spread:.2f}",
                    "1.00 = linear", spread, "< 1.2", spread < 1.2, (spread,)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes; checks the code runs")
    parser.add_argument("--json", action="store_true", help="also print rows as JSON")
    options = parser.parse_args(argv)
    q = options.quick
    alone, raw_rate = simulator_alone(40 if q else 400)
    rows: list[Row] = [alone]
    rows += host_throughput(8 if q else 200, raw_rate)
    rows.append(client_overhead(20 if q else 2000))
    rows.append(provider_overhead(20 if q else 500))
    rows.append(program_cost(20 if q else 1000))
    rows += state_footprint(4 if q else 50)
    rows += cold_start(2 if q else 5)  # 2: a repeat must work too
    rows += scaling([4, 8] if q else [50, 200, 800])
    print(f"Machine: {platform.machine()}, {usable_cores()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}\n")
    print_table(rows, as_json=options.json)
    return 0


def print_table(rows: list[Row], *, as_json: bool = False) -> None:
    """The rows as a markdown table (the README's and docs' format), then as JSON."""
    print("| benchmark | measured | reference | ratio | goal | met |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(row.markdown())
    if as_json:
        print(json.dumps([row.__dict__ for row in rows]))


if __name__ == "__main__":
    sys.exit(main())
