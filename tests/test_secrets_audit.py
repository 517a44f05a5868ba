"""After a whole lifecycle, failures included, no credential is anywhere a user could see
or store it outside secret values: state, pickled provider, host output, warnings,
exception texts, the API's responses."""

from __future__ import annotations

import json
from collections.abc import Callable

import pulumi
import pytest

from benchmarks.audit import scan, stack_artifacts
from pulumi_mihu import SipTrunkConnection
from pulumi_mihu.testing import DEFAULT_TOKEN, Fault, MihuSimulator
from pulumi_mihu.testing.harness import DeploymentError, StackHarness
from pulumi_mihu.testing.simulator import CONNECTIONS
from support import SIP_PASSWORD, SIP_USERNAME

ROTATED = "R0tated-Passw0rd-77aa"
WRONG_TOKEN = "wrong-token-4b9e1d"
SECRETS = {"api token": DEFAULT_TOKEN, "wrong api token": WRONG_TOKEN,
           "sip username": SIP_USERNAME, "sip password": SIP_PASSWORD,
           "rotated sip password": ROTATED}


def test_a_full_lifecycle_with_failures_leaks_nothing(
        sim: MihuSimulator, make_stack: Callable[..., StackHarness]) -> None:
    inputs = {"password": SIP_PASSWORD, "extra": False, "bad": False}

    def program() -> None:
        trunk = SipTrunkConnection("main", phone_number="+15551230000",
                                   gateway="sip.telnyx.com", username=SIP_USERNAME,
                                   password=inputs["password"])
        pulumi.export("uuid", trunk.uuid)
        pulumi.export("password", trunk.password)
        if inputs["extra"]:
            SipTrunkConnection("extra", phone_number="+15551230001", gateway="sip.telnyx.com",
                               username=SIP_USERNAME,
                               password=("bad\n" + ROTATED) if inputs["bad"] else ROTATED)

    stack = make_stack(program, sim)
    errors: list[str] = []
    warnings: list[str] = []

    def expect_failure(action: Callable[[], object]) -> None:
        with pytest.raises(DeploymentError) as info:
            action()
        errors.append(str(info.value))
        warnings.extend(info.value.result.warnings)

    warnings += stack.up().warnings
    inputs["password"] = ROTATED
    warnings += stack.up().warnings                      # replacement
    sim.connections[next(iter(sim.connections))]["name"] = "drifted"
    warnings += stack.refresh().warnings
    inputs["password"] = SIP_PASSWORD
    warnings += stack.up().warnings                      # replace back over the drift

    inputs["extra"] = True
    echo = json.dumps({"success": False, "message": f"rejected {ROTATED} for {SIP_USERNAME}",
                       "error": {"code": "VALIDATION_ERROR", "field": "password",
                                 "details": f"Authorization: Bearer {DEFAULT_TOKEN}"}})
    sim.inject(Fault(status=422, method="POST", body=echo))
    expect_failure(stack.up)                             # the API echoes credentials
    inputs["bad"] = True
    expect_failure(stack.preview)                        # check failure on a secret field
    inputs["bad"] = False
    # The first list read (the create guard's baseline) answers; the ones after the POST,
    # which would tell whether it was processed, fail.
    sim.inject(Fault(action="delay", delay=0, method="GET", path_prefix=CONNECTIONS, exact=True),
               Fault(action="drop_after", method="POST"),
               Fault(status=503, method="GET", path_prefix=CONNECTIONS, exact=True, times=50))
    expect_failure(stack.up)                             # create outcome unknown
    sim.state.faults.clear()
    stack.config["mihu:apiToken"] = WRONG_TOKEN
    expect_failure(stack.refresh)                        # 401
    stack.config["mihu:apiToken"] = DEFAULT_TOKEN
    sim.inject(Fault(status=503, method="DELETE", times=100))
    expect_failure(stack.destroy)                        # delete keeps failing
    sim.state.faults.clear()
    warnings += stack.destroy().warnings

    assert len(errors) == 5 and stack.state == []
    # The create whose outcome could not be known is the only connection left, and its
    # error named its phone number for the user to check.
    [orphan] = sim.connections.values()
    assert orphan["phone_number"] == "+15551230001"
    assert any("may or may not have succeeded" in e and "+15551230001" in e for e in errors)
    assert any("INVALID_AUTH_TOKEN" in e for e in errors)
    artifacts = stack_artifacts(stack, sim, [
        ("exception texts", "\n".join(errors)), ("warnings", "\n".join(warnings))])
    assert len(artifacts) >= 10
    assert scan(artifacts, SECRETS) == []


def test_the_scanner_finds_what_it_looks_for() -> None:
    import base64
    artifacts = {"log": f"token={DEFAULT_TOKEN}",
                 "blob": base64.b64encode(SIP_PASSWORD.encode()).decode(), "clean": "nothing"}
    hits = scan(artifacts, SECRETS)
    assert {(h.where, h.secret) for h in hits} == {("log", "api token"),
                                                   ("blob", "sip password")}
