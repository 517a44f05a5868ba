"""The ``__provider`` strings of every release, held in tests/data/provider_strings.json.

A stack stores, with each resource, the provider pickled by reference: the string names
``pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider`` or
``pulumi_mihu.agent_sip_trunk_assignment.AgentSipTrunkAssignmentProvider`` and nothing else,
and the provider host of whatever version is installed unpickles it. The file records the
strings each release writes (0.1.0's were computed from its own code, commit 4089c91, with
pulumi 3.272.0 and Python 3.11); tests/host/test_state_compat.py drives Read, Diff and Delete
through the real provider host with every one of them.

A release adds its own entry and never edits an older one. Here: the strings this version
writes are listed under its version, and every string names one promised class and no
code. A class moved to another module is pickled under that module's name (a new string
that breaks the promise); the strings also follow ``pickle.DEFAULT_PROTOCOL`` (4 up to
Python 3.13, 5 from 3.14), so a new Python can add a string to a release's list.
"""

from __future__ import annotations

import base64
import pickletools
import re
from typing import Any

import pulumi
import pytest

from pulumi_mihu import AgentSipTrunkAssignment, SipTrunkConnection, __version__
from support import (
    PROMISED_PROVIDER_PATHS,
    PROVIDER_STRINGS_FILE,
    SIP_PASSWORD,
    SIP_USERNAME,
    recorded_provider_strings,
)

RECORDED = recorded_provider_strings()


def release_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def test_every_release_from_0_1_0_to_this_one_records_both_promised_classes() -> None:
    releases = list(RECORDED)
    assert releases[0] == "0.1.0", "0.1.0's strings are the first entry and stay"
    assert releases == sorted(releases, key=release_key), "releases in order, oldest first"
    assert __version__ in RECORDED, (
        f"version {__version__} writes stacks too: add its __provider strings to "
        f"{PROVIDER_STRINGS_FILE.name} (keep the older entries as they are)")
    assert release_key(releases[-1]) <= release_key(__version__)
    for release, by_path in RECORDED.items():
        assert set(by_path) == set(PROMISED_PROVIDER_PATHS.values()), release
        assert all(by_path.values()), f"{release}: a class path without strings"


def pickled_names(provider: str) -> tuple[list[str], list[str]]:
    """(the strings pushed, the opcodes) of a ``__provider`` value, read without
    unpickling it."""
    strings, opcodes = [], []
    for opcode, arg, _pos in pickletools.genops(base64.b64decode(provider)):
        opcodes.append(opcode.name)
        if isinstance(arg, str):
            strings.append(arg)
    return strings, opcodes


@pytest.mark.parametrize("release", list(RECORDED))
def test_each_recorded_string_is_its_class_by_reference(release: str) -> None:
    for path, providers in RECORDED[release].items():
        module, _, name = path.rpartition(".")
        for provider in providers:
            strings, opcodes = pickled_names(provider)
            assert strings == [module, name], f"{release} {path}: {strings}"
            assert opcodes.count("STACK_GLOBAL") + opcodes.count("GLOBAL") == 1, opcodes


class WrittenProviders(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.written: dict[str, Any] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.written[args.typ] = args.inputs.get("__provider")
        return "22222222-2222-4222-8222-222222222222", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def test_a_program_of_this_version_writes_strings_recorded_for_it() -> None:
    mocks = WrittenProviders()
    pulumi.runtime.set_mocks(mocks, project="p", stack="s", preview=False)
    trunk = SipTrunkConnection("main", phone_number="+15551230000", gateway="sip.telnyx.com",
                               username=SIP_USERNAME, password=SIP_PASSWORD)
    assignment = AgentSipTrunkAssignment(
        "agent", agent_uuid="11111111-1111-4111-8111-111111111111",
        connection_uuid=trunk.uuid)
    from pulumi.runtime.sync_await import _sync_await
    _sync_await(assignment.id.future())
    assert set(mocks.written) == set(PROMISED_PROVIDER_PATHS)
    for typ, provider in mocks.written.items():
        path = PROMISED_PROVIDER_PATHS[typ]
        assert provider in RECORDED[__version__][path], (
            f"{typ} writes a __provider string not recorded for {__version__}: {provider!r}. "
            "Stacks written from now on hold it. If it still names "
            f"{path} by reference, add it to {__version__}'s list in "
            f"{PROVIDER_STRINGS_FILE.name} (tests/host/test_state_compat.py then drives the "
            "provider host with it); if not, the class path promise is broken.")
