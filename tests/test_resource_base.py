"""What every Mihu resource class inherits from pulumi_mihu._resource: the serialized
provider computed once, the reserved ``__provider`` key, and both constructor shapes of
Pulumi's generated SDKs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pulumi_mihu import SipTrunkConnectionProvider
from pulumi_mihu._resource import args_and_opts


def test_the_serialized_provider_is_computed_once_per_class(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_mihu import _resource

    class Fresh(SipTrunkConnectionProvider):
        pass

    calls: list[object] = []
    monkeypatch.setattr(_resource, "serialize_provider",
                        lambda provider: calls.append(provider) or f"pickled-{len(calls)}")
    assert _resource.serialized_provider(Fresh) == "pickled-1"
    assert _resource.serialized_provider(Fresh) == "pickled-1"
    assert len(calls) == 1 and isinstance(calls[0], Fresh)


def test_a_resource_cannot_bring_its_own_provider_key() -> None:
    from pulumi_mihu import SipTrunkConnection

    resource = object.__new__(SipTrunkConnection)
    with pytest.raises(ValueError, match="must not define the __provider key"):
        resource._register_dynamic(SipTrunkConnectionProvider, "n", {"__provider": "x"}, None)


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
