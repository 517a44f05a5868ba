"""Test tools that users may reuse for their own stacks: a local Mihu API simulator
(``simulator``), a driver of the SDK's real dynamic-provider host over gRPC
(``host.ProviderHost``), and a runner of the real Pulumi CLI with a local backend
(``cli.PulumiCli``), the one engine this project claims to match.

Names are loaded on first use, so that ``python -m pulumi_mihu.testing.simulator`` does
not import the simulator twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .simulator import DEFAULT_TOKEN, Fault, MihuSimulator

__all__ = ["DEFAULT_TOKEN", "Fault", "MihuSimulator"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
