"""Pulumi resources for the Mihu voice-AI platform.

Stack config (``mihu:*``) or environment variables configure the provider: see
:mod:`pulumi_mihu.settings`. Resources:

- :class:`SipTrunkConnection`: a SIP trunk connection.
- :class:`AgentSipTrunkAssignment`: an agent's calls routed through a connection.
"""

from ._version import __version__
from .agent_sip_trunk_assignment import (
    AgentSipTrunkAssignment,
    AgentSipTrunkAssignmentArgs,
    AgentSipTrunkAssignmentProvider,
)
from .errors import (
    MihuApiError,
    MihuAuthError,
    MihuConfigError,
    MihuCreateOutcomeUnknown,
    MihuError,
    MihuNotFoundError,
    MihuTransportError,
    MihuValidationError,
)
from .settings import MihuSettings
from .sip_trunk_connection import (
    SipTrunkConnection,
    SipTrunkConnectionArgs,
    SipTrunkConnectionInputs,
    SipTrunkConnectionProvider,
)

__all__ = [
    "AgentSipTrunkAssignment",
    "AgentSipTrunkAssignmentArgs",
    "AgentSipTrunkAssignmentProvider",
    "MihuApiError",
    "MihuAuthError",
    "MihuConfigError",
    "MihuCreateOutcomeUnknown",
    "MihuError",
    "MihuNotFoundError",
    "MihuSettings",
    "MihuTransportError",
    "MihuValidationError",
    "SipTrunkConnection",
    "SipTrunkConnectionArgs",
    "SipTrunkConnectionInputs",
    "SipTrunkConnectionProvider",
    "__version__",
]
