"""Test tools that users may reuse for their own stacks: a local Mihu API simulator, and
an engine-protocol harness that runs a Pulumi program against the real dynamic provider
host without the Pulumi CLI."""

from .simulator import DEFAULT_TOKEN, Fault, MihuSimulator

__all__ = ["DEFAULT_TOKEN", "Fault", "MihuSimulator"]
