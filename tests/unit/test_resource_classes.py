"""What every resource class promises beyond their inputs: the output annotations exist for
type checkers only, and both constructor shapes are declared."""

from __future__ import annotations

import sys

import pytest

from pulumi_mihu._registry import RESOURCES

NAMES = [entry.name for entry in RESOURCES]

@pytest.mark.parametrize("resource", NAMES)
def test_output_annotations_stay_out_of_the_runtime_class(resource: str) -> None:
    """The SDK resolves a resource class's __annotations__ on every registration; the
    outputs are declared for type checkers only (README, Performance)."""
    import pulumi_mihu

    cls = getattr(pulumi_mihu, resource)
    assert "__annotations__" not in vars(cls) or not any(
        name in vars(cls)["__annotations__"] for name in ("uuid", "phone_number", "agent_uuid"))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.get_overloads is Python 3.11+")
@pytest.mark.parametrize("resource", NAMES)
def test_both_constructor_shapes_are_declared_overloads(resource: str) -> None:
    from typing_extensions import get_overloads  # typing's on 3.11+, typed for 3.10 too

    import pulumi_mihu

    assert len(get_overloads(getattr(pulumi_mihu, resource).__init__)) == 2
