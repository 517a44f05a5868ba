"""examples/fleet/fleet.py refuses a bad inventory before touching any stack (exit status
2, no CLI started), saying what is wrong without echoing a secret written into it by
mistake; a misspelt key is refused rather than ignored. And, in-process, the parts that
need no CLI: the results record kept whole by two writers, one run per state dir, the
provider's whole message taken out of the provider host's traceback, and the scrubbing
of every printed line. (Its runs through the real CLI: tests/cli/test_cli_fleet.py.)"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

FLEET = Path(__file__).resolve().parents[2] / "examples" / "fleet" / "fleet.py"
PASTED_TOKEN = "pasted-token-3f9d2c71"


def account(**overrides: Any) -> dict[str, Any]:
    return {"name": "acme", "subdomain": "acme", "token": {"env": "ACME_TOKEN"},
            "sip_credentials": {"file": "acme-sip.json"},
            "trunks": [{"key": "support", "name": "Support", "phone_number": "+15551230000",
                        "gateway": "sip.telnyx.com"}], **overrides}


def run(tmp_path: Path, inventory: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "inventory.yaml"
    path.write_text(inventory)
    return subprocess.run([sys.executable, str(FLEET), str(path), *args], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/nonexistent"}, check=False)


def trunk(**overrides: Any) -> dict[str, Any]:
    return {**account()["trunks"][0], **overrides}


YAML_ACCOUNT = ("accounts:\n  - name: acme\n    subdomain: acme\n    token: {env: T}\n"
                "    sip_credentials: {env: S}\n")


@pytest.mark.parametrize(("inventory", "message"), [
    (json.dumps({"accounts": [account(token=PASTED_TOKEN)]}),
     "account acme.token must be {env: VARIABLE} or {file: PATH}"),
    (json.dumps({"accounts": [account(sip_credentials={"value": PASTED_TOKEN})]}),
     "account acme.sip_credentials must be {env: VARIABLE} or {file: PATH}"),
    ("accounts:\n  - name: acme\n    subdomain: acme\n    token: {env: T}\n"
     "    sip_credentials: {env: S}\n    trunks:\n      - key: support\n        name: S\n"
     "        phone_number: +15551230000\n        gateway: sip.telnyx.com\n",
     "account acme.trunks[0].phone_number must be text, got 15551230000, a int"),
    (json.dumps({"accounts": [account(), account()]}), "an account name is used twice"),
    (json.dumps({"accounts": [account(name="acme corp")]}), "'acme corp': letters, digits"),
    (json.dumps({"accounts": [account(subdomain=None)]}), "needs a subdomain or a base_url"),
    (json.dumps({"accounts": [account(settings={"apiToken": PASTED_TOKEN})]}),
     "account acme.settings may hold only"),
    # A misspelt key, at every level, would be dropped: a trunk list read as none deletes
    # every trunk of the account; a dropped secondary_gateway deletes a gateway.
    (YAML_ACCOUNT + "    trunk:\n      - key: support\n        name: S\n",
     "account acme: unknown key 'trunk' (known: name, subdomain, base_url, token, "
     "sip_credentials, settings, trunks)"),
    (json.dumps({"accounts": [account(trunks=[trunk(secondary_gatway="sip2.telnyx.com")])]}),
     "account acme.trunks[0]: unknown key 'secondary_gatway' (known: key, name, "
     "phone_number, gateway, secondary_gateway, adopt_uuid)"),
    (json.dumps({"accounts": [account(token_file=PASTED_TOKEN)]}),
     "account acme: unknown key 'token_file'"),
    (json.dumps({"accounts": [account()], "acounts": []}), "unknown key 'acounts'"),
    (json.dumps({"accounts": [account(trunks=[trunk(**{PASTED_TOKEN: "x"})])]}),
     "account acme.trunks[0]: unknown key (one not shown: not a field name) (known: key"),
    # Every trunk commented out leaves `trunks:` null; a missing list is refused too.
    (YAML_ACCOUNT + "    trunks:\n    # - key: support\n    #   name: S\n",
     "account acme.trunks must be a list of the account's trunks, got empty (null"),
    (json.dumps({"accounts": [{k: v for k, v in account().items() if k != "trunks"}]}),
     "account acme.trunks must be a list of the account's trunks, got missing"),
    (json.dumps({"accounts": [account(trunks={"support": trunk()})]}),
     "got a dict"),
])
def test_a_bad_inventory_is_refused_before_any_stack(tmp_path: Path, inventory: str,
                                                     message: str) -> None:
    completed = run(tmp_path, inventory)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert message in completed.stderr
    assert PASTED_TOKEN not in completed.stdout + completed.stderr
    assert not (tmp_path / "fleet-state").exists()


def test_an_empty_trunk_list_said_on_purpose_is_accepted(tmp_path: Path) -> None:
    """`trunks: []` loads (its deletions are guarded: tests/cli/test_cli_fleet.py); the run
    stops later, at the passphrase, which this test does not set."""
    completed = run(tmp_path, json.dumps({"accounts": [account(trunks=[])]}))
    assert "PULUMI_CONFIG_PASSPHRASE" in completed.stderr, completed.stderr
    assert completed.returncode == 2


def test_allow_delete_must_name_an_account_of_the_inventory(tmp_path: Path) -> None:
    completed = run(tmp_path, json.dumps({"accounts": [account()]}), "--allow-delete", "acne")
    assert completed.returncode == 2
    assert "--allow-delete: not in the inventory: acne" in completed.stderr


# -- in-process ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fleet() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fleet_under_test", FLEET)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_second_run_on_one_state_dir_is_refused(tmp_path: Path, fleet: ModuleType) -> None:
    """While a run holds the state dir, another is refused at once, naming the holder,
    before it reads or writes anything there; once released, a run may go on."""
    state = tmp_path / "fleet-state"
    state.mkdir()
    lock = fleet.RunLock(state)
    try:
        completed = run(tmp_path, json.dumps({"accounts": [account()]}))
        assert completed.returncode == 2
        assert "another fleet run is using the state dir (pid " in completed.stderr
        assert sorted(p.name for p in state.iterdir()) == ["fleet.lock"]
    finally:
        lock.release()
    completed = run(tmp_path, json.dumps({"accounts": [account()]}))
    assert "another fleet run" not in completed.stderr
    assert "PULUMI_CONFIG_PASSPHRASE" in completed.stderr  # got past the lock


def test_two_writers_of_the_results_record_keep_each_others_entries(
        tmp_path: Path, fleet: ModuleType) -> None:
    """Two Results on one file (two runs, each having read it at its start), recording
    different accounts in turn: every entry stays, and no temporary file is left."""
    path = tmp_path / fleet.RESULTS_FILE
    first, second = fleet.Results(path), fleet.Results(path)
    for n in range(3):
        first.record(f"a{n}", fleet.Outcome("succeeded"))
        second.record(f"b{n}", fleet.Outcome("failed", error="HTTP 401"))
    record = json.loads(path.read_text())["accounts"]
    assert {name: entry["result"] for name, entry in record.items()} == {
        **{f"a{n}": "succeeded" for n in range(3)}, **{f"b{n}": "failed" for n in range(3)}}
    assert fleet.Results(path).last_failed("b0") and not fleet.Results(path).last_failed("a2")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        fleet.RESULTS_FILE, fleet.RESULTS_FILE + ".lock"]


#: The dynamic provider host's report of the provider's refusal of a twin (CLI v3.274.1,
#: SDK 3.x): the SDK's frames, pulumi_mihu's cut, then the exception of three lines.
TWIN = "7df76083-5152-4e13-a72f-bd9863e9762c"
HOST_TRACEBACK = (
    'Traceback (most recent call last):\n'
    '  File "/venv/lib/python3.11/site-packages/pulumi/dynamic/__main__.py", line 84, in '
    'wrapper\n    return fn(self, request, context)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^\n'
    '  File "<pulumi-mihu>", line 137, in create\n'
    "pulumi_mihu.errors.MihuCreateRefusedError: Not creating the SIP trunk connection "
    f"'acme line 0': the account already has one ... ({TWIN}); a second would mis-route "
    "calls.\nMost likely an interrupted `pulumi up` left it. If no other stack manages it, "
    f'set adopt_uuid="{TWIN}" on this resource and run `pulumi up` again.\n'
    'A renamed resource ...: README, "Refused as a duplicate".\n\n')


def test_the_providers_whole_message_is_kept_without_the_frames(fleet: ModuleType) -> None:
    text = fleet.diagnostic_text(HOST_TRACEBACK)
    assert text.splitlines() == [
        "MihuCreateRefusedError: Not creating the SIP trunk connection 'acme line 0': the "
        f"account already has one ... ({TWIN}); a second would mis-route calls.",
        "Most likely an interrupted `pulumi up` left it. If no other stack manages it, "
        f'set adopt_uuid="{TWIN}" on this resource and run `pulumi up` again.',
        'A renamed resource ...: README, "Refused as a duplicate".']
    assert fleet.diagnostic_text("update failed\n") == "update failed"
    hint = fleet.adopt_hint(text, "urn:pulumi:acme::mihu-fleet::pulumi-python:dynamic/"
                            "mihu:SipTrunkConnection::support", "acme")
    assert f'add `adopt_uuid: "{TWIN}"` to trunk support of account acme' in hint
    assert "an account renamed in the inventory leaves its old stack" in hint
    assert fleet.adopt_hint("MihuApiError: HTTP 500", "urn:...::support", "acme") is None


def test_every_printed_line_is_scrubbed_of_the_secrets_read(fleet: ModuleType) -> None:
    """The second guard: a message carrying a token or a SIP password (a CLI error quoting
    config, say) is printed with each secret masked, the longer one first (a secret that
    holds another is masked whole), and what holds none is printed as it is."""
    console = fleet.Console(width=4)
    console.add_secrets(PASTED_TOKEN, "hunter2-sip-pass", "hunter2", "")
    out = io.StringIO()
    with redirect_stdout(out):
        console.line("acme", f"error: config {PASTED_TOKEN!r} and password=hunter2-sip-pass")
        console.print("fleet: hunter2 at the start, nothing else")
        console.print("nothing secret here")
    assert out.getvalue().splitlines() == [
        "[acme] error: config '[secret]' and password=[secret]",
        "fleet: [secret] at the start, nothing else",
        "nothing secret here"]
    # A failed account's error, as recorded and shown in the summary, is scrubbed too.
    lines = fleet.summary_table({"acme": fleet.Outcome(
        "failed", error=console.scrub(f"CommandError: token {PASTED_TOKEN}\nhunter2"))})
    assert "\n".join(lines).endswith("acme: CommandError: token [secret]\n    [secret]")
