"""What a type checker makes of a user's program: the names the package hands out lazily
(``<Resource>Inputs``, ``<Resource>Provider``) are typed, and a misspelt name is an error,
as it was before the package's ``__getattr__`` (0.2.0): a module ``__getattr__`` that mypy
sees types every unknown attribute as ``Any``, silently."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = '''\
import pulumi_mihu
from pulumi_mihu import SipTrunkConnection, SipTrunkConnectionProvider, SipTrunkConnectionInputs
from pulumi_mihu.sip_trunk_connection import SipTrunkConnectionProvider as Provider

trunk = SipTrunkConnection("x", phone_number="+1", gateway="g", username="u", password="p")
provider: Provider = SipTrunkConnectionProvider()
inputs: SipTrunkConnectionInputs = pulumi_mihu.SipTrunkConnectionInputs.model_validate({})
agent_provider = pulumi_mihu.AgentSipTrunkAssignmentProvider()
'''


def mypy(tmp_path: Path, source: str) -> str:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    (tmp_path / "program.py").write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "program.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "MYPYPATH": str(ROOT)})
    return result.stdout


def test_a_misspelt_name_of_the_package_is_a_type_error(tmp_path: Path) -> None:
    out = mypy(tmp_path, PROGRAM + "from pulumi_mihu import SipTrunkConection\n"
                         "error = pulumi_mihu.MihuErorr\n")
    assert 'Module "pulumi_mihu" has no attribute "SipTrunkConection"' in out, out
    assert "Module has no attribute \"MihuErorr\"" in out, out
    assert out.count("error:") == 2, out
