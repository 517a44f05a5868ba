"""After a whole lifecycle, failures included, no credential is anywhere a user could see
or store it outside secret values: the state, the pickled provider in it, the provider
host's output (warnings, tracebacks), the errors, the API's responses. Each ``pulumi up``,
refresh, preview or destroy is the engine's calls sent to a provider host of its own
(``deploy``: tests/support/driver.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pulumi_mihu.testing import DEFAULT_TOKEN, Fault, MihuSimulator
from pulumi_mihu.testing.simulator import CONNECTIONS
from support import SIP_PASSWORD, SIP_USERNAME, Deploy, Resource, attempt, scan

if TYPE_CHECKING:  # the name only: a module holding Deployment is wholly in the host tier
    from support import Deployment

ROTATED = "R0tated-Passw0rd-77aa"
WRONG_TOKEN = "wrong-token-4b9e1d"
SECRETS = {"api token": DEFAULT_TOKEN, "wrong api token": WRONG_TOKEN,
           "sip username": SIP_USERNAME, "sip password": SIP_PASSWORD,
           "rotated sip password": ROTATED}
#: What the state holds as secrets (the resource marks them; the CLI tests show them
#: encrypted in the stack's files): everything else in it is audited.
SECRET_KEYS = ("username", "password")


def trunk(name: str, phone: str, password: str) -> dict[str, Any]:
    return {"name": name, "phone_number": phone, "gateway": "sip.telnyx.com",
            "username": SIP_USERNAME, "password": password}


def main(password: str) -> dict[str, Any]:
    return trunk("main", "+15551230000", password)


def extra(password: str) -> dict[str, Any]:
    return trunk("extra", "+15551230001", password)


def outside_secrets(resource: Resource) -> dict[str, Any]:
    return {part: {k: v for k, v in values.items() if k not in SECRET_KEYS}
            for part, values in (("inputs", resource.inputs), ("outputs", resource.outputs))}


def test_a_full_lifecycle_with_failures_leaks_nothing(
        sim: MihuSimulator, deploy: Deploy) -> None:
    runs: list[Deployment] = []
    states: list[Resource] = []
    errors: list[str] = []

    def start(config: dict[str, str] | None = None) -> Deployment:
        runs.append(deploy(sim, config))
        return runs[-1]

    def kept(resource: Resource | None) -> Resource:
        assert resource is not None
        states.append(resource)
        return resource

    def fails(flow: Callable[..., object], *args: Any) -> None:
        result, error = attempt(flow, *args)
        assert result is None and error is not None
        errors.append(error)

    with start() as run:
        trunk_ = kept(run.create("main", main(SIP_PASSWORD)))
    with start() as run:
        trunk_ = kept(run.up(trunk_, main(ROTATED)))             # replacement
    sim.connections[trunk_.id]["name"] = "drifted"
    with start() as run:
        trunk_ = kept(run.refresh(trunk_))
    with start() as run:
        trunk_ = kept(run.up(trunk_, main(SIP_PASSWORD)))        # replace back over the drift

    echo = json.dumps({"success": False, "message": f"rejected {ROTATED} for {SIP_USERNAME}",
                       "error": {"code": "VALIDATION_ERROR", "field": "password",
                                 "details": f"Authorization: Bearer {DEFAULT_TOKEN}"}})
    sim.inject(Fault(status=422, method="POST", body=echo))
    with start() as run:                                         # the API echoes credentials
        trunk_ = kept(run.up(trunk_, main(SIP_PASSWORD)))
        fails(run.create, "extra", extra(ROTATED))
    with start() as run:                                         # a preview: check failure
        run.check("main", main(SIP_PASSWORD), trunk_)            # on a secret field
        fails(run.check, "extra", extra("bad\n" + ROTATED))
    # The first list read (the create guard's baseline) answers; the ones after the POST,
    # which would tell whether it was processed, fail.
    sim.inject(Fault(action="delay", delay=0, method="GET", path_prefix=CONNECTIONS, exact=True),
               Fault(action="drop_after", method="POST"),
               Fault(status=503, method="GET", path_prefix=CONNECTIONS, exact=True, times=50))
    with start() as run:                                         # create outcome unknown
        trunk_ = kept(run.up(trunk_, main(SIP_PASSWORD)))
        fails(run.create, "extra", extra(ROTATED))
    sim.wait_idle()
    sim.state.faults.clear()
    with start({"mihu:apiToken": WRONG_TOKEN}) as run:           # 401
        fails(run.refresh, trunk_)
    sim.inject(Fault(status=503, method="DELETE", times=100))
    with start() as run:                                         # delete keeps failing
        fails(run.delete, trunk_)
    sim.state.faults.clear()
    with start() as run:
        run.delete(trunk_)

    assert len(errors) == 5
    # The create whose outcome could not be known is the only connection left, and its
    # error named its phone number for the user to check.
    [orphan] = sim.connections.values()
    assert orphan["phone_number"] == "+15551230001"
    assert any("may or may not have succeeded" in e and "+15551230001" in e for e in errors)
    assert any("INVALID_AUTH_TOKEN" in e for e in errors)
    artifacts = {"errors": "\n".join(errors), "simulator responses": "\n".join(
        r.response_body for r in sim.requests if not r.injected)}
    for index, run in enumerate(runs):
        artifacts[f"provider host stderr #{index}"] = run.close()
    for index, resource in enumerate(states):
        artifacts[f"state #{index}"] = json.dumps(outside_secrets(resource))
        artifacts[f"__provider #{index}"] = base64.b64decode(
            resource.outputs["__provider"]).decode("latin-1")
    assert len(artifacts) >= 10
    assert scan(artifacts, SECRETS) == []


def test_the_scanner_finds_what_it_looks_for() -> None:
    artifacts = {"log": f"token={DEFAULT_TOKEN}",
                 "blob": base64.b64encode(SIP_PASSWORD.encode()).decode(), "clean": "nothing"}
    hits = scan(artifacts, SECRETS)
    assert {(h.where, h.secret) for h in hits} == {("log", "api token"),
                                                   ("blob", "sip password")}
