"""The native provider plugin ``mihu``: the same provider classes as the dynamic resources,
served over Pulumi's provider protocol by the executable ``pulumi-resource-mihu``.

A layer on top of the package: it imports the rest of ``pulumi_mihu`` (the schemas, the
registry, the provider classes, the settings) and nothing in the package imports it; only
the entry point (``pulumi-resource-mihu``, ``python -m pulumi_mihu.native``) does.

- :mod:`.package_schema`: the Pulumi package schema, generated from each resource's
  :class:`~pulumi_mihu.schema.Schema` and the registry, and the names both ways
  (``phone_number`` <-> ``phoneNumber``);
- :mod:`.server`: the gRPC servicer that maps the engine's requests to the provider
  classes' ``check``/``diff``/``create``/``read``/``update``/``delete``.

See docs/native.md for what works and what does not yet.
"""

from .package_schema import PACKAGE

__all__ = ["PACKAGE"]
