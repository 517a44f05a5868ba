"""Every resource of the package, in one list: what tests, scripts, the docs generator and
the package's lazy exports iterate over instead of naming resources one by one.

An entry names things by path, as strings, and imports nothing until asked: the
registry is read by ``scripts/gen.py`` and the tests, and by the program only to find
an input model when one is asked for (:mod:`pulumi_mihu`'s ``__getattr__``). Adding a
resource adds one entry here (docs/development.md, "Adding a resource").
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._provider import MihuResourceProvider
    from ._resource import MihuDynamicResource
    from .schema import Schema

__all__ = ["RESOURCES", "Registered", "by_name"]


def _load(path: str) -> Any:
    """The object a dotted path names, its module imported only now."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Registered:
    """One resource: its class, its provider class (pickled by reference into stacks: the
    path must never change), the Mihu API routes its provider calls (which the simulator
    must serve: tests/unit/test_registry.py), the test files that exercise its module (its
    mutation runs use them) and its example under ``examples/``."""

    resource: str
    """Path of the resource class; its module declares ``SCHEMA`` and the Args class."""
    provider: str
    """Path of the provider class."""
    api: tuple[str, ...]
    """``METHOD /path`` under ``/api/v1``, ``{name}`` for a path parameter."""
    tests: tuple[str, ...]
    """Test modules (``tests/<name>.py``) that exercise the resource's module."""
    example: str
    """Directory under ``examples/`` whose program uses the resource."""

    @property
    def name(self) -> str:
        """The type name: ``SipTrunkConnection`` (the class, the ``mihu:`` type token)."""
        return self.resource.rpartition(".")[2]

    @property
    def module(self) -> str:
        """The module that declares the resource (``SCHEMA``, the classes)."""
        return self.resource.rpartition(".")[0]

    @property
    def implementation_module(self) -> str:
        """The module the provider class's code lives in: apart from the resource's, so that
        a program never imports what only the provider host needs. Stacks still name the
        class by ``provider``, the resource module's path, which hands it out."""
        return f"{self.module.rpartition('.')[0]}._{self.module.rpartition('.')[2]}_provider"

    @property
    def type_token(self) -> str:
        """The type the engine records, as ``pulumi.dynamic.Resource`` names it."""
        return f"pulumi-python:dynamic/mihu:{self.name}"

    @property
    def schema(self) -> Schema[Any]:
        """The declaration: importing the module, not building its model."""
        schema: Schema[Any] = importlib.import_module(self.module).SCHEMA
        return schema

    def resource_class(self) -> type[MihuDynamicResource]:
        """The class a program instantiates."""
        cls: type[MihuDynamicResource] = _load(self.resource)
        return cls

    def provider_class(self) -> type[MihuResourceProvider]:
        """The class the provider host unpickles."""
        cls: type[MihuResourceProvider] = _load(self.provider)
        return cls


RESOURCES: tuple[Registered, ...] = (
    Registered(
        resource="pulumi_mihu.sip_trunk_connection.SipTrunkConnection",
        provider="pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider",
        api=("POST /channels/sip-trunk/connections",
             "GET /channels/sip-trunk/connections",
             "GET /channels/sip-trunk/connections/{uuid}",
             "DELETE /channels/sip-trunk/connections/{uuid}"),
        tests=("test_sip_trunk_connection_provider", "test_provider_base",
               "test_sip_trunk_connection_model", "test_resource_program",
               "test_sip_trunk_connection_rules", "test_adoption", "test_create_guard_attacks"),
        example="basic",
    ),
    Registered(
        resource="pulumi_mihu.agent_sip_trunk_assignment.AgentSipTrunkAssignment",
        provider="pulumi_mihu.agent_sip_trunk_assignment.AgentSipTrunkAssignmentProvider",
        api=("POST /agents/{agent_uuid}/channels/call/sip-trunk",),
        tests=("test_agent_assignment", "test_agent_assignment_rules"),
        example="agent_assignment",
    ),
)


def by_name(name: str) -> Registered:
    """The entry of a resource type name (``SipTrunkConnection``)."""
    for entry in RESOURCES:
        if entry.name == name:
            return entry
    raise KeyError(name)
