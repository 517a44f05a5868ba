"""The resource classes' shared base: what runs in the user's program.

A resource registers like ``pulumi.dynamic.Resource`` (same type token, same
``__provider`` format) and accepts both constructor shapes of Pulumi's generated SDKs;
the provider it names runs in the provider host (:mod:`pulumi_mihu._provider`).

Everything a constructor does is derived from the resource's schema
(:mod:`pulumi_mihu.schema`), so that a resource class holds no copy of its inputs or
outputs: the required-input check, the properties it registers (:func:`resource_props`),
the secrets among them and ``additional_secret_outputs``.

The first Mihu resource a program registers also checks, once per run, that the API
token is not stored in plain text (see :func:`plain_token_warning`).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import struct
import threading
from typing import Any, ClassVar, TypeVar

import pulumi
import pulumi.dynamic
import pulumi.runtime
from pulumi.dynamic.dynamic import PROVIDER_KEY

from .schema import RESOURCE_NAME, RESOURCE_NAME_KEY, Schema
from .settings import API_TOKEN

__all__ = [
    "PLAIN_TOKEN_WARNING",
    "MihuDynamicResource",
    "args_and_opts",
    "plain_token_warning",
    "provider_reference",
    "resource_props",
]

A = TypeVar("A")


@functools.cache
def provider_reference(path: str) -> str:
    """The ``__provider`` value naming the provider class at ``path``
    (``module.Class``): what ``pulumi.dynamic``'s ``serialize_provider`` writes for an
    instance of a class pickled by reference with an empty state (protocol 4), built
    here from the path alone.

    So a program registers resources without importing the provider class, and with it
    the validation and HTTP stacks only the provider host needs; and the string cannot
    drift: it names the promised path whatever the class's code does (stacks keep it
    forever: tests/unit/test_provider_strings.py holds it to every release's, and to what the
    SDK writes for the class).
    """
    module, _, name = path.rpartition(".")
    body = b"".join(b"\x8c" + bytes([len(part)]) + part + b"\x94"
                    for part in (module.encode(), name.encode()))
    body += b"\x93\x94)\x81\x94}\x94b."  # STACK_GLOBAL, NEWOBJ(), BUILD({}), STOP
    return base64.b64encode(b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body).decode()


PLAIN_TOKEN_WARNING = (
    f"{API_TOKEN.config_key} is set in the stack config in plain text, not as a secret, so "
    "Pulumi copies it unencrypted into the stack's state (the inputs of the default "
    "pulumi-python provider). Make it a secret: `pulumi config set --secret "
    f"{API_TOKEN.config_key} <token>`, then `pulumi up` re-encrypts it in the state. The "
    "stack's history and backups keep the plain-text value: rotate the token in the Mihu "
    "console and set the new one that way.")

_token_checked = threading.Lock()


def plain_token_warning() -> str | None:
    """PLAIN_TOKEN_WARNING if the stack config holds ``mihu:apiToken`` and it is not a
    secret, else None. Which keys are secrets comes from the SDK
    (``pulumi.runtime.is_config_secret``, fed by the language host), or, on an SDK without
    it, from the ``PULUMI_CONFIG_SECRET_KEYS`` list the language host passes; with neither,
    nothing can be told and nothing is said. The token itself is never read out."""
    key = API_TOKEN.config_key
    if pulumi.runtime.get_config(key) is None:
        return None
    is_secret = getattr(pulumi.runtime, "is_config_secret", None)
    if is_secret is not None:
        secret = bool(is_secret(key))
    else:
        listed = os.environ.get("PULUMI_CONFIG_SECRET_KEYS")
        if listed is None:
            return None
        try:
            secret = key in json.loads(listed)
        except (ValueError, TypeError):
            return None
    return None if secret else PLAIN_TOKEN_WARNING


def _warn_once_about_the_token() -> None:
    """Once per program run (per process): the first Mihu resource registered checks."""
    if not _token_checked.acquire(blocking=False):
        return
    message = plain_token_warning()
    if message is not None:
        pulumi.log.warn(message)


def resource_props(schema: Schema[Any], resource_name: str, given: Any,
                   by_id: bool) -> dict[str, Any]:
    """The properties a resource registers, from its declaration and ``given`` (the Args
    object): every input that is a property of the resource, None taking its default
    (the resource's name for :data:`~pulumi_mihu.schema.RESOURCE_NAME`); an input read
    only at create (not ``compared``) only when given; secret inputs wrapped as secrets
    on the way in, so that the state holds them encrypted even when given as plain
    strings; then the computed outputs, None until the provider fills them in. Read by
    id, every property is None: the provider's read fills in what the API has."""
    if by_id:
        return dict.fromkeys((*schema.names(compared=True), *schema.outputs))
    props: dict[str, Any] = {}
    for name, spec in schema.inputs.items():
        value = getattr(given, name)
        if value is None and not spec.compared:
            continue
        if value is None:
            value = resource_name if spec.default is RESOURCE_NAME else spec.default
        props[name] = pulumi.Output.secret(value) if spec.secret and value is not None else value
    props.update(dict.fromkeys(schema.outputs))
    return props


class MihuDynamicResource(pulumi.dynamic.Resource):
    """Base of the Mihu resources: registers like ``pulumi.dynamic.Resource`` (same type
    token, same ``__provider`` format), with the provider named by its path
    (:func:`provider_reference`), never imported in the program.

    A subclass names its declaration (``_mihu_schema``), its Args dataclass
    (``_mihu_args``) and its provider class (``_mihu_provider``; prefixed names, since the
    SDK's Resource has a ``_provider`` of its own), and its ``__init__`` calls
    ``_register``, which derives the rest. Neither ``_register`` nor
    ``_register_dynamic`` is an ``__init__``: the SDK finds the user's source position by
    counting ``__init__`` frames (Resource, CustomResource, then the concrete class), and
    one more would make it point at this package instead of the user's program.
    """

    _mihu_schema: ClassVar[Schema[Any]]
    _mihu_args: ClassVar[type[Any]]
    _mihu_provider: ClassVar[str]

    def _register(self, resource_name: str, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> None:
        """The constructor, in either shape (:func:`args_and_opts`): the required inputs
        checked, the secrets listed in ``additional_secret_outputs``, the properties
        derived (:func:`resource_props`), then registered."""
        schema = self._mihu_schema
        args_obj, opts = args_and_opts(self._mihu_args, type(self).__name__, resource_name, args,
                                       kwargs, required=schema.names(required=True))
        secret_outputs = schema.secret_outputs()
        if secret_outputs:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=list(secret_outputs)))
        props = resource_props(schema, resource_name, args_obj, by_id=opts.id is not None)
        self._register_dynamic(self._mihu_provider, resource_name, props, opts)

    def _register_dynamic(self, provider: str, name: str, props: dict[str, Any],
                          opts: pulumi.ResourceOptions | None) -> None:
        if PROVIDER_KEY in props:
            raise ValueError("A dynamic resource must not define the __provider key")
        _warn_once_about_the_token()
        props[PROVIDER_KEY] = provider_reference(provider)
        props[RESOURCE_NAME_KEY] = name
        pulumi.CustomResource.__init__(
            self, f"pulumi-python:{self._resource_type_name}", name, props, opts)


def args_and_opts(args_class: type[A], kind: str, resource_name: str, args: tuple[Any, ...],
                  kwargs: dict[str, Any],
                  required: tuple[str, ...] = ()) -> tuple[A, pulumi.ResourceOptions]:
    """Accept both constructor shapes of Pulumi's generated SDKs:
    ``Kind(name, args, opts=None)`` and ``Kind(name, opts=None, **inputs)``.
    ``args_class`` is a dataclass of the inputs; ``required`` ones must not be None unless
    the resource is read by id (``ResourceOptions(id=...)``), as in generated SDKs."""
    args_obj, opts = _args_and_opts(args_class, kind, resource_name, args, kwargs)
    if opts.id is None:
        for name in required:
            if getattr(args_obj, name) is None:
                raise TypeError(f"Missing required property '{name}' of {kind} "
                                f"{resource_name!r}")
    return args_obj, opts


def _args_and_opts(args_class: type[A], kind: str, resource_name: str, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> tuple[A, pulumi.ResourceOptions]:
    fields = set(args_class.__dataclass_fields__)  # type: ignore[attr-defined]
    if args and isinstance(args[0], args_class):
        if len(args) > 2 or kwargs.keys() - {"opts"}:
            raise TypeError(f"{kind}(name, args, opts=None) takes no other arguments")
        opts = args[1] if len(args) > 1 else kwargs.get("opts")
        return args[0], opts or pulumi.ResourceOptions()
    if len(args) > 1:
        raise TypeError(f"{kind}(name, opts=None, **inputs): inputs are keywords")
    opts = args[0] if args else kwargs.pop("opts", None)
    if opts is not None and not isinstance(opts, pulumi.ResourceOptions):
        raise TypeError(f"opts of {kind} {resource_name!r} must be ResourceOptions")
    unknown = kwargs.keys() - fields
    if unknown:
        raise TypeError(f"{kind} got unexpected inputs: {', '.join(sorted(unknown))}")
    values = {key: kwargs.get(key) for key in fields}  # None: the resource says what is missing
    return args_class(**values), opts or pulumi.ResourceOptions()
