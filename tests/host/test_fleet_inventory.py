"""examples/fleet/fleet.py refuses a bad inventory before touching any stack (exit status
2, no CLI started), saying what is wrong without echoing a secret written into it by
mistake; a misspelt key is refused rather than ignored. (Its runs through the real CLI:
tests/cli/test_cli_fleet.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
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
