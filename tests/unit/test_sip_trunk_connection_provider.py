"""Provider methods called directly, over HTTP to the simulator, in both worlds: with the
undocumented GET/DELETE routes and without them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_mihu import MihuCreateOutcomeUnknown, MihuError
from pulumi_mihu.sip_trunk_connection import MANAGED_INPUTS
from pulumi_mihu.testing import Fault, MihuSimulator
from pulumi_mihu.testing.simulator import CONNECTIONS, _Handler
from support import SIP_PASSWORD, SIP_USERNAME, outs_of, provider_for, trunk_inputs


def create(server: MihuSimulator, **overrides: Any) -> tuple[str, dict[str, Any]]:
    result = provider_for(server).create(trunk_inputs(**overrides))
    assert result.outs is not None
    return result.id, result.outs


def test_create_sends_exactly_one_post_with_the_documented_body(sim: MihuSimulator) -> None:
    uuid, outs = create(sim, secondary_gateway="sip2.telnyx.com")
    posts = sim.requests_to("POST")
    assert len(posts) == 1
    # The only other request: one read of the list, the baseline the create guard compares
    # against should the POST get no clear answer.
    assert [(r.method, r.path) for r in sim.requests] == [("GET", CONNECTIONS),
                                                          ("POST", CONNECTIONS)]
    assert posts[0].path == "/api/v1/channels/sip-trunk/connections"
    assert posts[0].body == trunk_inputs(secondary_gateway="sip2.telnyx.com")
    stored = sim.connections[uuid]
    assert (stored["username"], stored["password"]) == (SIP_USERNAME, SIP_PASSWORD)
    assert outs["uuid"] == uuid and outs["status"] == "active"
    assert outs["created_at"] and outs["updated_at"]
    assert {k: outs[k] for k in MANAGED_INPUTS} == trunk_inputs(
        secondary_gateway="sip2.telnyx.com")


def test_create_without_secondary_gateway_omits_it_from_the_body(sim: MihuSimulator) -> None:
    create(sim, secondary_gateway="")
    assert "secondary_gateway" not in sim.requests_to("POST")[0].body


def test_create_refuses_invalid_inputs_without_a_request(sim: MihuSimulator) -> None:
    with pytest.raises(MihuError, match="gateway"):
        provider_for(sim).create(trunk_inputs(gateway="https://x.example.com"))
    assert sim.requests == []


def test_diff_reports_nothing_for_unchanged_inputs(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    diff = provider_for(sim).diff(uuid, {**outs, "__provider": "old"},
                                  {**trunk_inputs(), "__provider": "new"})
    assert diff.changes is False and diff.replaces == []


def test_a_diff_of_a_state_the_native_provider_wrote_is_refused_not_a_replacement(
        sim: MihuSimulator) -> None:
    """An alias from the native type hands the dynamic diff camelCase olds: read in
    Python's names every input looked new, and the plan replaced the live connection (a
    POST, then a DELETE of it). Refused, with nothing sent, pointing to the runbook."""
    uuid, outs = create(sim)
    since = len(sim.requests)
    native_olds = {"uuid": uuid, "name": outs["name"], "phoneNumber": outs["phone_number"],
                   "gateway": outs["gateway"], "username": SIP_USERNAME,
                   "password": SIP_PASSWORD, "secondaryGateway": None, "status": "active"}
    with pytest.raises(MihuError, match="written by the native provider") as info:
        provider_for(sim).diff(uuid, native_olds, trunk_inputs())
    assert "phoneNumber, secondaryGateway" in str(info.value)
    assert "moving-a-stack-between-modes" in str(info.value)
    assert len(sim.requests) == since and list(sim.connections) == [uuid]
    # The dynamic state's own names are no native names, whatever else it holds.
    assert provider_for(sim).diff(uuid, {**outs, "__provider": "x"}, trunk_inputs()).changes \
        is False


@pytest.mark.parametrize("field, value", [
    ("name", "renamed"), ("phone_number", "+15559999999"), ("gateway", "sip.zadarma.com"),
    ("username", "other-user"), ("password", "other-password"),
    ("secondary_gateway", "sip2.telnyx.com"),
])
def test_every_input_change_is_a_replacement(sim: MihuSimulator, field: str, value: str) -> None:
    uuid, outs = create(sim)
    diff = provider_for(sim).diff(uuid, outs, trunk_inputs(**{field: value}))
    assert diff.changes is True and diff.replaces == [field]
    assert diff.delete_before_replace is False


def test_unknown_input_counts_as_a_change(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    diff = provider_for(sim).diff(uuid, outs, trunk_inputs(gateway=Unknown()))
    assert diff.changes is True and diff.replaces == ["gateway"]


def test_update_keeps_outputs_and_refuses_real_changes(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    provider = provider_for(sim)
    kept = provider.update(uuid, outs, trunk_inputs())
    assert kept.outs == outs
    with pytest.raises(MihuError, match="cannot be updated in place"):
        provider.update(uuid, outs, trunk_inputs(name="new"))
    assert len(sim.writes()) == 1


# -- read --------------------------------------------------------------------------------


def test_read_refreshes_fields_and_keeps_credentials(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    sim.connections[uuid]["name"] = "edited in the console"
    result = provider_for(sim).read(uuid, outs)
    assert result.id == uuid
    read = outs_of(result)
    assert read["name"] == "edited in the console"
    assert (read["username"], read["password"]) == (SIP_USERNAME, SIP_PASSWORD)


def test_read_reports_gone_only_when_the_list_proves_it(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    del sim.connections[uuid]
    result = provider_for(sim).read(uuid, outs)
    assert result.id == "" and result.outs == {}


def test_read_keeps_state_when_a_404_cannot_be_proven(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    del sim.connections[uuid]
    # Only the list fails: the item's 404 alone proves nothing.
    sim.inject(Fault(status=503, method="GET", path_prefix=CONNECTIONS, exact=True, times=100))
    result = provider_for(sim, max_attempts=1).read(uuid, outs)
    assert result.id == uuid and result.outs == outs


def test_read_without_read_routes_keeps_state_and_warns(
        bare_sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    uuid, outs = create(bare_sim)
    result = provider_for(bare_sim).read(uuid, outs)
    assert result.id == uuid and result.outs == outs
    warning = capsys.readouterr().err
    assert "Could not refresh" in warning and uuid in warning and "HTTP 404" in warning


def test_get_reads_by_uuid_without_credentials(sim: MihuSimulator) -> None:
    uuid, _ = create(sim)
    result = provider_for(sim).read(uuid, {"__provider": "x"})
    read = outs_of(result)
    assert read["phone_number"] == "+15551230000"
    assert "password" not in read and "username" not in read


def test_get_fails_clearly_where_the_api_cannot_read(bare_sim: MihuSimulator) -> None:
    uuid, _ = create(bare_sim)
    with pytest.raises(MihuError, match=r"documents no read endpoint.*HTTP 404"):
        provider_for(bare_sim).read(uuid, {})


def test_get_of_a_missing_connection_says_so(sim: MihuSimulator) -> None:
    with pytest.raises(MihuError, match="does not exist"):
        provider_for(sim).read("0b7a1f1e-0000-4000-8000-000000000000", {})


# -- delete ------------------------------------------------------------------------------


def test_delete_removes_the_connection(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    provider_for(sim).delete(uuid, outs)
    assert uuid not in sim.connections


def test_delete_of_a_connection_already_gone_succeeds_quietly(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    uuid, outs = create(sim)
    del sim.connections[uuid]
    provider_for(sim).delete(uuid, outs)
    assert "warning:" not in capsys.readouterr().err


@pytest.mark.parametrize("missing_route_status", [404, 405])
def test_delete_without_the_route_warns_and_names_what_is_left(
        missing_route_status: int, capsys: pytest.CaptureFixture[str]) -> None:
    with MihuSimulator(read_routes=False, missing_route_status=missing_route_status) as server:
        uuid, outs = create(server)
        provider_for(server).delete(uuid, outs)
        assert uuid in server.connections
    warning = capsys.readouterr().err
    assert "NOT deleted" in warning and uuid in warning
    assert "'main-line'" in warning and "'+15551230000'" in warning
    assert SIP_PASSWORD not in warning


def test_delete_that_keeps_failing_raises_so_the_resource_stays(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    sim.inject(Fault(status=503, method="DELETE", times=10))
    with pytest.raises(MihuError, match="HTTP 503"):
        provider_for(sim, max_attempts=3).delete(uuid, outs)
    assert len(sim.requests_to("DELETE")) == 3
    assert uuid in sim.connections


def test_delete_recovers_from_transient_errors(sim: MihuSimulator) -> None:
    uuid, outs = create(sim)
    sim.inject(Fault(status=429, method="DELETE", retry_after="0"),
               Fault(action="drop_before", method="DELETE"))
    provider_for(sim).delete(uuid, outs)
    assert uuid not in sim.connections


def test_a_destroy_does_not_wait_for_a_failing_list_to_confirm_a_404(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    """Only the first half of a delete_before_replace waits (up to the settle time) for the
    list to prove a 404; a destroy asks once and, unproven, warns and goes on."""
    uuid, outs = create(sim)
    del sim.connections[uuid]
    sim.inject(Fault(status=503, method="GET"))
    provider_for(sim, max_attempts=1, create_settle_time=5).delete(uuid, outs)
    assert len(sim.requests_to("GET")) == 2, "the baseline of the create, then one list"
    assert "NOT deleted" in capsys.readouterr().err


# -- creates are never duplicated ---------------------------------------------------------


@pytest.mark.parametrize("fault", [
    Fault(action="drop_after", method="POST"),
    Fault(action="status", status=502, method="POST"),
])
def test_ambiguous_create_adopts_the_connection_found_by_natural_key(
        sim: MihuSimulator, fault: Fault, capsys: pytest.CaptureFixture[str]) -> None:
    if fault.action == "status":
        # A gateway that processed the request but answered 502.
        original = _Handler._route

        def processed_then_502(handler: _Handler, method: str, path: str, body: Any,
                               bad_json: bool) -> tuple[int, Any]:
            status, payload = original(handler, method, path, body, bad_json)
            return (502, {"success": False, "message": "Bad gateway"}) if method == "POST" \
                else (status, payload)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_Handler, "_route", processed_then_502)
            uuid, outs = create(sim)
    else:
        sim.inject(fault)
        uuid, outs = create(sim)
    assert list(sim.connections) == [uuid]
    assert len(sim.requests_to("POST")) == 1
    assert outs["uuid"] == uuid
    assert "adopted" in capsys.readouterr().err


def test_ambiguous_create_that_did_not_land_is_sent_again(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=503, method="POST"))
    # The list is watched for the settle time before the resend: 0.2 s, not 30.
    result = provider_for(sim, create_settle_time=0.2).create(trunk_inputs())
    assert list(sim.connections) == [result.id]
    assert [r.status for r in sim.requests_to("POST")] == [503, 201]


def test_ambiguous_create_without_a_list_route_fails_without_repeating(
        bare_sim: MihuSimulator) -> None:
    bare_sim.inject(Fault(action="drop_after", method="POST"))
    with pytest.raises(MihuCreateOutcomeUnknown) as info:
        create(bare_sim)
    message = str(info.value)
    assert "+15551230000" in message and "may or may not" in message
    assert SIP_PASSWORD not in message
    assert len(bare_sim.requests_to("POST")) == 1
    assert len(bare_sim.connections) == 1


def test_an_untracked_identical_connection_is_neither_adopted_nor_duplicated(
        sim: MihuSimulator) -> None:
    """One made moments ago by someone else, or left by an interrupted deployment: the
    create stops before its POST and says how to adopt it."""
    twin, _ = create(sim)
    sim.inject(Fault(action="drop_after", method="POST"))
    with pytest.raises(MihuError, match="adopt_uuid") as info:
        create(sim)
    assert twin in str(info.value)
    assert list(sim.connections) == [twin] and len(sim.requests_to("POST")) == 1


def test_several_new_matches_after_an_ambiguous_create_are_an_error(
        sim: MihuSimulator) -> None:
    provider = provider_for(sim)
    provider.create(trunk_inputs(phone_number="+15550000000"))  # takes the baseline
    create(sim)  # another process's twin, made after this provider's baseline
    sim.inject(Fault(action="drop_after", method="POST"))
    with pytest.raises(MihuCreateOutcomeUnknown, match="several new connections"):
        provider.create(trunk_inputs())


def test_a_created_answer_without_uuid_is_reported(sim: MihuSimulator) -> None:
    sim.inject(Fault(status=201, method="POST", body='{"success": true, "data": {}}'))
    with pytest.raises(MihuCreateOutcomeUnknown, match=r"no data\.uuid"):
        provider_for(sim, create_settle_time=0.2).create(trunk_inputs())


def test_unconfigured_provider_says_so() -> None:
    from pulumi_mihu import SipTrunkConnectionProvider
    with pytest.raises(MihuError, match="not configured"):
        SipTrunkConnectionProvider().create(trunk_inputs())


# -- adoption, one rule at a time -------------------------------------------------------


@pytest.mark.parametrize("newest_first", [True, False])
def test_adoption_falls_back_to_the_list_when_the_item_route_answers_404(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str], newest_first: bool) -> None:
    """The item route is undocumented: a 404 from it proves nothing, the list does (where
    the connection is found by its uuid, not by its place in the list: another connection
    is listed before it and sorts before it, whichever order the list has)."""
    sim.state.newest_first = newest_first
    before = "00000000-0000-4000-8000-000000000000"  # listed first, sorting first
    if not newest_first:
        sim.connections[before] = {**trunk_inputs(name="other-line"), "uuid": before}
    uuid, _ = create(sim, phone_number="+15551239999")
    if newest_first:
        sim.connections[before] = {**trunk_inputs(name="other-line"), "uuid": before}
    sim.inject(Fault(status=404, method="GET", path_prefix=f"{CONNECTIONS}/{uuid}",
                     exact=True))
    result = provider_for(sim).create(trunk_inputs(adopt_uuid=uuid,
                                                   phone_number="+15551239999"))
    assert result.id == uuid
    assert len(sim.connections) == 2 and not sim.requests_to("POST")[1:]
    assert f"{uuid} ('+15551239999') is adopted" in capsys.readouterr().err


def test_an_adopt_uuid_that_does_not_change_warns_of_nothing(
        sim: MihuSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    """The warning is for an adopt_uuid newly set on an existing resource: not for the
    adopting resource's own uuid, nor for one it had already."""
    provider = provider_for(sim)
    uuid = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    other = "9b1f0a34-5d6e-4f70-8a9b-0c1d2e3f4a5b"
    provider.diff(uuid, trunk_inputs(), trunk_inputs(adopt_uuid=uuid))
    provider.diff("made-by-pulumi", trunk_inputs(adopt_uuid=other),
                  trunk_inputs(adopt_uuid=other))
    assert "warning:" not in capsys.readouterr().err
    provider.diff("made-by-pulumi", trunk_inputs(), trunk_inputs(adopt_uuid=other))
    assert f"adopt_uuid {other} is ignored" in capsys.readouterr().err
    provider.diff("0-made-by-pulumi", trunk_inputs(), trunk_inputs(adopt_uuid=other))
    assert f"adopt_uuid {other} is ignored" in capsys.readouterr().err  # either order


@pytest.mark.parametrize("field, account_value", [
    ("name", "a-line"), ("name", "z-line"),  # sorting before and after the program's
    ("phone_number", "+15551230001"), ("gateway", "sip.zzz.com"),
])
def test_adoption_refuses_a_connection_that_differs_from_the_program(
        sim: MihuSimulator, field: str, account_value: str) -> None:
    uuid, _ = create(sim)
    sim.connections[uuid][field] = account_value
    expected = f"Not adopting SIP trunk connection {uuid}: {field} is '{account_value}' in "
    with pytest.raises(MihuError, match=re.escape(expected)):
        provider_for(sim).create(trunk_inputs(adopt_uuid=uuid))
    assert len(sim.connections) == 1


def test_adoptions_read_withholds_an_api_error_that_echoes_the_programs_credentials(
        sim: MihuSimulator) -> None:
    """Adopting reads the connection by its uuid with the program's credentials known:
    an error answer that echoes one is withheld (it used to be shown as the API gave it:
    that read passed no secrets)."""
    import json

    from pulumi_mihu.errors import WITHHELD

    uuid = provider_for(sim).create(trunk_inputs()).id
    sim.inject(Fault(status=400, method="GET", path_prefix=f"{CONNECTIONS}/{uuid}",
                     body=json.dumps({"success": False, "message": f"bad {SIP_PASSWORD}"})))
    with pytest.raises(MihuError) as caught:
        provider_for(sim).create(trunk_inputs(adopt_uuid=uuid))
    assert WITHHELD in str(caught.value) and SIP_PASSWORD not in str(caught.value)
    assert list(sim.connections) == [uuid] and len(sim.requests_to("POST")) == 1


def test_importing_the_provider_module_loads_no_pydantic() -> None:
    """The inputs model is built from SCHEMA when first used: the provider module names
    it for type checking only, so loading the module (a host that unpickles the provider)
    costs no pydantic import."""
    import subprocess
    import sys

    code = ("import sys, pulumi_mihu._sip_trunk_connection_provider\n"
            "print('pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"
