"""Creating a connection without losing it or making two: the fault model and its answers.

A create is one ``POST``, and the Mihu API documents no idempotency key, no read and no
list route (see ``docs/fault-model.md`` for the long form, with the tests of each row).
What the network and the server can do to that POST, and what the provider does:

=====================================================  =====================================
fault                                                  what the provider does
=====================================================  =====================================
connection refused / connect timeout (nothing sent)    send again (the client does): nothing
                                                       can have been created
429 Too Many Requests                                  send again after Retry-After (the
                                                       client does); assumed: a 429 is
                                                       answered before any processing
400/401/403/404/409/422 and other 4xx                  fail: the API refused, nothing made
cut after sending, before the server processed it      *ambiguous*: settle (below)
server committed, then the answer was lost (cut)       *ambiguous*: settle, finds it, adopts
5xx (from a gateway whose upstream may have committed) *ambiguous*: settle
read timeout; the server commits seconds later         *ambiguous*: settle waits for it
2xx without ``data.uuid``                              committed: settle finds it or fails
=====================================================  =====================================

**Settle** (the answer to every ambiguous outcome): read the list route, repeatedly, for
up to ``mihu:createSettleTime`` seconds, looking for a connection with this create's
natural key (name, phone number digits, gateways) that is *new*: absent from the
account's baseline (the list taken by this provider process before its first create),
not created or adopted by another create of this process, and not the id of a resource of
the program. One: it is ours, adopt it. Several: fail, naming them. None after the settle
time: the POST was not processed and is taken as never to be (the one assumption), so it
is sent again, up to ``mihu:maxAttempts`` POSTs. No list route, an incomplete list, or no
baseline: the outcome cannot be told, and the create fails with a message that names the
phone number and says what to check; it is never sent blind.

Before its POST a create needs the baseline (refused, nothing sent, when the list fails
for now) and refuses to make a twin of a connection no resource of the program has.
Creates with the same natural key run one at a time in a process.

The ledger notes every Diff; see ``CreateLedger`` and ``docs/fault-model.md``.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .client import MihuClient
from .errors import (
    MihuApiError,
    MihuBadResponseError,
    MihuConfigError,
    MihuCreateOutcomeUnknownError,
    MihuError,
    MihuListIncompleteError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
    MihuServerError,
    MihuTransportError,
)
from .http_shapes import list_all

__all__ = [
    "NATURAL_KEY",
    "CreateLedger",
    "CreateRequest",
    "create_once",
    "natural_key",
]

NATURAL_KEY = ("name", "phone_number", "gateway", "secondary_gateway")


def natural_key(values: Mapping[str, Any]) -> tuple[str, ...]:
    """What identifies a connection in a list, credentials aside (never returned). Loosely
    compared (phone number digits only, host names in lower case), so that an API that
    stores a reformatted value (E.164, say) is not taken to have created nothing, which
    would lead to a resend; connections that existed before are excluded by the baseline,
    not by this key."""
    name, phone, *gateways = (str(values.get(key) or "").strip() for key in NATURAL_KEY)
    return (name, re.sub(r"[^0-9]", "", phone), *(host.lower().rstrip(".") for host in gateways))


def fingerprint(values: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    """Hashes of the known values of ``keys`` (credentials are among them: hashed, never
    kept in the clear in a long-lived structure)."""
    return {key: _hash(values[key])
            for key in keys if isinstance(values.get(key), (str, bool, int, float))}


def _hash(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def state_hash(outputs: Mapping[str, Any]) -> str:
    """Identifies one resource's old outputs (what Diff and Delete both receive)."""
    return _hash(sorted((k, repr(v)) for k, v in outputs.items() if not k.startswith("__")))


@dataclass
class Diffed:
    """What ``diff`` saw of one existing resource in this deployment."""

    olds: str                   # state_hash of its old outputs
    news: dict[str, str]        # fingerprint of its new inputs
    adopt_uuid: str | None      # the adopt_uuid of its new inputs, if any
    replacement_created: bool = False


@dataclass
class Checked:
    """What ``check`` saw of one resource. For a replacement forced by ``pulumi up
    --replace`` the engine calls no Diff, and Check without old inputs, as for a new
    resource; so a Delete with no Diff whose old inputs are the new inputs of such a
    Check is a forced replacement's (or a rename's) delete."""

    olds: dict[str, str]        # fingerprint of its old inputs (empty: new, or forced)
    news: dict[str, str]        # fingerprint of its new inputs
    diffed: bool = False
    replacement_created: bool = False


@dataclass
class CreateLedger:
    """What one provider process (one deployment) knows about the stack's connections.

    The engine calls Diff for every resource of the program that exists already, before
    any Create or Delete of that resource; a resource removed from the program, or a
    destroy, gets a Delete with no Diff. So the ids seen by ``diff`` are the connections
    the stack keeps (or replaces), which tells a create whether its resource is new, and a
    delete whether it is a replacement's (and which half) or a removal.
    """

    #: uuid -> natural key of every connection in the account before this process's
    #: first create; None until taken.
    baseline: dict[str, tuple[str, ...]] | None = None
    #: The list route answered 404/405: no baseline can be taken.
    list_unavailable: bool = False
    #: The list answered but could not be read whole (kept: not walked again).
    list_unreadable: MihuListIncompleteError | None = None
    #: The notice that creates here are unchecked has been given (once per process).
    unchecked_noticed: bool = False
    #: uuids created or adopted by this process.
    claimed: set[str] = field(default_factory=set)
    #: id of each existing resource diffed in this deployment -> what diff saw.
    diffed: dict[str, Diffed] = field(default_factory=dict)
    #: every Check of this deployment.
    checked: list[Checked] = field(default_factory=list)
    #: adopt_uuids of resources whose forced replacement deleted them.
    replaced_adopters: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    baseline_lock: threading.Lock = field(default_factory=threading.Lock)
    key_locks: dict[tuple[str, ...], threading.Lock] = field(default_factory=dict)

    @contextmanager
    def one_at_a_time(self, key: tuple[str, ...]) -> Iterator[None]:
        with self.lock:
            key_lock = self.key_locks.setdefault(key, threading.Lock())
        with key_lock:
            yield

    def take_baseline(self, client: MihuClient,
                      collection: str) -> dict[str, tuple[str, ...]] | None:
        """The account's connections before this process created anything (taken once,
        every page of it). None where the API has no list route; raises when the list
        failed for now or cannot be read whole (a create must not go ahead without it: it
        is what the duplicate checks compare to). Creates wait here for the first one's
        GET; the ledger's own lock is not held across it."""
        with self.baseline_lock:
            with self.lock:
                if self.list_unreadable is not None:
                    raise self.list_unreadable
                if self.baseline is not None or self.list_unavailable:
                    return self.baseline
            try:
                items = list_all(client, collection)
            except (MihuNotFoundError, MihuMethodNotAllowedError):
                with self.lock:
                    self.list_unavailable = True
                return None
            except MihuListIncompleteError as exc:
                with self.lock:  # read once: walking it again would cost as much again
                    self.list_unreadable = exc
                raise
            with self.lock:
                self.baseline = {uuid_of(item): natural_key(item) for item in items}
                return self.baseline

    def notice_unchecked(self) -> bool:
        """True the first time it is asked in this process (one notice per deployment)."""
        with self.lock:
            first, self.unchecked_noticed = not self.unchecked_noticed, True
            return first

    def claim(self, uuid: str) -> None:
        with self.lock:
            self.claimed.add(uuid)

    def note_check(self, olds: Mapping[str, Any], news: Mapping[str, Any],
                   keys: tuple[str, ...]) -> None:
        with self.lock:
            self.checked.append(Checked(fingerprint(olds, keys), fingerprint(news, keys)))

    def note_diff(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any],
                  keys: tuple[str, ...]) -> None:
        adopt = news.get("adopt_uuid")
        old_inputs = fingerprint(olds, keys)
        with self.lock:
            self.diffed[id_] = Diffed(state_hash(olds), fingerprint(news, keys),
                                      adopt if isinstance(adopt, str) else None)
            for seen in self.checked:
                if seen.olds and seen.olds == old_inputs:
                    seen.diffed = True

    def note_created(self, props: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        """A create ran: if it is the replacement of an existing resource, remember that."""
        created = fingerprint(props, keys)
        with self.lock:
            for seen in self._existing():
                if all(created.get(k, v) == v for k, v in seen.news.items()):
                    seen.replacement_created = True

    def existed(self, adopt_uuid: str) -> bool:
        """Was a resource with this adopt_uuid checked or diffed, i.e. does it exist already
        (so its create is a replacement, which must never adopt again)?"""
        with self.lock:
            return (adopt_uuid in self.replaced_adopters
                    or any(seen.adopt_uuid == adopt_uuid for seen in self.diffed.values()))

    def _existing(self) -> list[Diffed | Checked]:
        return [*self.diffed.values(), *self.checked]

    def delete_kind(self, id_: str, olds: Mapping[str, Any], keys: tuple[str, ...]) -> str:
        """Why Pulumi deletes ``id_``: ``"kept"`` (another resource of the program has
        this id: do not delete), ``"replace-first"`` (the first half of a
        delete-before-replace, planned or forced), ``"replace-after"`` (the replacement
        exists), or ``"remove"`` (a destroy, or a resource left out of the program)."""
        with self.lock:
            seen = self.diffed.get(id_)
            if seen is not None:
                if seen.olds != state_hash(olds):
                    return "kept"
                return "replace-after" if seen.replacement_created else "replace-first"
            if id_ in self.claimed:
                return "kept"
            old_inputs = fingerprint(olds, keys)
            forced = [seen for seen in self.checked
                      if not seen.diffed and old_inputs and seen.news == old_inputs]
            if not forced:
                return "remove"
            # `pulumi up --replace` (or a rename): Check without old inputs, no Diff.
            if isinstance(olds.get("adopt_uuid"), str):
                self.replaced_adopters.add(olds["adopt_uuid"])
            return ("replace-after" if any(seen.replacement_created for seen in forced)
                    else "replace-first")

    def untracked_twins(self, key: tuple[str, ...]) -> list[str]:
        """Connections that existed before this deployment with the same natural key, and
        that no resource of its program has."""
        with self.lock:
            return sorted(uuid for uuid, other in (self.baseline or {}).items()
                          if other == key and uuid not in self.diffed
                          and uuid not in self.claimed)

    def claim_adopted(self, uuid: str) -> bool:
        """Take ``uuid`` for an adopting resource; False when a resource of this
        deployment already has it."""
        with self.lock:
            if uuid in self.claimed or uuid in self.diffed:
                return False
            self.claimed.add(uuid)
            return True

    def release(self, uuid: str) -> None:
        with self.lock:
            self.claimed.discard(uuid)

    def is_foreign(self, uuid: str, baseline: Mapping[str, Any] | None) -> bool:
        """Could not be the connection of the create being settled."""
        with self.lock:
            return (uuid in self.claimed or uuid in self.diffed
                    or (baseline is not None and uuid in baseline))


def uuid_of(item: Any) -> str:
    return str(item.get("uuid") or "") if isinstance(item, dict) else ""


def is_ambiguous(error: MihuError) -> bool:
    """May the POST that raised ``error`` have been processed?"""
    if isinstance(error, MihuTransportError):
        return error.request_sent
    return isinstance(error, MihuServerError)


@dataclass
class CreateRequest:
    """One create: where to POST, what, and how to recognise the result in a list."""

    collection: str
    payload: dict[str, Any]
    secrets: list[str]
    describe: str  # "SIP trunk connection 'x' for phone number '+1...'"
    #: data of a 2xx answer -> the created object (raises when it has no uuid)
    read_answer: Callable[[Any], dict[str, Any]]


def create_once(client: MihuClient, ledger: CreateLedger, request: CreateRequest,
                warn: Callable[[str], None]) -> dict[str, Any]:
    """POST ``request`` and return the created object, never creating two of it."""
    key = natural_key(request.payload)
    with ledger.one_at_a_time(key):
        baseline = _baseline_or_refuse(client, ledger, request, warn)
        twins = ledger.untracked_twins(key)
        if twins:
            raise MihuError(untracked_twin_message(request.describe, twins))
        attempts = client.settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                created = request.read_answer(
                    client.post(request.collection, request.payload, secrets=request.secrets))
            except (MihuCreateOutcomeUnknownError, MihuBadResponseError) as exc:
                # Accepted (2xx), but no uuid could be read: committed, so never resent.
                return _adopt(client, ledger, request, baseline, str(exc), warn)
            except MihuError as exc:
                if not is_ambiguous(exc):
                    raise
                found = _settle(client, ledger, request, baseline, str(exc))
                if found is not None:
                    return _adopted(ledger, request, found, str(exc), warn)
                if attempt < attempts:
                    client.pause(attempt)
                continue
            ledger.claim(uuid_of(created))
            return created
        raise MihuError(
            f"Creating the {request.describe} failed {attempts} times without a clear answer; "
            "the list of connections shows none was created, so nothing is left behind. "
            "Run `pulumi up` again when the Mihu API is healthy."
        )


def _baseline_or_refuse(client: MihuClient, ledger: CreateLedger, request: CreateRequest,
                        warn: Callable[[str], None]) -> Mapping[str, Any] | None:
    """The baseline, or None where a create may go ahead unchecked (said to the user); else
    the create is refused, with nothing sent."""
    try:
        baseline = ledger.take_baseline(client, request.collection)
    except MihuConfigError:
        raise
    except MihuListIncompleteError as exc:
        if not client.settings.allow_unchecked_creates:
            raise MihuError(
                f"Not creating the {request.describe}: {exc}, and the check against "
                "duplicates needs all of it. Nothing was sent: a create now could not tell "
                "a connection left by an interrupted deployment from none. To create "
                "anyway, set `pulumi config set mihu:allowUncheckedCreates true` (README: "
                "\"Lists the provider cannot read whole\").") from None
        warn(f"The {request.describe} is created WITHOUT the duplicate check ({exc}; "
             "mihu:allowUncheckedCreates is true).")
        return None
    except MihuError as exc:
        raise MihuError(
            f"Not creating the {request.describe}: the list of connections, read before the "
            f"first create to guard against duplicates, could not be read ({exc}). Nothing "
            "was sent; run `pulumi up` again when the Mihu API answers.") from None
    if baseline is None and ledger.notice_unchecked():
        warn("This Mihu API has no list of SIP trunk connections, so a connection left in "
             "the account by an interrupted deployment cannot be detected: a create goes "
             "ahead without the duplicate check. After an interrupted `pulumi up`, look in "
             "the Mihu console first (README: \"After an interrupted deployment\").")
    return baseline


def untracked_twin_message(describe: str, twins: list[str]) -> str:
    return (
        f"Not creating the {describe}: the account already has one with the same name, "
        f"phone number and gateways that this stack does not manage ({', '.join(twins)}); "
        "a second would mis-route calls.\n"
        "Most likely an interrupted `pulumi up` left it. If no other stack manages it "
        f"(`pulumi stack export --stack <other> | grep {twins[0]}` finds nothing), set "
        f"adopt_uuid=\"{twins[0]}\" on this resource and run `pulumi up` again.\n"
        "A renamed resource, `pulumi up --replace`, or a connection made by hand: README, "
        "\"Refused as a duplicate\".")


def _adopt(client: MihuClient, ledger: CreateLedger, request: CreateRequest,
           baseline: Mapping[str, Any] | None, cause: str,
           warn: Callable[[str], None]) -> dict[str, Any]:
    found = _settle(client, ledger, request, baseline, cause)
    if found is None:
        raise MihuCreateOutcomeUnknownError(
            f"Creating the {request.describe} was accepted without a readable answer "
            f"({cause}), and the list of connections shows no new one after waiting "
            f"{client.settings.create_settle_time:g} s. " + _what_to_check(request))
    return _adopted(ledger, request, found, cause, warn)


def _adopted(ledger: CreateLedger, request: CreateRequest, found: dict[str, Any], cause: str,
             warn: Callable[[str], None]) -> dict[str, Any]:
    ledger.claim(uuid_of(found))
    warn(f"Creating the {request.describe} got no clear answer ({cause}), but the new "
         f"connection {uuid_of(found)} appeared in the account and is adopted.")
    return found


def _settle(client: MihuClient, ledger: CreateLedger, request: CreateRequest,
            baseline: Mapping[str, Any] | None, cause: str) -> dict[str, Any] | None:
    """After an ambiguous POST: the new connection with our natural key, or None once the
    settle time has passed without one. Raises when the account cannot tell."""
    deadline = client.now() + client.settings.create_settle_time
    look = 0
    while True:
        look += 1
        found = _new_matches(client, ledger, request, baseline, cause)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            uuids = ", ".join(uuid_of(item) for item in found)
            raise MihuCreateOutcomeUnknownError(
                f"Creating the {request.describe} got no clear answer ({cause}), and the "
                f"account now holds several new connections that match it ({uuids}). Delete "
                "the extra ones in the Mihu console (keep one), then adopt the one you keep "
                "(README: \"After an interrupted deployment\") and run `pulumi up` again.")
        remaining = deadline - client.now()
        if remaining <= 0:
            return None
        client.sleep(min(client.backoff(look), remaining))


def _new_matches(client: MihuClient, ledger: CreateLedger, request: CreateRequest,
                 baseline: Mapping[str, Any] | None, cause: str) -> list[dict[str, Any]]:
    try:
        items = list_all(client, request.collection)
    except MihuApiError as exc:
        raise _unknown(request, cause, f"the list route answered HTTP {exc.status}") from None
    except MihuListIncompleteError as exc:
        raise _unknown(request, cause, str(exc)) from None
    except MihuError as exc:
        raise _unknown(request, cause, f"the list could not be read ({exc})") from None
    key = natural_key(request.payload)
    matching = [item for item in items
                if natural_key(item) == key and not ledger.is_foreign(uuid_of(item), baseline)]
    if matching and baseline is None:
        raise _unknown(request, cause, "there is no list from before the create to tell "
                       f"whether {', '.join(uuid_of(m) for m in matching)} existed already")
    return matching


def _unknown(request: CreateRequest, cause: str, why: str) -> MihuCreateOutcomeUnknownError:
    return MihuCreateOutcomeUnknownError(
        f"Creating the {request.describe} may or may not have succeeded ({cause}), and "
        f"{why}. It was not sent again, to avoid creating a duplicate. "
        + _what_to_check(request))


def _what_to_check(request: CreateRequest) -> str:
    return (f"Look in the Mihu console for a connection with phone number "
            f"{request.payload.get('phone_number')!r}: if there is one, either adopt it "
            "(README: \"After an interrupted deployment\") or delete it, then run "
            "`pulumi up` again.")
