"""The examples, run as Pulumi would run them, through the engine-protocol harness."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_mihu.testing import MihuSimulator
from pulumi_mihu.testing.harness import DeploymentError, StackHarness
from support import SIP_PASSWORD, SIP_USERNAME

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def basic_config(project: str) -> dict[str, str]:
    return {f"{project}:phoneNumber": "+15551230000",
            f"{project}:secondaryGateway": "sip2.telnyx.com",
            f"{project}:sipUsername": SIP_USERNAME, f"{project}:sipPassword": SIP_PASSWORD}


@pytest.mark.parametrize("directory, project", [
    (EXAMPLES / "basic", "mihu-basic"), (ROOT, "mihu-sip-trunks"),
])
def test_basic_example_and_the_root_stack(directory: Path, project: str, sim: MihuSimulator,
                                          make_stack: Callable[..., StackHarness]) -> None:
    stack = make_stack(directory, sim, project=project, config=basic_config(project))
    stack.secret_keys |= {f"{project}:sipUsername", f"{project}:sipPassword"}
    result = stack.up()
    uuid = result.output("uuid")
    assert result.output("status") == "active"
    record = sim.connections[uuid]
    assert record["name"] == "Main line" and record["secondary_gateway"] == "sip2.telnyx.com"
    assert record["password"] == SIP_PASSWORD
    assert stack.up().changes() == {}
    assert SIP_PASSWORD not in stack.secret_free_state_text()
    stack.destroy()
    assert sim.connections == {}


def multi_config(trunks: list[dict[str, str]]) -> dict[str, str]:
    creds = {t["key"]: {"username": f"user-{t['key']}", "password": f"pw-{t['key']}-secret"}
             for t in trunks}
    return {"mihu-multiple-trunks:trunks": json.dumps(trunks),
            "mihu-multiple-trunks:sipCredentials": json.dumps(creds)}


TRUNKS = [
    {"key": "support", "name": "Support", "phone_number": "+15551230000",
     "gateway": "sip.telnyx.com"},
    {"key": "sales", "name": "Sales", "phone_number": "+15551230001",
     "gateway": "sip.zadarma.com", "secondary_gateway": "sip2.zadarma.com"},
]


def multi_stack(sim: MihuSimulator, make_stack: Callable[..., StackHarness],
                trunks: list[dict[str, str]]) -> StackHarness:
    stack = make_stack(EXAMPLES / "multiple_trunks", sim, project="mihu-multiple-trunks",
                       config=multi_config(trunks))
    stack.secret_keys.add("mihu-multiple-trunks:sipCredentials")
    return stack


def test_multiple_trunks_example_creates_one_connection_per_entry(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    stack = multi_stack(sim, make_stack, TRUNKS)
    result = stack.up()
    uuids = result.output("uuids")
    assert set(uuids) == {"support", "sales"}
    assert sim.connections[uuids["sales"]]["password"] == "pw-sales-secret"
    assert "pw-sales-secret" not in stack.secret_free_state_text()
    # Dropping an entry deletes exactly that connection.
    stack.config.update(multi_config(TRUNKS[:1]))
    assert stack.up().changes() == {"delete": 1}
    assert list(sim.connections) == [uuids["support"]]


def test_multiple_trunks_example_names_a_bad_entry(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    stack = multi_stack(sim, make_stack, [{"key": "x", "name": "X", "gateway": "g.example.com"}])
    with pytest.raises(DeploymentError, match=r"trunks\[0\] lacks phone_number"):
        stack.preview()

