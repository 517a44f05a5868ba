"""What every Mihu resource class inherits from pulumi_mihu._resource: the provider named
by its path, the reserved ``__provider`` key, and both constructor shapes of
Pulumi's generated SDKs."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest

from pulumi_mihu import SipTrunkConnectionProvider
from pulumi_mihu._resource import args_and_opts


def test_the_provider_reference_is_the_sdks_pickle_of_the_class_by_path() -> None:
    """The program names the provider by path; the SDK's own pickle of an instance is the
    same string, and it unpickles to the class."""
    import pickle

    from pulumi.dynamic.dynamic import serialize_provider

    from pulumi_mihu import _resource

    path = "pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider"
    written = _resource.provider_reference(path)
    assert written == serialize_provider(SipTrunkConnectionProvider())
    assert type(pickle.loads(base64.b64decode(written))) is SipTrunkConnectionProvider
    other = _resource.provider_reference("pulumi_mihu.x.Y")
    assert type(other) is str and other != written


def test_the_provider_reference_is_computed_once_per_path() -> None:
    """Once per process, not per resource: a stack of thousands registers the same one."""
    from pulumi_mihu._resource import provider_reference

    first = provider_reference("pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider")
    again = provider_reference("pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider")
    assert first is again


def test_a_resource_cannot_bring_its_own_provider_key() -> None:
    from pulumi_mihu import SipTrunkConnection

    resource = object.__new__(SipTrunkConnection)
    with pytest.raises(ValueError, match="must not define the __provider key"):
        resource._register_dynamic("pulumi_mihu.x.Y", "n", {"__provider": "x"}, None)


# -- what the constructor derives from the schema ------------------------------------------

def toy_resource(recorded: list[tuple[Any, ...]]) -> type[Any]:
    """A resource class over a small declaration, recording what it would register."""
    from pulumi_mihu._resource import MihuDynamicResource
    from pulumi_mihu.schema import RESOURCE_NAME, Input, Output, Schema

    @dataclasses.dataclass
    class ToyArgs:
        key: Any
        label: Any = None
        token: Any = None
        flag: Any = None
        once: Any = None

    class Toy(MihuDynamicResource, module="mihu", name="Toy"):
        # "once" (read only at create) before the others: one not given is skipped, and
        # the inputs after it still become properties.
        _mihu_schema = Schema("Toy", "", {
            "key": Input("k", required=True), "once": Input("o", compared=False),
            "label": Input("l", default=RESOURCE_NAME), "token": Input("t", secret=True),
            "flag": Input("f", type=bool, default=False)}, {"made": Output("m"), "pin": Output(
                "p", secret=True)})
        _mihu_args = ToyArgs
        _mihu_provider = "tests.toy.ToyProvider"

        def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
            self._register(resource_name, args, kwargs)

        def _register_dynamic(self, *call: Any) -> None:
            recorded.append(call)

    return Toy


def secret_value(value: Any) -> tuple[Any, bool]:
    import pulumi
    from pulumi.runtime.sync_await import _sync_await

    assert isinstance(value, pulumi.Output)
    return _sync_await(value.future()), _sync_await(value.is_secret())


def test_the_properties_come_from_the_schema() -> None:
    recorded: list[tuple[Any, ...]] = []
    toy_resource(recorded)("toy-1", key="k1", token="s3cret")
    [(provider, name, props, opts)] = recorded
    assert provider == "tests.toy.ToyProvider" and name == "toy-1"
    assert secret_value(props.pop("token")) == ("s3cret", True)
    # the name default, a declared default, computed outputs seeded None; "once" absent
    assert props == {"key": "k1", "label": "toy-1", "flag": False, "made": None, "pin": None}
    assert opts.additional_secret_outputs == ["token", "pin"]


def test_an_input_read_only_at_create_is_a_property_only_when_given() -> None:
    recorded: list[tuple[Any, ...]] = []
    toy = toy_resource(recorded)
    toy("toy-1", toy._mihu_args(key="k", label="L", flag=True, once="o1"))
    props = recorded[0][2]
    assert props["once"] == "o1" and props["label"] == "L" and props["flag"] is True
    assert props["token"] is None, "a secret input not given is not wrapped"


def test_read_by_id_registers_every_property_as_none() -> None:
    import pulumi

    recorded: list[tuple[Any, ...]] = []
    toy_resource(recorded)("toy-1", pulumi.ResourceOptions(id="id-9"), key="ignored")
    [(_, _, props, opts)] = recorded
    assert props == dict.fromkeys(("key", "label", "token", "flag", "made", "pin"))
    assert opts.id == "id-9"


def test_the_required_inputs_are_the_declared_ones() -> None:
    with pytest.raises(TypeError, match=r"^Missing required property 'key' of Toy 'toy-1'$"):
        toy_resource([])("toy-1", label="l")


# -- args_and_opts ------------------------------------------------------------------------


@dataclasses.dataclass
class Args:
    a: Any
    b: Any = None


def shapes(*args: Any, **kwargs: Any) -> tuple[Args, Any]:
    return args_and_opts(Args, "Kind", "res", args, kwargs, required=("a",))


def test_both_constructor_shapes() -> None:
    import pulumi

    opts = pulumi.ResourceOptions(protect=True)
    assert shapes(Args(1, 2), opts) == (Args(1, 2), opts)
    assert shapes(Args(1), opts=opts) == (Args(1), opts)
    obj, default = shapes(Args(1))
    assert obj == Args(1) and isinstance(default, pulumi.ResourceOptions)
    assert shapes(opts, a=1, b=2) == (Args(1, 2), opts)
    assert shapes(opts=opts, a=1) == (Args(1, None), opts)
    obj, default = shapes(a=1)
    assert obj == Args(1) and isinstance(default, pulumi.ResourceOptions)


def test_a_missing_required_input_is_allowed_only_when_reading_by_id() -> None:
    import pulumi

    with pytest.raises(TypeError, match=r"^Missing required property 'a' of Kind 'res'$"):
        shapes(b=1)
    with pytest.raises(TypeError, match="Missing required property 'a'"):
        shapes(Args(None))
    assert shapes(pulumi.ResourceOptions(id="x"))[0] == Args(None)


@pytest.mark.parametrize("args, kwargs, message", [
    ((Args(1), None, None), {}, r"^Kind\(name, args, opts=None\) takes no other arguments$"),
    ((Args(1),), {"b": 2}, r"^Kind\(name, args, opts=None\) takes no other arguments$"),
    ((None, 1), {}, r"^Kind\(name, opts=None, \*\*inputs\): inputs are keywords$"),
    (("opts",), {"a": 1}, r"^opts of Kind 'res' must be ResourceOptions$"),
    ((), {"a": 1, "zz": 2, "c": 3}, r"^Kind got unexpected inputs: c, zz$"),
])
def test_wrong_constructor_calls_are_refused(args: tuple[Any, ...], kwargs: dict[str, Any],
                                             message: str) -> None:
    with pytest.raises(TypeError, match=message):
        shapes(*args, **kwargs)


# -- the warning about a token stored in plain text -----------------------------------------

TOKEN = "tok-plain-5e6f7a8b9c"


@pytest.fixture
def stack_config(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The program's view of the stack config: values and which keys are secret."""
    import pulumi.runtime

    config: dict[str, Any] = {"values": {}, "secret": set()}
    monkeypatch.setattr(pulumi.runtime, "get_config", lambda key: config["values"].get(key))
    monkeypatch.setattr(pulumi.runtime, "is_config_secret",
                        lambda key: key in config["secret"])
    return config


def test_no_token_in_the_stack_config_means_no_warning(stack_config: dict[str, Any]) -> None:
    from pulumi_mihu._resource import plain_token_warning

    assert plain_token_warning() is None


def test_a_secret_token_means_no_warning(stack_config: dict[str, Any]) -> None:
    from pulumi_mihu._resource import plain_token_warning

    stack_config["values"]["mihu:apiToken"] = TOKEN
    stack_config["secret"].add("mihu:apiToken")
    assert plain_token_warning() is None


def test_a_plain_token_is_warned_about_with_the_fix_and_never_shown(
        stack_config: dict[str, Any]) -> None:
    from pulumi_mihu._resource import PLAIN_TOKEN_WARNING, plain_token_warning

    stack_config["values"]["mihu:apiToken"] = TOKEN
    stack_config["secret"].add("mihu:other")
    assert plain_token_warning() == PLAIN_TOKEN_WARNING == (
        "mihu:apiToken is set in the stack config in plain text, not as a secret, so Pulumi "
        "copies it unencrypted into the stack's state (the inputs of the default "
        "pulumi-python provider). Make it a secret: `pulumi config set --secret "
        "mihu:apiToken <token>`, then `pulumi up` re-encrypts it in the state. The stack's "
        "history and backups keep the plain-text value: rotate the token in the Mihu "
        "console and set the new one that way.")
    assert TOKEN not in PLAIN_TOKEN_WARNING


@pytest.mark.parametrize("listed, expected", [
    (None, False),  # nothing can be told: nothing is said
    ('["mihu:apiToken"]', False),
    ('["other:key"]', True),
    ("[]", True),
    ("not json", False),
])
def test_an_sdk_without_is_config_secret_reads_the_language_hosts_list(
        stack_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch, listed: str | None,
        expected: bool) -> None:
    import pulumi.runtime

    from pulumi_mihu._resource import plain_token_warning

    monkeypatch.delattr(pulumi.runtime, "is_config_secret")
    monkeypatch.delenv("PULUMI_CONFIG_SECRET_KEYS", raising=False)
    if listed is not None:
        monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", listed)
    stack_config["values"]["mihu:apiToken"] = TOKEN
    assert (plain_token_warning() is not None) is expected


def test_the_first_resource_registered_warns_and_the_others_do_not(
        stack_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import pulumi

    from pulumi_mihu import SipTrunkConnection, _resource

    warned: list[str] = []
    registered: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warned.append(message))
    monkeypatch.setattr(pulumi.CustomResource, "__init__",
                        lambda self, t, name, props, opts: registered.append(name))
    monkeypatch.setattr(_resource, "_token_checked", threading.Lock())
    stack_config["values"]["mihu:apiToken"] = TOKEN
    for name in ("first", "second", "third"):
        resource = object.__new__(SipTrunkConnection)
        resource._register_dynamic(SipTrunkConnection._mihu_provider, name, {}, None)
    assert registered == ["first", "second", "third"]
    assert warned == [_resource.PLAIN_TOKEN_WARNING]
