"""What the engine's calls tell a provider about the deployment: the ledger.

Pulumi tells a provider nothing of its plan: Create and Delete arrive with inputs or state
only. But the engine makes its calls in an order it keeps, so a provider process (one per
deployment) that notes every call can tell, when a Delete comes, whether it removes a
resource, takes out the old half of a replacement, or would delete what another resource
still has; and, when a create names an object to adopt, whether it is the replacement of
the resource that adopted it. The notes (``note_*``, ``*claim*``) record; the queries
(``delete_kind``, ``create_kind``, ``holds``) answer and change nothing.

The engine's order, read in ``pkg/resource/deploy/step_generator.go`` of CLI v3.274.1 (Check,
then Diff, of every resource of the program, before any step of that resource; no Diff,
and a Check without old inputs, for a ``--replace`` target (``isTargetedReplace``); the
Deletes of resources left out of the program after every registration; Diff's ``olds``
and Delete's ``props`` are both the old outputs), and what is inferred from it:

=== ==================================== =================================== ======== ======
row engine call pattern                  inferred                            CLI      pinned
=== ==================================== =================================== ======== ======
1   Diff(id) of a resource               ``id`` is the program's (kept or    v3.274.1 [1]
                                         replaced): no untracked twin of a
                                         create, not adoptable by another
                                         resource (``holds``)
2   Diff(id, news adopting U), then a    the create replaces the resource    v3.274.1 [2]
    Create adopting U                    that adopted U: POST, never adopt U
                                         again (``CreateKind.POST``)
3   Diff(id, olds), then Delete(id,      the old half of a delete-before-    v3.274.1 [3]
    props hashing like olds), no Create  replace (``REPLACED_FIRST``)
    with Diff's news between
4   Diff(id, olds, news), Create(news),  the old half of a create-before-    v3.274.1 [4]
    then Delete(id, props like olds)     delete (``REPLACED_AFTER``)
5   Diff(id, olds), then Delete(id,      another state entry shares ``id``   none     [5]
    props not hashing like olds)         (an adopter kept, its maker
                                         removed): ``KEPT``, not deleted
5b  Diff(id) that found no change, then  that resource stays with ``id``     v3.274.1 [5b]
    Delete(id), whatever its props       (the engine replaces nothing
                                         unchanged): the Delete is another
                                         state entry's (two imports of one
                                         id), ``KEPT``
6   a Create made or adopted ``id``,     a renamed adopter's old name:       v3.274.1 [6]
    then Delete(id) with no Diff(id)     ``KEPT``, not deleted
7   Check(no olds, news N), no Diff;     ``up --replace``: the old half,     v3.274.1 [7]
    Delete(id, props with inputs N), no  ``REPLACED_FIRST``, or
    Diff(id)                             ``REPLACED_AFTER`` once a Create(N)
                                         ran
8   as 7, props adopting U, then a       the create replaces U's adopter:    v3.274.1 [8]
    Create adopting U                    POST (U was just deleted), noted by
                                         ``note_delete``
9   Check(olds O, news N), then Diff(id, a kept resource, not a              v3.274.1 [9]
    olds like O)                         ``--replace`` target: a Delete of
                                         another resource with inputs N is a
                                         ``REMOVAL``
10  Delete(id) matching none of these    ``REMOVAL``: a destroy, or a        v3.274.1 [10]
                                         resource left out of the program
N1  native: Diff(id, ``olds``) and        ``olds`` are the old outputs, as    v3.274.1 [N1]
    Delete(id, ``properties``); the      Delete's ``properties`` are, so
    servicer passes ``olds``, never      rows 1 to 10 hold as in dynamic
    ``old_inputs``                       mode (state_hash matches)
N2  native: Diff(id, olds without a      an imported state (the API never    v3.274.1 [N2]
    credential, news with it), after a   returns credentials): the update
    Read(id) without state (``pulumi     records the program's, no request;
    import``, ``import_``)               never a replacement
N3  native: Diff(id) of URN A and an    B would make a second state entry   v3.274.1 [N3]
    import Read(id) (no state, no        of one id (each would delete it
    inputs) of URN B, either order, in   when removed): refused, nothing
    one deployment; two Diffs of one id  sent (``_note_manager``,
    under two URNs are not this (an      ``_claim_import``)
    alias beside a dependent
    replacement)
=== ==================================== =================================== ======== ======

"CLI": the version whose engine made those calls in the pinning test ("none": no CLI test
makes them; the test calls the provider's methods in the engine's order). Each test
below fails when its row's inference is taken out (checked by breaking each in turn):

[1] tests/cli/test_cli_lifecycle.py::
    test_each_input_change_previews_and_performs_a_replacement[read routes]
[2] tests/cli/test_cli_adoption.py::
    test_adopted_connection_is_managed_like_a_created_one[read routes]
[3] tests/cli/test_cli_replacement_guard.py::
    test_documented_only_dbr_password_change_is_refused_then_the_runbook_works
[4] tests/cli/test_cli_lifecycle.py::
    test_each_input_change_previews_and_performs_a_replacement[documented POST only]
    (its password step: the old half of a create-before-delete, NOT deleted, warned)
[5] tests/unit/test_create_guard.py::
    test_the_delete_of_a_removed_maker_leaves_the_adopters_connection_in_the_account
[5b] tests/cli/test_cli_native.py::
     test_native_removing_one_of_two_entries_of_one_id_keeps_the_connection
[6] tests/cli/test_cli_adoption.py::
    test_an_adopting_resource_renamed_without_alias_keeps_its_connection
[7] tests/cli/test_cli_replacement_guard.py::test_documented_only_dbr_forced_replace_is_refused
    (``REPLACED_FIRST``); tests/cli/test_cli_ledger.py::
    test_documented_only_default_forced_replace_creates_then_leaves_the_old_one (``AFTER``)
[8] tests/cli/test_cli_replacement_guard.py::
    test_read_routes_dbr_forced_replace_of_an_adopted_connection_keeps_a_line
[9] tests/cli/test_cli_ledger.py::
    test_documented_only_removing_one_of_two_identical_trunks_warns_and_goes_on
[10] tests/cli/test_cli_replacement_guard.py::test_documented_only_destroy_warns_and_succeeds
[N1] tests/cli/test_cli_native.py::test_native_replacement_deletes_the_old_connection
[N2] tests/cli/test_cli_native.py::
     test_native_pulumi_import_then_up_records_the_credentials_without_a_request,
     test_native_import_option_adopts_with_no_write (the inference is the native
     servicer's, ``_Resource.unrecorded``, in Diff and Update)
[N3] tests/cli/test_cli_native.py::
     test_native_import_of_a_connection_the_stack_manages_is_refused_with_no_write,
     test_native_removing_one_of_two_entries_of_one_id_keeps_the_connection,
     test_native_a_renamed_dependent_of_a_replacement_is_not_refused

``tests/unit/test_ledger.py`` states each row again as notes and answers, fast. Read in the
same source, not pinned by a test: a resource tainted by ``pulumi state taint`` is
replaced as a ``--replace`` target is (``isTargetedReplace``), so row 7 applies to it.

The ledger's lock guards its own records only, for a few lines at a time: nothing here
makes a request, so no engine call waits on the network because of it.
"""

from __future__ import annotations

import enum
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CreateKind",
    "DeleteKind",
    "DeploymentLedger",
    "Fingerprint",
    "Seen",
    "fingerprint",
    "state_hash",
]

#: Input name -> hash of its value: what the ledger keeps of inputs (credentials are
#: among them, so never in the clear in a structure that lives as long as the process).
Fingerprint = dict[str, str]


class DeleteKind(enum.Enum):
    """Why the engine deletes an id (rows 3 to 10 of the table)."""

    #: A destroy, or a resource left out of the program.
    REMOVAL = "removal"
    #: The old half of a delete-before-replace: its replacement is not created yet.
    REPLACED_FIRST = "replaced-first"
    #: The old half of a create-before-delete: its replacement exists.
    REPLACED_AFTER = "replaced-after"
    #: Another resource of the program has this id: it must not be deleted.
    KEPT = "kept"


class CreateKind(enum.Enum):
    """What a create must do with the object its inputs name to adopt (rows 2 and 8)."""

    #: Adopt it: no resource of the program that adopted it is being replaced.
    ADOPT = "adopt"
    #: Make a new one: nothing to adopt, or the create replaces the resource that
    #: adopted it (whose object is being, or has been, deleted).
    POST = "post"


def fingerprint(values: Mapping[str, Any], keys: tuple[str, ...]) -> Fingerprint:
    """Hashes of the known values of ``keys`` (an unknown or absent value is left out)."""
    return {key: _hash(values[key])
            for key in keys if isinstance(values.get(key), (str, bool, int, float))}


def _hash(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def state_hash(outputs: Mapping[str, Any]) -> str:
    """Identifies one resource's old outputs, which Diff (``olds``) and Delete (``props``)
    both receive; ``__`` keys (``__provider``) are shared by every entry, so left out."""
    return _hash(sorted((k, repr(v)) for k, v in outputs.items() if not k.startswith("__")))


@dataclass
class Seen:
    """One resource of the program, as its Check and its Diff showed it. A Check makes
    the record; the Diff of the same resource (its old inputs are the Check's) fills in
    its id, which is how a Check is known not to be a ``--replace`` target's."""

    #: The Check's old inputs; empty for a new resource, or a ``--replace`` target.
    old_inputs: Fingerprint
    #: Its new inputs (the Diff's, once diffed).
    new_inputs: Fingerprint
    #: From its Diff: the resource exists, kept or being replaced.
    id: str | None = None
    #: From its Diff: state_hash of the old outputs.
    old_state: str | None = None
    #: What it adopts, once it is known to exist: by its Diff's new inputs, or (row 8)
    #: by the old outputs the Delete of its old half carried.
    adopts: str | None = None
    #: A Create with its new inputs ran since its Diff (or Check): its replacement.
    replacement_created: bool = False
    #: A Diff of this id found no change: a resource of the program stays with it (row 5b).
    unchanged: bool = False


class DeploymentLedger:
    """The notes of one provider process, and what follows from them (module docstring).

    ``keys`` are the inputs that identify what a resource asks for (every compared one);
    ``adopt_key`` the input naming an existing object to adopt, if the resource has one.
    """

    def __init__(self, keys: tuple[str, ...], adopt_key: str | None = None) -> None:
        self.keys = keys
        self.adopt_key = adopt_key
        #: One record per resource seen (per Check, and per Diff without a Check).
        self._seen: list[Seen] = []
        #: ids that creates of this process made or adopted.
        self._claimed: set[str] = set()
        self._lock = threading.Lock()

    # -- notes ------------------------------------------------------------------------

    def note_check(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> None:
        seen = Seen(self._fingerprint(olds), self._fingerprint(news))
        with self._lock:
            self._seen.append(seen)

    def note_diff(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any],
                  unchanged: bool = False) -> None:
        """Fills in the records of this resource: those of its id (a second Diff overwrites
        the first, but for ``unchanged``, which a Diff that found no change sets for good:
        that resource stays) and every Check not yet diffed whose old inputs are these (the
        same resource checked again); makes one where no Check came first."""
        old_inputs, new_inputs = self._fingerprint(olds), self._fingerprint(news)
        old_state, adopts = state_hash(olds), self._adopts(news)
        with self._lock:
            mine = [seen for seen in self._seen if seen.id == id_ or (
                seen.id is None and seen.old_inputs and seen.old_inputs == old_inputs)]
            if not mine:
                mine = [Seen(old_inputs, new_inputs)]
                self._seen.extend(mine)
            for seen in mine:
                seen.id, seen.old_state, seen.new_inputs = id_, old_state, new_inputs
                seen.adopts, seen.replacement_created = adopts, False
                seen.unchanged = seen.unchanged or unchanged

    def note_create(self, props: Mapping[str, Any]) -> None:
        """A Create arrived: every resource whose new inputs these are now has its
        replacement (rows 4 and 7). Noted on arrival, as the engine sent it; what the
        create then holds is noted by ``note_claimed``."""
        created = self._fingerprint(props)
        with self._lock:
            for seen in self._seen:
                if all(created.get(k, v) == v for k, v in seen.new_inputs.items()):
                    seen.replacement_created = True

    def note_delete(self, id_: str, olds: Mapping[str, Any]) -> None:
        """A Delete: where it is a forced replacement's (row 7), what the old half adopted
        is now known to be that resource's, so its create will not adopt it (row 8)."""
        adopts = self._adopts(olds)
        if adopts is None:
            return
        with self._lock:
            for seen in self._judge_delete(id_, olds)[1]:
                seen.adopts = adopts

    def note_claimed(self, uuid: str) -> None:
        """A create of this process made or adopted ``uuid`` (row 6)."""
        with self._lock:
            self._claimed.add(uuid)

    def try_claim(self, uuid: str) -> bool:
        """Claim ``uuid`` for an adopting create, unless a resource of the program holds
        it already (then False, nothing noted): one test-and-set, so that two creates
        adopting one object cannot both pass."""
        with self._lock:
            if self._holds(uuid):
                return False
            self._claimed.add(uuid)
            return True

    def note_unclaimed(self, uuid: str) -> None:
        """An adopting create that claimed ``uuid`` failed: it holds nothing after all."""
        with self._lock:
            self._claimed.discard(uuid)

    # -- queries ----------------------------------------------------------------------

    def delete_kind(self, id_: str, olds: Mapping[str, Any]) -> DeleteKind:
        """Why the engine deletes ``id_`` (rows 3 to 10)."""
        with self._lock:
            return self._judge_delete(id_, olds)[0]

    def create_kind(self, props: Mapping[str, Any]) -> CreateKind:
        """Whether a create adopts what its inputs name, or POSTs (rows 2 and 8)."""
        adopts = self._adopts(props)
        with self._lock:
            if adopts is None or any(seen.adopts == adopts for seen in self._seen):
                return CreateKind.POST
            return CreateKind.ADOPT

    def holds(self, uuid: str) -> bool:
        """Does a resource of this deployment have ``uuid`` (diffed, or made or adopted by a
        create of this process)? Then it is no untracked twin, never the object of another
        create's settle, and not adoptable by another resource (row 1)."""
        with self._lock:
            return self._holds(uuid)

    # -- under the lock ---------------------------------------------------------------

    def _holds(self, uuid: str) -> bool:
        return uuid in self._claimed or any(seen.id == uuid for seen in self._seen)

    def _judge_delete(self, id_: str, olds: Mapping[str, Any]) -> tuple[DeleteKind, list[Seen]]:
        """The kind of a Delete, and the records of the resource it force-replaces (row 7;
        none otherwise)."""
        diffed = [seen for seen in self._seen if seen.id == id_]
        if diffed:
            if any(seen.unchanged for seen in diffed):
                return DeleteKind.KEPT, []                                          # row 5b
            if not any(seen.old_state == state_hash(olds) for seen in diffed):
                return DeleteKind.KEPT, []                                          # row 5
            return _replaced(diffed), []                                            # rows 3, 4
        if id_ in self._claimed:
            return DeleteKind.KEPT, []                                              # row 6
        old_inputs = self._fingerprint(olds)
        forced = [seen for seen in self._seen
                  if seen.id is None and old_inputs and seen.new_inputs == old_inputs]
        if not forced:
            return DeleteKind.REMOVAL, []                                           # rows 9, 10
        return _replaced(forced), forced                                            # row 7

    def _fingerprint(self, values: Mapping[str, Any]) -> Fingerprint:
        return fingerprint(values, self.keys)

    def _adopts(self, values: Mapping[str, Any]) -> str | None:
        adopts = values.get(self.adopt_key) if self.adopt_key else None
        return adopts if isinstance(adopts, str) else None


def _replaced(records: list[Seen]) -> DeleteKind:
    """The old half of a replacement: after it when its replacement was created."""
    if any(seen.replacement_created for seen in records):
        return DeleteKind.REPLACED_AFTER
    return DeleteKind.REPLACED_FIRST
