"""Creating an object without losing it or making two: the create protocol.

A create is one ``POST``, and the Mihu API documents no idempotency key, no read and no
list route. What the network and the server can do to that POST, and what the protocol
does about each, is the fault table of ``docs/fault-model.md`` (the one copy, with the
tests of each row). In short:

1. **Baseline**: before its first create, a provider process reads the account's list
   whole, once. Where it fails for now, or cannot be read whole, the create is refused
   with nothing sent (:class:`MihuCreateRefusedError`); where there is no list route, it
   goes ahead, said once.
2. **No twin**: an object in the baseline with the create's natural key that no resource
   of the program holds (see :mod:`pulumi_mihu._ledger`) is most likely the leftover of
   an interrupted deployment: refused, naming it and how to adopt it.
3. **POST**. A clear answer ends the create; a clear refusal fails it.
4. **Settle** an ambiguous outcome (sent, no clear answer): read the list, with backoff,
   for up to ``mihu:createSettleTime`` seconds, for a *new* object with the natural key
   (not in the baseline, not held by the program). One: **adopt** it. Several: fail,
   naming them. None: not processed (the one assumption), so **resend**, up to
   ``mihu:maxAttempts`` POSTs. A list that cannot tell: fail, never resend blind.

Creates with the same natural key run one at a time in a process (a lock per key, held
across the create), so that two identical resources cannot adopt each other's object.
Nothing else waits on a request: the baseline has a lock of its own, which only creates
take, and the ledger's lock is never held across one.

What is generic here is the protocol; what is the resource's (its list path, its natural
key, the words that name it) comes in a :class:`CreateSpec`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._ledger import DeploymentLedger
from .client import MihuClient, bounded
from .errors import (
    MihuApiError,
    MihuBadResponseError,
    MihuConfigError,
    MihuCreateOutcomeUnknownError,
    MihuCreateRefusedError,
    MihuError,
    MihuListIncompleteError,
    MihuMethodNotAllowedError,
    MihuNotFoundError,
    MihuServerError,
    MihuTransportError,
)
from .http_shapes import list_all

__all__ = [
    "Baseline",
    "CreateProtocol",
    "CreateRequest",
    "CreateSpec",
    "Words",
    "is_ambiguous",
    "uuid_of",
]

Key = tuple[str, ...]
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Words:
    """How the protocol's messages name what it creates: every message is worded once,
    here, and each resource fills in its words."""

    #: One object, and several: "connection", "connections".
    thing: str
    things: str
    #: What the list route lists: "SIP trunk connections".
    listed: str
    #: What a twin shares: "the same name, phone number and gateways".
    twin_key: str
    #: Why a twin is refused: "a second would mis-route calls".
    twin_harm: str
    #: The input that adopts an existing object: "adopt_uuid".
    adopt_input: str
    #: The payload -> what to look for in the console: "a connection with phone number '+1…'".
    look_for: Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class CreateSpec:
    """What the protocol needs of a resource: where its list (and POST) is, what
    identifies one of its objects in that list, and its words."""

    collection: str
    natural_key: Callable[[Mapping[str, Any]], Key]
    words: Words


@dataclass
class CreateRequest:
    """One create: what to POST, the credentials no message may echo, how messages name
    it ("SIP trunk connection 'x' for phone number '+1...'"), and how to read the object
    from a 2xx answer (raising when it has no uuid)."""

    payload: dict[str, Any]
    secrets: list[str]
    describe: str
    read_answer: Callable[[Any], dict[str, Any]]


def uuid_of(item: Any) -> str:
    return str(item.get("uuid") or "") if isinstance(item, dict) else ""


def is_ambiguous(error: MihuError) -> bool:
    """May the POST that raised ``error`` have been processed?"""
    if isinstance(error, MihuTransportError):
        return error.request_sent
    return isinstance(error, MihuServerError)


class Baseline:
    """The account's objects before this process's first create (uuid -> natural key),
    every page of them: what a twin and a settle compare to. Taken once, under a lock of
    its own: a create waits here for the first one's GET, and nothing else does."""

    def __init__(self, spec: CreateSpec) -> None:
        self._spec = spec
        self._lock = threading.Lock()
        #: None until taken.
        self.taken: dict[str, Key] | None = None
        #: The list route answered 404/405: no baseline can be taken.
        self.unavailable = False
        #: The list answered but could not be read whole (kept: not walked again).
        self.unreadable: MihuListIncompleteError | None = None

    def take(self, client: MihuClient) -> dict[str, Key] | None:
        """The baseline; None where the API has no list route. Raises when the list failed
        for now (asked again by the next create) or cannot be read whole (not again:
        walking it would cost as much again, to the same end)."""
        with self._lock:
            if self.unreadable is not None:
                raise self.unreadable
            if self.taken is not None or self.unavailable:
                return self.taken
            try:
                items = list_all(client, self._spec.collection)
            except (MihuNotFoundError, MihuMethodNotAllowedError):
                self.unavailable = True
                return None
            except MihuListIncompleteError as exc:
                self.unreadable = exc
                raise
            self.taken = {uuid_of(item): self._spec.natural_key(item) for item in items}
            return self.taken


class CreateProtocol:
    """The protocol of one resource in one provider process: its baseline, its per-key
    locks, and the ledger that says what the program holds."""

    def __init__(self, spec: CreateSpec, ledger: DeploymentLedger) -> None:
        self.spec = spec
        self.words = spec.words
        self.ledger = ledger
        self.baseline = Baseline(spec)
        self._lock = threading.Lock()
        self._key_locks: dict[Key, threading.Lock] = {}
        self._unchecked_noticed = False

    def create(self, client: MihuClient, request: CreateRequest, warn: Warn) -> dict[str, Any]:
        """POST ``request`` and return the created object, never creating two of it."""
        key = self.spec.natural_key(request.payload)
        with self._one_at_a_time(key):
            baseline = self._baseline_or_refuse(client, request, warn)
            twins = self._untracked_twins(baseline, key)
            if twins:
                raise MihuCreateRefusedError(self._twin_message(request.describe, twins))
            attempts = client.settings.max_attempts
            for attempt in range(1, attempts + 1):
                try:
                    created = request.read_answer(client.post(
                        self.spec.collection, request.payload, secrets=request.secrets))
                except (MihuCreateOutcomeUnknownError, MihuBadResponseError) as exc:
                    # Accepted (2xx), but no uuid could be read: committed, never resent.
                    return self._adopt(client, request, baseline, str(exc), warn)
                except MihuError as exc:
                    if not is_ambiguous(exc):
                        raise
                    found = self._settle(client, request, baseline, str(exc))
                    if found is not None:
                        return self._adopted(request, found, str(exc), warn)
                    if attempt < attempts:
                        client.pause(attempt)
                    continue
                self.ledger.note_claimed(uuid_of(created))
                return created
            raise MihuError(
                f"Creating the {request.describe} failed {attempts} times without a clear "
                f"answer; the list of {self.words.things} shows none was created, so nothing "
                "is left behind. Run `pulumi up` again when the Mihu API is healthy.")

    @contextmanager
    def _one_at_a_time(self, key: Key) -> Iterator[None]:
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            yield

    def _notice_unchecked(self) -> bool:
        """True the first time it is asked in this process (one notice per deployment)."""
        with self._lock:
            first, self._unchecked_noticed = not self._unchecked_noticed, True
            return first

    def _baseline_or_refuse(self, client: MihuClient, request: CreateRequest,
                            warn: Warn) -> Mapping[str, Key] | None:
        """The baseline, or None where a create may go ahead unchecked (said to the user);
        else the create is refused, with nothing sent."""
        words = self.words
        try:
            baseline = self.baseline.take(client)
        except MihuConfigError:
            raise
        except MihuListIncompleteError as exc:
            if not client.settings.allow_unchecked_creates:
                raise MihuCreateRefusedError(
                    f"Not creating the {request.describe}: {exc}, and the check against "
                    "duplicates needs all of it. Nothing was sent: a create now could not "
                    f"tell a {words.thing} left by an interrupted deployment from none. To "
                    "create anyway, set `pulumi config set mihu:allowUncheckedCreates true` "
                    "(README: \"Lists the provider cannot read whole\").") from None
            warn(f"The {request.describe} is created WITHOUT the duplicate check ({exc}; "
                 "mihu:allowUncheckedCreates is true).")
            return None
        except MihuError as exc:
            raise MihuCreateRefusedError(
                f"Not creating the {request.describe}: the list of {words.things}, read "
                "before the first create to guard against duplicates, could not be read "
                f"({exc}). Nothing was sent; run `pulumi up` again when the Mihu API "
                "answers.") from None
        if baseline is None and self._notice_unchecked():
            warn(f"This Mihu API has no list of {words.listed}, so a {words.thing} left in "
                 "the account by an interrupted deployment cannot be detected: a create "
                 "goes ahead without the duplicate check. After an interrupted `pulumi up`, "
                 "look in the Mihu console first (README: \"After an interrupted "
                 "deployment\").")
        return baseline

    def _untracked_twins(self, baseline: Mapping[str, Key] | None, key: Key) -> list[str]:
        """Objects that existed before this deployment with the same natural key, and that
        no resource of its program holds."""
        return sorted(uuid for uuid, other in (baseline or {}).items()
                      if other == key and not self.ledger.holds(uuid))

    def _twin_message(self, describe: str, twins: list[str]) -> str:
        words = self.words
        return (
            f"Not creating the {describe}: the account already has one with "
            f"{words.twin_key} that this stack does not manage ({', '.join(twins)}); "
            f"{words.twin_harm}.\n"
            "Most likely an interrupted `pulumi up` left it. If no other stack manages it "
            f"(`pulumi stack export --stack <other> | grep {twins[0]}` finds nothing), set "
            f"{words.adopt_input}=\"{twins[0]}\" on this resource and run `pulumi up` "
            "again.\n"
            f"A renamed resource, `pulumi up --replace`, or a {words.thing} made by hand: "
            "README, \"Refused as a duplicate\".")

    def _adopt(self, client: MihuClient, request: CreateRequest,
               baseline: Mapping[str, Key] | None, cause: str, warn: Warn) -> dict[str, Any]:
        """A 2xx without a readable object: it was committed, so it must be found."""
        found = self._settle(client, request, baseline, cause)
        if found is None:
            raise MihuCreateOutcomeUnknownError(
                f"Creating the {request.describe} was accepted without a readable answer "
                f"({cause}), and the list of {self.words.things} shows no new one after "
                f"waiting {client.settings.create_settle_time:g} s. "
                + self._what_to_check(request))
        return self._adopted(request, found, cause, warn)

    def _adopted(self, request: CreateRequest, found: dict[str, Any], cause: str,
                 warn: Warn) -> dict[str, Any]:
        self.ledger.note_claimed(uuid_of(found))
        warn(f"Creating the {request.describe} got no clear answer ({cause}), but the new "
             f"{self.words.thing} {uuid_of(found)} appeared in the account and is adopted.")
        return found

    def _settle(self, client: MihuClient, request: CreateRequest,
                baseline: Mapping[str, Key] | None, cause: str) -> dict[str, Any] | None:
        """After an ambiguous POST: the new object with our natural key, or None once the
        whole settle time has passed without one. Raises when the account cannot tell, and
        when customTimeouts cut the wait short: "none yet" is then no proof of "none", so
        a resend could duplicate (decided here, on the client's clock, once)."""
        settle_time = client.settings.create_settle_time
        allowed = bounded(settle_time)
        deadline = client.now() + allowed
        look = 0
        while True:
            look += 1
            found = self._new_matches(client, request, baseline, cause)
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                uuids = ", ".join(uuid_of(item) for item in found)
                raise MihuCreateOutcomeUnknownError(
                    f"Creating the {request.describe} got no clear answer ({cause}), and the "
                    f"account now holds several new {self.words.things} that match it "
                    f"({uuids}). Delete the extra ones in the Mihu console (keep one), then "
                    "adopt the one you keep (README: \"After an interrupted deployment\") "
                    "and run `pulumi up` again.")
            remaining = deadline - client.now()
            if remaining <= 0 and allowed < settle_time:
                raise self._unknown(
                    request, cause, f"the resource's customTimeouts ended the wait for it "
                    f"to appear in the list after {allowed:.3g} s of the "
                    f"{settle_time:g} s settle time (mihu:createSettleTime)")
            if remaining <= 0:
                return None
            client.sleep(min(client.backoff(look), remaining))

    def _new_matches(self, client: MihuClient, request: CreateRequest,
                     baseline: Mapping[str, Key] | None, cause: str) -> list[dict[str, Any]]:
        """The listed objects with our natural key that are new: not in the baseline, not
        held by the program. Without a baseline, any match is ambiguous: raises."""
        try:
            items = list_all(client, self.spec.collection)
        except MihuApiError as exc:
            raise self._unknown(request, cause,
                                f"the list route answered HTTP {exc.status}") from None
        except MihuListIncompleteError as exc:
            raise self._unknown(request, cause, str(exc)) from None
        except MihuError as exc:
            raise self._unknown(request, cause, f"the list could not be read ({exc})") from None
        key = self.spec.natural_key(request.payload)
        matching = [item for item in items if self.spec.natural_key(item) == key
                    and not self.is_foreign(uuid_of(item), baseline)]
        if matching and baseline is None:
            raise self._unknown(request, cause, "there is no list from before the create to "
                                f"tell whether {', '.join(uuid_of(m) for m in matching)} "
                                "existed already")
        return matching

    def is_foreign(self, uuid: str, baseline: Mapping[str, Key] | None) -> bool:
        """Could not be the object of the create being settled."""
        return self.ledger.holds(uuid) or (baseline is not None and uuid in baseline)

    def _unknown(self, request: CreateRequest, cause: str,
                 why: str) -> MihuCreateOutcomeUnknownError:
        return MihuCreateOutcomeUnknownError(
            f"Creating the {request.describe} may or may not have succeeded ({cause}), and "
            f"{why}. It was not sent again, to avoid creating a duplicate. "
            + self._what_to_check(request))

    def _what_to_check(self, request: CreateRequest) -> str:
        return (f"Look in the Mihu console for {self.words.look_for(request.payload)}: if "
                "there is one, either adopt it (README: \"After an interrupted deployment\") "
                "or delete it, then run `pulumi up` again.")
