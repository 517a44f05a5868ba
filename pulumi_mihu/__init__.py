"""Pulumi resources for the Mihu voice-AI platform.

Stack config (``mihu:*``) or environment variables configure the provider: see
:mod:`pulumi_mihu.settings`. Resources:

- :class:`SipTrunkConnection`: a SIP trunk connection.
"""

from ._version import __version__
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
