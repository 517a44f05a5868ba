"""Secret audits: look for credentials in everything a user could see or store."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pulumi_mihu.testing.harness import StackHarness
from pulumi_mihu.testing.simulator import MihuSimulator


@dataclass(frozen=True)
class SecretHit:
    where: str
    secret: str  # the secret's name, never its value


def scan(artifacts: Mapping[str, str], secrets: Mapping[str, str]) -> list[SecretHit]:
    """Every (artifact, secret name) where the secret's value occurs, also base64-encoded."""
    hits = []
    for where, text in artifacts.items():
        for name, value in secrets.items():
            encoded = base64.b64encode(value.encode()).decode().rstrip("=")
            if value in text or encoded in text:
                hits.append(SecretHit(where, name))
    return hits


def stack_artifacts(stack: StackHarness, sim: MihuSimulator | None = None,
                    extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """What a user of this stack could see or store: the state outside secret values, the
    pickled providers in it, every provider host's stderr (warnings, tracebacks), and the
    simulator's own response bodies (not those of injected faults, which tests may fill with
    credentials on purpose to imitate an API that echoes them)."""
    artifacts = {"state": stack.secret_free_state_text()}
    for resource in stack.state:
        provider = resource.outputs.get("__provider")
        if isinstance(provider, str):
            artifacts[f"__provider of {resource.urn}"] = base64.b64decode(provider).decode(
                "latin-1")
    for index, log in enumerate(stack.host_logs):
        artifacts[f"provider host stderr #{index}"] = log
    if sim is not None:
        artifacts["simulator responses"] = "\n".join(
            r.response_body for r in sim.requests if not r.injected)
    artifacts.update(extra)
    return artifacts
