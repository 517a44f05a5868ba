"""examples/fleet/fleet.py refuses a bad inventory before touching any stack (exit status
2, no CLI started), saying what is wrong without echoing a secret written into it by
mistake. (Its runs through the real CLI: tests/cli/test_cli_fleet.py.)"""

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


def run(tmp_path: Path, inventory: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "inventory.yaml"
    path.write_text(inventory)
    return subprocess.run([sys.executable, str(FLEET), str(path)], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/nonexistent"}, check=False)


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
])
def test_a_bad_inventory_is_refused_before_any_stack(tmp_path: Path, inventory: str,
                                                     message: str) -> None:
    completed = run(tmp_path, inventory)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert message in completed.stderr
    assert PASTED_TOKEN not in completed.stdout + completed.stderr
    assert not (tmp_path / "fleet-state").exists()
