"""The provider of ``SipTrunkConnection``: what runs in the provider host (CRUD against the
Mihu API, the create protocol, the deployment ledger).

It is kept apart from the resource (:mod:`pulumi_mihu.sip_trunk_connection`, which also
holds the schema and says what is documented and what is assumed) so that a program,
which only registers resources, never imports the validation and HTTP stacks it needs.
Stacks name the class by its public path,
``pulumi_mihu.sip_trunk_connection.SipTrunkConnectionProvider``, which that module hands
out on first use; the class says so in its ``__module__``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult

from ._create_protocol import CreateProtocol, CreateRequest, CreateSpec, Words
from ._ledger import CreateKind, DeleteKind, DeploymentLedger
from ._provider import MihuResourceProvider, is_unknown, warn
from .errors import (
    MihuApiError,
    MihuCreateOutcomeUnknownError,
    MihuError,
    MihuListIncompleteError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
)
from .http_shapes import is_definitively_gone, list_all
from .sip_trunk_connection import COLLECTION, MANAGED_INPUTS, SCHEMA

if TYPE_CHECKING:  # built from SCHEMA by a create: a preview's host never imports pydantic
    from .sip_trunk_connection import SipTrunkConnectionInputs

__all__ = ["SipTrunkConnectionProvider"]



#: What identifies a connection in the account's list, credentials aside (never returned).
NATURAL_KEY = ("name", "phone_number", "gateway", "secondary_gateway")


def natural_key(values: Mapping[str, Any]) -> tuple[str, ...]:
    """A connection's NATURAL_KEY, loosely compared (phone number digits only, host names
    in lower case), so that an API that stores a reformatted value (E.164, say) is not
    taken to have created nothing, which would lead to a resend; connections that existed
    before are excluded by the baseline, not by this key."""
    name, phone, *gateways = (str(values.get(key) or "").strip() for key in NATURAL_KEY)
    return (name, re.sub(r"[^0-9]", "", phone), *(host.lower().rstrip(".") for host in gateways))


def _look_for(payload: Mapping[str, Any]) -> str:
    return f"a connection with phone number {payload.get('phone_number')!r}"


#: The create protocol's view of a connection: its list, its natural key, its words.
CREATES = CreateSpec(collection=COLLECTION, natural_key=natural_key, words=Words(
    thing="connection", things="connections", listed="SIP trunk connections",
    twin_key="the same name, phone number and gateways",
    twin_harm="a second would mis-route calls", adopt_input="adopt_uuid", look_for=_look_for))


def _describe(outs: dict[str, Any], uuid: str) -> str:
    return (f"SIP trunk connection {uuid} (name {outs.get('name')!r}, phone number "
            f"{outs.get('phone_number')!r})")


class SipTrunkConnectionProvider(MihuResourceProvider):
    """CRUD of a SIP trunk connection against the Mihu API. Each engine call is noted in
    the deployment ledger as it arrives (check, diff, create, delete: the only places that
    feed it), and create and delete ask it what the engine is doing (``_ledger``)."""

    schema = SCHEMA
    unique_inputs: ClassVar[Mapping[str, str]] = {
        "adopt_uuid": "two resources cannot adopt one connection"}

    def _reset(self) -> None:
        super()._reset()
        self._ledger = DeploymentLedger(MANAGED_INPUTS, adopt_key="adopt_uuid")
        self._creates = CreateProtocol(CREATES, self._ledger)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The base check, noted: an existing resource is always checked, even when the
        engine skips its Diff (``pulumi up --replace``)."""
        self._ledger.note_check(olds, news)
        return super().check(olds, news)

    def holds(self, id_: str) -> bool:
        return self._ledger.holds(id_)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """The base diff, noted: it is how create and delete later know which resources
        exist and why one is deleted. An adopt_uuid newly set on a resource that exists
        already is ignored (it is read only at create): say so, since a user may hope it
        adopts a duplicate made by a plain `pulumi up`."""
        result = super().diff(id_, olds, news)
        self._ledger.note_diff(id_, olds, news, unchanged=not result.changes)
        adopt = news.get("adopt_uuid")
        if (isinstance(adopt, str) and not is_unknown(adopt) and adopt != id_
                and adopt != olds.get("adopt_uuid")):
            warn(f"adopt_uuid {adopt} is ignored: the resource already manages SIP trunk "
                 f"connection {id_}, and adopt_uuid is read only when a resource is created. "
                 "To manage the other connection instead, remove this resource from the stack "
                 "(`pulumi state delete <urn>`, which deletes nothing), then `pulumi up`.")
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Adopt the connection adopt_uuid names, or one POST made safe against every fault
        of the create protocol (:mod:`pulumi_mihu._create_protocol`)."""
        model = self.model_of(props, SCHEMA.model)
        self._ledger.note_create(props)
        if model.adopt_uuid and self._ledger.create_kind(props) is CreateKind.ADOPT:
            return self._outputs(model, self._adopt(model, model.adopt_uuid))
        data = self._creates.create(self.client, CreateRequest(
            payload=model.payload(), secrets=[model.username, model.password],
            describe=f"SIP trunk connection {model.name!r} for phone number "
                     f"{model.phone_number!r}",
            read_answer=lambda body: _connection_data(body, model),
        ), warn)
        return self._outputs(model, data)

    @staticmethod
    def _outputs(model: SipTrunkConnectionInputs, data: dict[str, Any]) -> CreateResult:
        outs: dict[str, Any] = dict(model.payload())
        outs["secondary_gateway"] = model.secondary_gateway
        if model.adopt_uuid:
            outs["adopt_uuid"] = model.adopt_uuid
        outs.update(SCHEMA.computed(data))
        return CreateResult(data["uuid"], outs)

    def _adopt(self, model: SipTrunkConnectionInputs, uuid: str) -> dict[str, Any]:
        """Manage an existing connection: no POST, no DELETE. Verified as far as the API
        allows: it must exist and have the program's name, number and gateways (read by
        the item route, or found in the list); where neither route answers, it is adopted
        with a warning that nothing could be checked. Credentials are never returned by
        the API, so the program's are recorded as the connection's, unverified."""
        if not self._ledger.try_claim(uuid):
            raise MihuError(f"SIP trunk connection {uuid} is already managed by another "
                            "resource of this stack; two resources cannot adopt one connection")
        found = self._find_existing(uuid, [model.username, model.password])
        if found is None:
            warn(f"SIP trunk connection {uuid} is adopted UNVERIFIED: the Mihu API documents "
                 "no way to read a connection and this one answers neither the item route nor "
                 "with a list it can read whole, so neither its existence nor its name "
                 f"{model.name!r}, phone number {model.phone_number!r} and gateways could be "
                 "checked. Check them in the Mihu console.")
            return {"uuid": uuid}
        differences = [
            f"{key} is {found.get(key)!r} in the account but {getattr(model, key)!r} in the "
            "program"
            for key, ours, theirs in zip(NATURAL_KEY, natural_key(model.payload()),
                                         natural_key(found), strict=True) if ours != theirs]
        if differences:
            self._ledger.note_unclaimed(uuid)
            raise MihuError(f"Not adopting SIP trunk connection {uuid}: "
                            + "; ".join(differences) + ". Make the program match the "
                            "connection (adoption never changes it), then run `pulumi up`.")
        warn(f"SIP trunk connection {uuid} ({model.phone_number!r}) is adopted: the stack now "
             "manages it. Its username and password are recorded as the program's; the API "
             "never returns them, so they could not be checked.")
        return found

    def _find_existing(self, uuid: str, secrets: list[str]) -> dict[str, Any] | None:
        """The connection as the API shows it; None when the API cannot show it. Raises when
        the API proves it does not exist. ``secrets``: the program's credentials, which no
        error may show."""
        try:
            body = self.client.get(f"{COLLECTION}/{uuid}", secrets=secrets)
        except (MihuNotFoundError, MihuMethodNotAllowedError):
            body = None
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict):
            return data
        try:
            items = list_all(self.client, COLLECTION)
        except (MihuApiError, MihuListIncompleteError):
            return None
        for item in items:
            if isinstance(item, dict) and item.get("uuid") == uuid:
                return item
        self._ledger.note_unclaimed(uuid)
        raise MihuError(f"Cannot adopt SIP trunk connection {uuid}: the account's list of "
                        "connections does not have it. Check the uuid in the Mihu console.")

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh (``props`` are the old outputs) or get (``props`` hold no state)."""
        is_get = "uuid" not in props
        state = {k: v for k, v in props.items() if not k.startswith("__")}
        try:
            # A get has no state: the connection's credentials are not known, so no text of
            # the server's can be checked for them (its errors: status and code only).
            body = self.client.get(f"{COLLECTION}/{id_}", secrets=self.secrets_of(props),
                                   credentials_unknown=is_get)
        except (MihuNotFoundError, MihuMethodNotAllowedError) as exc:
            gone = isinstance(exc, MihuNotFoundError) and is_definitively_gone(
                self.client, COLLECTION, id_)
            if gone:
                if is_get:
                    raise MihuError(f"SIP trunk connection {id_} does not exist") from None
                return ReadResult("", {})
            if is_get:
                raise MihuError(
                    f"Cannot read SIP trunk connection {id_}: the Mihu API documents no read "
                    f"endpoint and this service answered GET with HTTP {exc.status}"
                ) from None
            warn(f"Could not refresh {_describe(state, id_)}: the API documents no read "
                 f"endpoint and answered HTTP {exc.status}; its state is kept as it was.")
            return ReadResult(id_, state)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise MihuError(f"Mihu API GET {COLLECTION}/{id_}: the answer has no 'data' object")
        outs = {**state, **SCHEMA.read_back(data), "uuid": id_}
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """2xx deletes. Transient errors were retried by the client; if they persist the
        error propagates and the resource stays in state.

        When the API cannot delete (405/501, or a 404 that does not prove the connection is
        gone), what to do depends on why Pulumi deletes: in a destroy (or the second half of
        a create-before-delete replacement) warn that it is left in the account and go on,
        since blocking would strand the stack on an endpoint that may not exist; as the
        first half of a ``delete_before_replace``, fail before the replacement is created,
        since going on would leave two connections with the same number, which is what
        that option is for avoiding."""
        self._ledger.note_delete(id_, props)
        kind = self._ledger.delete_kind(id_, props)
        if kind is DeleteKind.KEPT:
            warn(f"{_describe(props, id_)} is not deleted: another resource of this stack "
                 "has it (adopted it, or shares its id) and keeps managing it.")
            return
        # The first half of a delete-before-replace may wait for the list to prove a 404:
        # giving up would stop the replacement with the old connection perhaps gone.
        patience = (self.client.settings.create_settle_time
                    if kind is DeleteKind.REPLACED_FIRST else 0)
        try:
            self.client.delete(f"{COLLECTION}/{id_}", secrets=self.secrets_of(props))
        except MihuNotFoundError as exc:
            if is_definitively_gone(self.client, COLLECTION, id_, patience=patience):
                return
            self._not_deleted(kind, id_, props, f"answered DELETE with HTTP {exc.status} (no "
                              "such connection, or no such route; the API documents no delete)")
        except MihuMethodNotAllowedError as exc:
            self._not_deleted(kind, id_, props, f"does not offer DELETE for SIP trunk "
                              f"connections (HTTP {exc.status})")

    def _not_deleted(self, kind: DeleteKind, id_: str, props: dict[str, Any],
                     why: str) -> None:
        """Where the API cannot delete, the delete policy: refuse only the first half of a
        delete-before-replace (going on would make two connections for one number); warn
        and go on otherwise, so that a stack can always be destroyed."""
        what = _describe(props, id_)
        if kind is DeleteKind.REPLACED_FIRST:
            raise MihuError(
                f"Cannot replace {what} with delete_before_replace: the Mihu API {why}, so "
                "the old connection could not be deleted first, and creating the new one "
                "next to it would leave two connections for the same phone number. Nothing "
                "was created. (After a 404 the old connection may already be gone: check.) "
                "Delete the old connection in the Mihu console, remove it from "
                "the stack with `pulumi state delete <urn>` (the urn is shown by `pulumi "
                "stack --show-urns`), then run `pulumi up` again."
            )
        warn(f"{what} was NOT deleted from the Mihu account: the API {why}. It is removed "
             "from the stack; delete it in the Mihu console.")


def _connection_data(body: Any, model: SipTrunkConnectionInputs) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("uuid"), str) or not data["uuid"]:
        raise MihuCreateOutcomeUnknownError(
            f"The Mihu API accepted the SIP trunk connection {model.name!r} for phone number "
            f"{model.phone_number!r} but its answer has no data.uuid, so Pulumi cannot track it. "
        )
    return data


SipTrunkConnectionProvider.__module__ = "pulumi_mihu.sip_trunk_connection"
