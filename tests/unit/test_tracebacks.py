"""What the provider host prints for an error: the SDK's dynamic host answers every
exception with ``traceback.format_exc()`` (``_abort_with_traceback`` in
pulumi/dynamic/__main__.py), so a Mihu error must reach it with no frame of the package
but one line naming ``<pulumi-mihu>``, and a message that reads on its own."""

from __future__ import annotations

import re
import traceback
from typing import Any

import pytest

from pulumi_mihu import MihuError, MihuValidationError, SipTrunkConnectionProvider
from pulumi_mihu._provider import FRAME_FILE, PROVIDER_METHODS, MihuResourceProvider
from pulumi_mihu._registry import RESOURCES
from pulumi_mihu.testing import Fault, MihuSimulator
from support import SIP_PASSWORD, provider_for, trunk_inputs


def as_the_host_prints_it(method: Any, *args: Any) -> str:
    """What the SDK's ``_abort_with_traceback`` sends the engine for ``method(*args)``: the
    same try/except and format_exc, and a function standing for the gRPC method."""

    def create() -> None:
        method(*args)

    try:
        create()
    except Exception:
        # Without the lines of carets under a call that Python 3.13 prints for the host's
        # own frames (ours has no source, so none).
        return "\n".join(line for line in traceback.format_exc().splitlines()
                         if not re.fullmatch(r"\s*[~^]+\s*", line)) + "\n"
    raise AssertionError("the call did not fail")


def test_an_api_error_of_a_create_shows_one_frame_of_ours_and_no_source(
        sim: MihuSimulator) -> None:
    provider = provider_for(sim, max_attempts=1)
    sim.inject(Fault(status=422, method="POST", body='{"message": "Validation failed", '
                                                     '"error": {"field": "gateway"}}'))
    text = as_the_host_prints_it(provider.create, trunk_inputs())
    lines = text.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "pulumi_mihu" not in "\n".join(lines[:-1])
    ours = [line for line in lines if FRAME_FILE in line]
    assert len(ours) == 1 and ours[0].startswith(f'  File "{FRAME_FILE}", line ')
    assert ours[0].endswith(", in create")
    assert lines[lines.index(ours[0]) + 1].startswith("pulumi_mihu.errors.MihuValidationError: ")
    assert len(lines) == 1 + 2 * 2 + 1 + 1, text  # header, 2 frames of the "host", ours, message
    assert lines[-1] == (
        "pulumi_mihu.errors.MihuValidationError: Mihu API POST "
        f"/api/v1/channels/sip-trunk/connections at {sim.base_url} (settings from the code) "
        "failed: HTTP 422, field 'gateway': Validation failed. The API refused what was sent: "
        "correct the input it names in the program, then run the command again")


def test_an_unexpected_exception_shows_no_frame_of_ours_either(
        monkeypatch: pytest.MonkeyPatch, sim: MihuSimulator) -> None:
    provider = provider_for(sim)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError(f"division by zero near {SIP_PASSWORD}")

    monkeypatch.setattr(provider.client, "post", broken)
    text = as_the_host_prints_it(provider.create, trunk_inputs())
    assert "pulumi_mihu/" not in text and "ZeroDivisionError:" not in text
    assert SIP_PASSWORD not in text and "near" not in text
    assert text.splitlines()[-1].startswith(
        "pulumi_mihu.errors.MihuError: SipTrunkConnectionProvider.create failed unexpectedly "
        "with ZeroDivisionError (its message was withheld because it echoed a credential), "
        "raised in ")


def test_the_error_keeps_no_chain_no_context_and_no_frames_of_the_method(
        sim: MihuSimulator) -> None:
    provider = provider_for(sim, max_attempts=1)
    sim.inject(Fault(status=422, method="POST"))
    with pytest.raises(MihuValidationError) as info:
        provider.create(trunk_inputs())
    error = info.value
    assert error.__cause__ is None and error.__context__ is None
    assert error.__suppress_context__
    frames = traceback.extract_tb(error.__traceback__)
    assert [f.filename for f in frames if "pulumi_mihu" in f.filename] == []
    assert [(f.filename, f.name) for f in frames][-1] == (FRAME_FILE, "create")


@pytest.mark.parametrize("provider_class", [entry.provider_class() for entry in RESOURCES])
@pytest.mark.parametrize("name", PROVIDER_METHODS)
def test_every_method_the_host_calls_is_wrapped(provider_class: type[MihuResourceProvider],
                                                name: str) -> None:
    assert PROVIDER_METHODS == ("check", "diff", "create", "read", "update", "delete")
    method = getattr(provider_class, name)
    assert method.__code__.co_filename == FRAME_FILE
    assert method.__code__.co_name == name
    assert method.__wrapped__.__code__.co_filename != FRAME_FILE


def test_a_subclass_method_without_the_decorator_is_wrapped_all_the_same() -> None:
    class Plain(MihuResourceProvider):
        def read(self, id_: str, props: dict[str, Any]) -> Any:
            raise KeyError("uuid")

        def helper(self) -> None:
            raise KeyError("not a provider method")

    assert Plain.read.__code__.co_filename == FRAME_FILE
    with pytest.raises(MihuError, match=r"^Plain.read failed unexpectedly with KeyError: "
                                        r"'uuid', raised in test_tracebacks.py line \d+ "
                                        r"\(read\)\. This is a bug"):
        Plain().read("id", {})
    with pytest.raises(KeyError):
        Plain().helper()


def test_a_wrapped_method_is_not_wrapped_twice() -> None:
    class Child(SipTrunkConnectionProvider):
        create = SipTrunkConnectionProvider.create

    assert Child.create is SipTrunkConnectionProvider.create


def test_an_unexpected_failure_while_configuring_is_kept_as_a_config_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """configure() runs inside the host's get_provider: an exception there would be a
    traceback through our frames, its message possibly quoting the token."""
    from pulumi_mihu import MihuConfigError, MihuSettings

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("token tok-secret-123456 rejected")

    monkeypatch.setattr(MihuSettings, "resolve", broken)

    class Request:
        def __init__(self) -> None:
            self.config: dict[str, str] = {}

    provider = SipTrunkConnectionProvider()
    provider.configure(Request())  # type: ignore[arg-type]
    with pytest.raises(MihuConfigError) as info:
        provider.create(trunk_inputs())
    assert str(info.value).startswith(
        "The Mihu settings could not be read: RuntimeError in test_tracebacks.py line ")
    assert str(info.value).endswith(
        "(broken). This is a bug in pulumi-mihu: please report it with this message.")
    assert "tok-secret" not in str(info.value)
