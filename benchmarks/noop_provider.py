"""The reference of the engine benchmarks: a dynamic resource whose provider does nothing
but sleep 20 ms in Create (the time one API request takes at the simulated latency), with a
trivial Check and Diff. Its provider is pickled by reference, so the provider host must be
able to import this module: ``benchmarks.engine`` puts the repository root on PYTHONPATH."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, Resource, ResourceProvider

#: Seconds each Create sleeps (set by the benchmark's latency).
SLEEP = 0.020


class NoopProvider(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        time.sleep(SLEEP)
        id_ = str(uuid.uuid4())
        return CreateResult(id_, {**props, "uuid": id_, "status": "active"})


class NoopTrunk(Resource):
    """The same inputs as a SipTrunkConnection (credentials secret), the same outputs."""

    uuid: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None,
                 **props: Any) -> None:
        outputs = {"uuid": None, "status": None, "secondary_gateway": None}
        super().__init__(NoopProvider(), resource_name, {**outputs, **props},
                         pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                             additional_secret_outputs=["username", "password"])))
