"""Pulumi resources for the Mihu voice-AI platform: ``SipTrunkConnection`` (a SIP trunk
connection), ``AgentSipTrunkAssignment`` (an agent's calls routed through one) and any
other resource of the registry (:mod:`pulumi_mihu._registry`); each one's inputs and
outputs are in ``docs/resources.md``.

Stack config (``mihu:*``) or environment variables configure the provider: see
:mod:`pulumi_mihu.settings`.

Every error the package raises on purpose is a :class:`MihuError`; the whole hierarchy is
exported here, so that ``except`` clauses need no private import.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import *  # noqa: F403  (the whole error hierarchy: errors.__all__)
from .errors import __all__ as _errors
from .settings import MihuSettings

# --- generated from the schema: do not edit (scripts/gen.py exports) ---
# isort: split
from .agent_sip_trunk_assignment import AgentSipTrunkAssignment, AgentSipTrunkAssignmentArgs
from .sip_trunk_connection import SipTrunkConnection, SipTrunkConnectionArgs

if TYPE_CHECKING:
    from .agent_sip_trunk_assignment import (
        AgentSipTrunkAssignmentInputs,
        AgentSipTrunkAssignmentProvider,
    )
    from .sip_trunk_connection import (
        SipTrunkConnectionInputs,
        SipTrunkConnectionProvider,
    )

__all__ = [
    "AgentSipTrunkAssignment",
    "AgentSipTrunkAssignmentArgs",
    "AgentSipTrunkAssignmentInputs",
    "AgentSipTrunkAssignmentProvider",
    "SipTrunkConnection",
    "SipTrunkConnectionArgs",
    "SipTrunkConnectionInputs",
    "SipTrunkConnectionProvider",
]
# --- end of generated code ---


if not TYPE_CHECKING:
    # Hidden from type checkers: a module __getattr__ they see types every other name
    # (a typo such as `from pulumi_mihu import SipTrunkConection`) as Any, unreported;
    # the names it hands out are imported for them above.
    def __getattr__(name: str) -> Any:
        """``<Resource>Inputs``, the pydantic input models, built from their schema on first
        use, and ``<Resource>Provider``, the provider classes, loaded on first use, rather than
        at import: a program that only registers resources needs neither (nor pydantic and
        requests, which they import)."""
        from ._registry import RESOURCES

        for entry in RESOURCES:
            if name == f"{entry.name}Inputs":
                return entry.schema.model
            if name == f"{entry.name}Provider":
                return entry.provider_class()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ += ["MihuSettings", "__version__", *_errors]
