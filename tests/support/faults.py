"""Named fault mixes and concurrent creates through one provider host, the dynamic one or
the native plugin: shared by the concurrency tests (tests/host/test_concurrency.py) and the
fault matrix (``python -m benchmarks.faults``, which imports them as
``tests.support.faults``)."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from pulumi_mihu.sip_trunk_connection import SipTrunkConnectionProvider
from pulumi_mihu.testing.host import DYNAMIC_HOST, NATIVE_PLUGIN, ProviderHost
from pulumi_mihu.testing.simulator import Fault

TYPE = "pulumi-python:dynamic/mihu:SipTrunkConnection"
NATIVE_TYPE = "mihu:index:SipTrunkConnection"
#: The provider modes the fault model holds in: the dynamic resource's host, and the
#: native plugin serving the same provider code.
MODES = ("dynamic", "native")


#: Settings every mix runs with: the client gives up after 1 s (so a 1.5 s "slow commit"
#: commits after it gave up), the create guard watches the list for 3 s, and a request may
#: be tried 10 times (20 creates share 8 injected 429s: with the default 5, one create
#: could draw 5 of them and fail, which is the retry budget working, not a duplicate).
FAULT_SETTINGS = {"mihu:requestTimeout": "1", "mihu:createSettleTime": "3",
                  "mihu:maxAttempts": "10"}


def fault_mixes() -> dict[str, list[Fault]]:
    """Fresh Fault objects (they count down as they are hit) for each named mix: every
    row of the create fault model (``pulumi_mihu/_create_protocol.py``, ``docs/fault-model.md``)."""
    return {
        "none": [],
        "rate-limited": [Fault(status=429, method="POST", retry_after="0", times=8)],
        "unavailable": [Fault(status=503, method="POST", times=6),
                        Fault(status=503, method="GET", times=4)],
        "dropped": [Fault(action="drop_after", method="POST", times=5),
                    Fault(action="drop_before", method="POST", times=5)],
        "commit-then-5xx": [Fault(action="commit_then_status", status=502, method="POST",
                                  times=5)],
        "slow-commit": [Fault(action="delay", delay=1.5, method="POST", times=5)],
        "mixed": [Fault(status=429, method="POST", retry_after="0", times=3),
                  Fault(status=502, method="POST", times=3),
                  Fault(action="drop_after", method="POST", times=3),
                  Fault(action="drop_before", method="GET", times=3),
                  Fault(action="commit_then_status", status=503, method="POST", times=2),
                  Fault(action="delay", delay=1.5, method="POST", times=2)],
    }


def credentials(index: int) -> tuple[str, str]:
    return f"user-{index:04d}-a1b2", f"password-{index:04d}-c3d4"


def concurrent_creates(config: Mapping[str, str], count: int,
                       mode: str = "dynamic") -> tuple[list[str], str]:
    """Check then Create ``count`` connections at once through one real provider host (4
    worker threads), as the engine does for independent resources: the dynamic resource's
    host, or (``mode="native"``) the native plugin, configured with the same ``mihu:*``
    settings under its own keys and sent the engine's camelCase inputs. Returns the ids and
    the host's stderr."""
    native = mode == "native"
    if native:  # the provider's own keys, as the engine configures a plugin
        config = {key.removeprefix("mihu:"): value for key, value in config.items()}
    else:  # the pickled provider every dynamic resource carries
        provider = serialize_provider(SipTrunkConnectionProvider())
    with ProviderHost(config, secret_keys={"apiToken" if native else "mihu:apiToken"},
                      command=NATIVE_PLUGIN if native else DYNAMIC_HOST) as host:
        def create(index: int) -> str:
            urn = f"urn:pulumi:dev::p::{NATIVE_TYPE if native else TYPE}::trunk-{index}"
            username, password = credentials(index)
            phone = f"+1555000{index:04d}"
            news = ({"name": f"trunk-{index}", "phoneNumber": phone} if native else
                    {"__provider": provider, "name": f"trunk-{index}", "phone_number": phone})
            news.update({"gateway": "sip.telnyx.com",
                         "username": rpc.wrap_rpc_secret(username),
                         "password": rpc.wrap_rpc_secret(password)})
            inputs, failures = host.check(urn, {}, news)
            if failures:
                raise AssertionError(failures)
            return host.create(urn, inputs)[0]

        with ThreadPoolExecutor(max_workers=count) as pool:
            ids = list(pool.map(create, range(count)))
        return ids, host.stderr_text()
