"""Bring one Pulumi stack per Mihu account up to date, several at once.

An agency or reseller with one Mihu account per customer keeps its trunks in one
inventory file; this program (on Pulumi's Automation API, ``pulumi.automation``) runs one
inline program per account, each in its own stack and its own work dir, ``--parallel``
of them at a time, prints each account's progress one line per engine event (prefixed
with the account), and ends with a table of what each ``up`` did::

    export PULUMI_CONFIG_PASSPHRASE=...          # or --secrets-provider awskms://...
    python fleet.py inventory.yaml --parallel 4
    python fleet.py inventory.yaml --only-failed # after fixing what failed

One account failing (a bad token, its API down) does not stop the others; the exit status
is 1 if any failed. Each ``up`` is idempotent, so a rerun does only what is left; the last
result of each account is kept in ``<state dir>/last-results.json``, which
``--only-failed`` reads. An inventory key the program does not know is refused (a typo
must not read as "no trunks"), and a run that would delete trunks is refused unless
``--allow-delete ACCOUNT`` names its account. One run at a time holds a state dir. The
README beside this file describes the inventory, where the state lives, what to do after
an interrupted run, and why the stacks run on threads of one process.

Secrets: an account's API token and its SIP credentials are read from where the inventory
says (an environment variable or a file), set as *secret* stack config (encrypted in
``Pulumi.<account>.yaml``, passed to ``pulumi config set`` on its standard input, never on
a command line), and never printed: every line this program prints is also scrubbed of
them. Every ``mihu:*`` setting goes into each stack's own config, which switches the
provider's reading of ``MIHU_*`` environment variables off (pulumi_mihu/settings.py): the
stacks of one process never share a setting through the process environment.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi import automation as auto

from pulumi_mihu import SipTrunkConnection
from pulumi_mihu.settings import ALL_SETTINGS, API_TOKEN, BASE_URL, SUBDOMAIN

#: The Pulumi project of every account's stack; the stacks are named after the accounts.
PROJECT = "mihu-fleet"
#: The config key (in the project's namespace) of an account's SIP credentials, a secret
#: JSON object: trunk key -> {"username": ..., "password": ...}.
SIP_CREDENTIALS_KEY = f"{PROJECT}:sipCredentials"
RESULTS_FILE = "last-results.json"
#: Summary columns and the keys of UpdateSummary.resource_changes they count.
CHANGE_COLUMNS = (("created", "create"), ("replaced", "replace"), ("updated", "update"),
                  ("unchanged", "same"), ("deleted", "delete"))
#: mihu:* settings an inventory may give per account besides the token and the location.
EXTRA_SETTINGS = {s.key for s in ALL_SETTINGS} - {API_TOKEN.key, SUBDOMAIN.key, BASE_URL.key}
#: What Pulumi accepts as a stack name: an account's name is its stack's.
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
#: What a misspelt field name looks like: shown in an error (any other key is not).
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
TRUNK_FIELDS = ("name", "phone_number", "gateway", "secondary_gateway", "adopt_uuid")
#: Which fields are optional, and every key an inventory may hold at each level: any other
#: key is refused, since a misspelt one would be silently dropped (``trunk:`` for
#: ``trunks:`` would leave the account without trunks, and its run would delete them).
OPTIONAL_TRUNK_FIELDS = ("secondary_gateway", "adopt_uuid")
TRUNK_KEYS = ("key", *TRUNK_FIELDS)
ACCOUNT_KEYS = ("name", "subdomain", "base_url", "token", "sip_credentials", "settings",
                "trunks")
INVENTORY_KEYS = ("accounts",)


class FleetError(Exception):
    """A problem with the inventory or an account's secrets, told without their values."""


class DeletionRefused(FleetError):
    """An account's ``up`` would delete trunks, and --allow-delete does not name it."""


# -- the inventory -------------------------------------------------------------------------

@dataclass(frozen=True)
class SecretRef:
    """Where a secret is: an environment variable or a file (relative to the inventory).
    The inventory holds only this, never the value."""

    env: str | None = None
    file: Path | None = None

    @classmethod
    def parse(cls, raw: Any, where: str, base: Path) -> SecretRef:
        if not isinstance(raw, dict) or len(raw) != 1 or not set(raw) <= {"env", "file"}:
            raise FleetError(f"{where} must be {{env: VARIABLE}} or {{file: PATH}}: the "
                             "inventory names where a secret is, never the secret itself")
        ((kind, value),) = raw.items()
        if not isinstance(value, str) or not value:
            raise FleetError(f"{where}.{kind} must be a non-empty string")
        return cls(env=value) if kind == "env" else cls(file=base / value)

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    def read(self) -> str:
        """The secret, stripped of surrounding whitespace; errors name where, not what."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None or not value.strip():
                raise FleetError(f"{self.describe()} is not set")
            return value.strip()
        assert self.file is not None
        try:
            value = self.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise FleetError(f"cannot read {self.describe()}: {exc.strerror}") from None
        if not value.strip():
            raise FleetError(f"{self.describe()} is empty")
        return value.strip()


@dataclass(frozen=True)
class Trunk:
    key: str
    name: str
    phone_number: str
    gateway: str
    secondary_gateway: str | None = None
    #: The uuid of a connection already in the account to manage instead of creating one
    #: (a leftover of an interrupted run): the resource's adopt_uuid, read at create only.
    adopt_uuid: str | None = None


@dataclass(frozen=True)
class Account:
    name: str
    token: SecretRef
    sip_credentials: SecretRef
    trunks: tuple[Trunk, ...]
    subdomain: str | None = None
    base_url: str | None = None
    settings: Mapping[str, str] = field(default_factory=dict)

    def plain_config(self) -> dict[str, str]:
        """The stack's plain config: where the API is, and any other mihu:* setting."""
        config = {f"mihu:{key}": value for key, value in self.settings.items()}
        if self.subdomain:
            config[SUBDOMAIN.config_key] = self.subdomain
        if self.base_url:
            config[BASE_URL.config_key] = self.base_url
        return config


def _text(value: Any, where: str, required: bool = True) -> str | None:
    """A text field. YAML reads +15551230000 unquoted as a number, its '+' lost: refused
    rather than guessed."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        kind = "missing" if value is None else f"{value!r}, a {type(value).__name__}"
        raise FleetError(f"{where} must be text, got {kind} (quote numbers in YAML: "
                         "phone_number: \"+15551230000\")")
    return value


def _known_keys(raw: Mapping[Any, Any], known: tuple[str, ...], where: str) -> None:
    """Refuse a key the program does not read, naming it (never its value, which may be a
    secret pasted in by mistake) and the keys it knows."""
    unknown = [key for key in raw if key not in known]
    if unknown:
        # A key that is no field name (a secret pasted as a key, say) is not shown.
        shown = ", ".join(repr(key) if isinstance(key, str) and _FIELD_NAME.match(key)
                          else "(one not shown: not a field name)" for key in unknown)
        raise FleetError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {shown} "
                         f"(known: {', '.join(known)}); a misspelt key would be ignored, "
                         "so it is refused")


def load_inventory(path: Path) -> list[Account]:
    """The accounts of an inventory file (YAML, or JSON, which YAML reads too), checked
    whole before any stack is touched."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise FleetError(f"cannot read the inventory {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), list):
        raise FleetError(f"{path}: expected a mapping with a list 'accounts'")
    _known_keys(data, INVENTORY_KEYS, str(path))
    base = path.resolve().parent
    accounts: list[Account] = []
    for index, raw in enumerate(data["accounts"]):
        where = f"accounts[{index}]"
        if not isinstance(raw, dict):
            raise FleetError(f"{where} must be a mapping")
        name = _text(raw.get("name"), f"{where}.name")
        assert name is not None
        if not _STACK_NAME.match(name):
            raise FleetError(f"{where}.name {name!r}: letters, digits, '_', '.' and '-' "
                             "only (it names the account's stack)")
        where = f"account {name}"
        _known_keys(raw, ACCOUNT_KEYS, where)
        if not raw.get("subdomain") and not raw.get("base_url"):
            raise FleetError(f"{where} needs a subdomain or a base_url")
        settings = raw.get("settings") or {}
        if not isinstance(settings, dict) or not set(settings) <= EXTRA_SETTINGS:
            raise FleetError(f"{where}.settings may hold only {', '.join(sorted(EXTRA_SETTINGS))}")
        if not isinstance(raw.get("trunks"), list):
            got = "missing" if "trunks" not in raw else (
                "empty (null: every entry commented out?)" if raw["trunks"] is None
                else f"a {type(raw['trunks']).__name__}")
            raise FleetError(f"{where}.trunks must be a list of the account's trunks, got "
                             f"{got}; write `trunks: []` for an account meant to have none "
                             "(its run then deletes every trunk it has: --allow-delete)")
        trunks: list[Trunk] = []
        for t_index, t_raw in enumerate(raw["trunks"]):
            t_where = f"{where}.trunks[{t_index}]"
            if not isinstance(t_raw, dict):
                raise FleetError(f"{t_where} must be a mapping")
            _known_keys(t_raw, TRUNK_KEYS, t_where)
            key = _text(t_raw.get("key"), f"{t_where}.key")
            assert key is not None
            values = {f: _text(t_raw.get(f), f"{t_where}.{f}", f not in OPTIONAL_TRUNK_FIELDS)
                      for f in TRUNK_FIELDS}
            trunks.append(Trunk(key, **values))  # type: ignore[arg-type]
        keys = [t.key for t in trunks]
        if len(set(keys)) != len(keys):
            raise FleetError(f"{where}: a trunk key is used twice (keys name the resources)")
        accounts.append(Account(
            name=name,
            token=SecretRef.parse(raw.get("token"), f"{where}.token", base),
            sip_credentials=SecretRef.parse(raw.get("sip_credentials"),
                                            f"{where}.sip_credentials", base),
            trunks=tuple(trunks),
            subdomain=_text(raw.get("subdomain"), f"{where}.subdomain", False),
            base_url=_text(raw.get("base_url"), f"{where}.base_url", False),
            settings={k: str(v) for k, v in settings.items()}))
    names = [a.name for a in accounts]
    if len(set(names)) != len(names):
        raise FleetError(f"{path}: an account name is used twice (names are stack names)")
    return accounts


def read_sip_credentials(account: Account) -> dict[str, dict[str, str]]:
    """The account's SIP credentials, one {username, password} per trunk of the inventory;
    what is missing is named, never a value."""
    source = account.sip_credentials.describe()
    try:
        data = json.loads(account.sip_credentials.read())
    except ValueError:
        raise FleetError(f"{source} is not a JSON object") from None
    if not isinstance(data, dict):
        raise FleetError(f"{source} is not a JSON object")
    credentials: dict[str, dict[str, str]] = {}
    for trunk in account.trunks:
        entry = data.get(trunk.key)
        if not isinstance(entry, dict) or not all(
                isinstance(entry.get(f), str) and entry[f] for f in ("username", "password")):
            raise FleetError(f"{source} lacks {trunk.key}.username or {trunk.key}.password")
        credentials[trunk.key] = {"username": entry["username"], "password": entry["password"]}
    return credentials


# -- output ----------------------------------------------------------------------------

class Console:
    """Whole lines to stdout from many threads, each scrubbed of every secret read so far:
    the provider withholds credentials from its messages already, this is the second
    guard, for whatever else (a CLI error quoting something) might carry one."""

    def __init__(self, width: int) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self.width = width

    def add_secrets(self, *values: str) -> None:
        with self._lock:
            self._secrets.update(v for v in values if v)

    def scrub(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, "[secret]")
        return text

    def print(self, text: str = "") -> None:
        text = self.scrub(text)
        with self._lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def line(self, account: str, message: str) -> None:
        self.print(f"[{account:<{self.width}}] {message}")


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def say_lines(say: Callable[[str], None], head: str, text: str) -> None:
    """A message of several lines: the first after ``head``, the others indented under
    it (each still prefixed with the account by ``say``)."""
    first, *rest = text.splitlines() or [""]
    say(head + first)
    for line in rest:
        say(" " * len(head) + line)


_TRACEBACK = "Traceback (most recent call last):"
#: Engine errors that only say that something else failed.
_CONSEQUENCES = ("update failed", "Resource monitor has terminated")
#: The longest diagnostic kept (the provider's messages are a few hundred characters).
_DIAGNOSTIC_LIMIT = 4000
#: The provider's refusal of a twin (a leftover of an interrupted run), and its uuid.
_ADOPT = re.compile(r'adopt_uuid="([0-9a-fA-F-]{36})"')


def diagnostic_text(message: str) -> str:
    """A diagnostic without the traceback around it. A provider's error reaches the engine
    as the dynamic provider host's traceback: its frames (the SDK's; pulumi_mihu's are
    already cut), then the exception and its message, of one line or several (a refused
    twin's says which uuid to adopt on its second line). Kept: every line of the message,
    the exception's module path dropped."""
    if _TRACEBACK in message:
        lines = message.splitlines()
        frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
        start = frames[-1] + 1 if frames else lines.index(_TRACEBACK) + 1
        # The frame's source and ^^^ markers are indented; the exception starts at column 0.
        while start < len(lines) and (not lines[start].strip() or lines[start][0].isspace()):
            start += 1
        message = "\n".join(lines[start:])
        message = re.sub(r"^(?:[A-Za-z_]\w*\.)+(\w+: )", r"\1", message)
    lines = [line.rstrip() for line in message.strip().splitlines()]
    text = "\n".join(line for line in lines if line)
    return text if len(text) <= _DIAGNOSTIC_LIMIT else text[:_DIAGNOSTIC_LIMIT - 3] + "..."


def adopt_hint(message: str, urn: str | None, account: str) -> str | None:
    """For the provider's refusal of a twin: the provider says to set adopt_uuid on the
    resource; in a fleet that is a field of the trunk in the inventory."""
    match = _ADOPT.search(message)
    if match is None or not urn:
        return None
    return (f"fleet: if no other stack manages {match[1]} (the stacks in this fleet's "
            "state dir included: an account renamed in the inventory leaves its old stack "
            f"there), add `adopt_uuid: \"{match[1]}\"` to trunk {urn.rsplit('::', 1)[-1]} "
            f"of account {account} in the inventory and run fleet.py again (README: \"After "
            "an interrupted run\")")


def op_counts(changes: Mapping[Any, int] | None) -> dict[str, int]:
    """resource_changes with plain string keys ("create", "same", ...): typed as OpType
    keys, read from the CLI's JSON as strings."""
    return {getattr(op, "value", op): count for op, count in (changes or {}).items()}


class Progress:
    """The engine events of one account's ``up`` as lines (``on_event``), and what they
    tell the summary: failed steps, error messages, the change counts of a failed run."""

    def __init__(self, say: Callable[[str], None], account: str = "") -> None:
        self.say = say
        self.account = account
        self.failed_steps = 0
        self.errors: list[str] = []
        self.changes: dict[str, int] | None = None

    @staticmethod
    def _shown(metadata: auto.events.StepEventMetadata) -> bool:
        return not metadata.type.startswith("pulumi:")

    @staticmethod
    def _name(metadata: auto.events.StepEventMetadata) -> str:
        return f"{metadata.type.rsplit(':', 1)[-1]} {metadata.urn.rsplit('::', 1)[-1]}"

    def __call__(self, event: auto.events.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            md = event.resource_pre_event.metadata
            if self._shown(md) and md.op != auto.events.OpType.SAME:
                self.say(f"{md.op.value:<10} {self._name(md)} ...")
        elif event.res_outputs_event is not None:
            md = event.res_outputs_event.metadata
            if self._shown(md):
                done = "unchanged" if md.op == auto.events.OpType.SAME else f"{md.op.value} done"
                self.say(f"{done:<10} {self._name(md)}")
        elif event.res_op_failed_event is not None:
            md = event.res_op_failed_event.metadata
            self.failed_steps += 1
            self.say(f"{'FAILED':<10} {md.op.value} {self._name(md)}")
        elif event.diagnostic_event is not None:
            diag = event.diagnostic_event
            if diag.severity.startswith(("warning", "error")) and not diag.ephemeral:
                message = diagnostic_text(diag.message)
                hint = adopt_hint(message, diag.urn, self.account)
                if hint:
                    message += "\n" + hint
                if diag.severity.startswith("error"):
                    self.errors.append(message)
                say_lines(self.say, f"{diag.severity.split('#')[0]}: ", message)
        elif event.summary_event is not None:
            self.changes = op_counts(event.summary_event.resource_changes)


# -- one account -----------------------------------------------------------------------

@dataclass
class Outcome:
    """One account's result: what its last-results.json entry holds."""

    result: str  # "succeeded", "failed", or "refused" (it would delete: --allow-delete)
    changes: dict[str, int] = field(default_factory=dict)
    failed_steps: int = 0
    error: str | None = None
    started: str = ""
    finished: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.result == "succeeded"


def program_for(account: Account) -> Callable[[], None]:
    """The account's inline program: its trunks, the credentials from the stack's secret
    config. A closure over the account, run on the Automation API's language server
    thread; the SDK keeps each run's settings and config in a context of its own."""

    def program() -> None:
        credentials = pulumi.Config().require_secret_object("sipCredentials")

        def credential(key: str, name: str) -> pulumi.Output[str]:
            return credentials.apply(lambda c: str(c[key][name]))

        uuids = {}
        for trunk in account.trunks:
            connection = SipTrunkConnection(
                trunk.key,
                name=trunk.name,
                phone_number=trunk.phone_number,
                gateway=trunk.gateway,
                secondary_gateway=trunk.secondary_gateway,
                adopt_uuid=trunk.adopt_uuid,
                username=credential(trunk.key, "username"),
                password=credential(trunk.key, "password"),
            )
            uuids[trunk.key] = connection.uuid
        pulumi.export("uuids", uuids)

    return program


@dataclass(frozen=True)
class Fleet:
    """What every account's run shares: where the stacks live, the CLI, the output."""

    state_dir: Path
    backend_url: str
    secrets_provider: str
    command: auto.PulumiCommand
    console: Console
    #: The accounts whose runs may delete trunks (--allow-delete NAME).
    allow_delete: frozenset[str] = frozenset()

    def workspace_options(self, account: Account) -> auto.LocalWorkspaceOptions:
        """Each stack its own work dir (its Pulumi.yaml and Pulumi.<account>.yaml), so
        that parallel runs never write the same file. The provider host runs on this
        interpreter (PULUMI_PYTHON_CMD), where pulumi_mihu is installed."""
        work_dir = self.state_dir / "work" / account.name
        work_dir.mkdir(parents=True, exist_ok=True)
        return auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_command=self.command,
            secrets_provider=self.secrets_provider,
            project_settings=auto.ProjectSettings(name=PROJECT, runtime="python"),
            env_vars={"PULUMI_BACKEND_URL": self.backend_url,
                      "PULUMI_PYTHON_CMD": os.environ.get("PULUMI_PYTHON_CMD",
                                                          sys.executable)})

    def run(self, account: Account) -> Outcome:
        """Bring one account's stack up to date. Never raises: a failure is the outcome."""
        started, clock = _now(), time.monotonic()
        say: Callable[[str], None] = lambda message: self.console.line(account.name, message)  # noqa: E731
        progress = Progress(say, account.name)
        say(f"starting: {len(account.trunks)} trunk(s)")
        try:
            token = account.token.read()
            credentials = read_sip_credentials(account)
            self.console.add_secrets(token, *(v for c in credentials.values()
                                              for v in c.values()))
            stack = auto.create_or_select_stack(stack_name=account.name, project_name=PROJECT,
                                                program=program_for(account),
                                                opts=self.workspace_options(account))
            self.check_deletions(stack, account, say)
            self.apply_config(stack, account, token, credentials, say)
            result = stack.up(on_event=progress, color="never", show_secrets=False)
            changes = op_counts(result.summary.resource_changes)
            outcome = Outcome("succeeded", changes, progress.failed_steps)
        except Exception as exc:  # one account's failure is its outcome
            outcome = Outcome("refused" if isinstance(exc, DeletionRefused) else "failed",
                              progress.changes or {}, progress.failed_steps,
                              error=self.console.scrub(_reason(exc, progress)))
        outcome.started, outcome.finished = started, _now()
        outcome.seconds = round(time.monotonic() - clock, 2)
        if outcome.ok:
            say(f"succeeded in {outcome.seconds:.1f} s: {_counts(outcome.changes)}")
        else:
            first, *rest = (outcome.error or "").splitlines() or [""]
            more = f" [{len(rest)} more line(s) above and in the summary]" if rest else ""
            say(f"{outcome.result.upper()} after {outcome.seconds:.1f} s: {first}{more}")
        return outcome

    def check_deletions(self, stack: auto.Stack, account: Account,
                        say: Callable[[str], None]) -> None:
        """Refuse, before anything is written, an ``up`` that would delete trunks, unless
        --allow-delete names the account. What an ``up`` of this program deletes is
        exactly what the stack's state holds and the program no longer declares: the
        trunks whose keys are not in the inventory. Read from ``pulumi stack export``
        (about 0.2 s and one CLI process, against several seconds of CPU for a preview,
        which would also read every connection from the API); without --show-secrets, so
        nothing is decrypted."""
        exported = json.loads(self.cli(stack, "stack", "export").stdout or "{}")
        keys = {trunk.key for trunk in account.trunks}
        doomed = sorted(
            (resource["urn"].rsplit("::", 1)[-1], str(resource.get("id", "?")))
            for resource in (exported.get("deployment") or {}).get("resources") or []
            if not resource.get("type", "").startswith("pulumi:")
            and not resource.get("delete")  # an old copy whose replacement exists
            and resource["urn"].rsplit("::", 1)[-1] not in keys)
        if not doomed:
            return
        listed = ", ".join(f"{key} (uuid {uuid})" for key, uuid in doomed)
        if account.name in self.allow_delete:
            say(f"deleting, as --allow-delete {account.name} allows: {listed}")
            return
        raise DeletionRefused(
            f"needs --allow-delete {account.name}: this run would delete "
            f"{len(doomed)} trunk(s) that its stack holds and the inventory no longer "
            f"lists: {listed}. Nothing was changed. If they are meant to go, run again "
            f"with --allow-delete {account.name}; if not, put them back in the inventory")

    def cli(self, stack: auto.Stack, *args: str,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """The Pulumi CLI on the stack, in its work dir and environment; FleetError if it
        fails."""
        workspace = stack.workspace
        assert isinstance(workspace, auto.LocalWorkspace)
        completed = subprocess.run(
            [self.command.command, *args, "--stack", stack.name, "--non-interactive"],
            input=stdin, capture_output=True, text=True, cwd=workspace.work_dir,
            env={**os.environ, **workspace.env_vars, "PULUMI_SKIP_UPDATE_CHECK": "true"},
            check=False)
        if completed.returncode != 0:
            raise FleetError(f"pulumi {' '.join(args)} failed: "
                             f"{one_line(completed.stderr or completed.stdout)}")
        return completed

    def apply_config(self, stack: auto.Stack, account: Account, token: str,
                     credentials: dict[str, dict[str, str]], say: Callable[[str], None]) -> None:
        """Make the stack's config what the inventory says, writing only what differs (a
        rerun of an unchanged account writes nothing), and dropping mihu:* keys the
        inventory no longer gives (a base_url left behind would win over a subdomain)."""
        plain = account.plain_config()
        secret = {API_TOKEN.config_key: token,
                  SIP_CREDENTIALS_KEY: json.dumps(credentials, sort_keys=True)}
        current = stack.get_all_config()
        stale = [key for key in current if key.startswith(("mihu:", f"{PROJECT}:"))
                 and key not in plain and key not in secret]

        def differs(key: str, value: str, is_secret: bool) -> bool:
            have = current.get(key)
            return have is None or have.value != value or bool(have.secret) != is_secret

        plain_changed = {k: auto.ConfigValue(v) for k, v in plain.items()
                         if differs(k, v, False)}
        secret_changed = {k: v for k, v in secret.items() if differs(k, v, True)}
        if stale:
            stack.remove_all_config(stale)
        if plain_changed:
            stack.set_all_config(plain_changed)
        for key, value in secret_changed.items():
            self.set_secret(stack, key, value)
        changed = sorted([*stale, *plain_changed, *secret_changed])
        say(f"config: {', '.join(changed)} written" if changed else "config: unchanged")

    def set_secret(self, stack: auto.Stack, key: str, value: str) -> None:
        """``pulumi config set --secret KEY`` with the value on standard input: the
        Automation API's set_config puts it on the command line, where any local user
        can read it (/proc/PID/cmdline) while the CLI runs."""
        self.cli(stack, "config", "set", "--secret", key, stdin=value)


def _reason(exc: Exception, progress: Progress) -> str:
    """Why an account failed, in one line: the engine's first error for a failed up (the
    provider's own message), else the exception's."""
    if isinstance(exc, auto.errors.CommandError):
        real = [e for e in progress.errors if not e.startswith(_CONSEQUENCES)]
        if real:
            return real[0]
        lines = [line for line in str(exc).splitlines() if line.strip()]
        return one_line(lines[-1] if lines else type(exc).__name__)
    if isinstance(exc, FleetError):
        return str(exc)
    return one_line(f"{type(exc).__name__}: {exc}")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _counts(changes: Mapping[str, int]) -> str:
    shown = [f"{changes[key]} {column}" for column, key in CHANGE_COLUMNS if changes.get(key)]
    return ", ".join(shown) or "nothing to do"


# -- the record of last results ------------------------------------------------------------

class Results:
    """``last-results.json``: each account's last outcome, written as each account
    finishes, so that a run cut short keeps what it did. Each record takes an exclusive
    lock (``last-results.json.lock``), reads the file again, changes only its account's
    entry, and writes through a temporary file of its own and a rename: whoever else
    writes the file (another thread, another run: see RunLock) loses nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.accounts = self._read()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return {}
        try:
            return dict(json.loads(text)["accounts"])
        except (ValueError, KeyError, TypeError):
            raise FleetError(f"{self.path} is not a results file of this program; "
                             "move it away to start afresh") from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            yield

    def last_failed(self, name: str) -> bool:
        """Whether the account's last run did not succeed (or it never ran)."""
        return self.accounts.get(name, {}).get("result") != "succeeded"

    def record(self, name: str, outcome: Outcome) -> None:
        with self._locked():
            accounts = self._read()
            accounts[name] = asdict(outcome)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent,
                                                 prefix=f"{self.path.name}.", suffix=".tmp")
            try:
                with os.fdopen(handle, "w") as out:
                    out.write(json.dumps({"accounts": accounts}, indent=2, sort_keys=True)
                              + "\n")
                os.replace(temporary, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            self.accounts = accounts


class RunLock:
    """One fleet run at a time on a state dir: ``fleet.lock`` in it, held (flock) for the
    whole run and released by the kernel when the process ends, however it ends. Two
    runs on one state dir would run the same stacks at once (the second ``up`` of an
    account fails on the stack's lock, and its failure would be recorded over the first
    run's result) and write the same work dirs' config."""

    NAME = "fleet.lock"

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / self.NAME
        self._file = open(self.path, "a+")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = one_line(self._file.read(), 200) or "another process"
            self._file.close()
            raise FleetError(f"another fleet run is using the state dir ({holder}, holding "
                             f"{self.path}): wait for it to end, or give this run another "
                             "--state-dir") from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()}, started {_now()}\n")
        self._file.flush()

    def release(self) -> None:
        self._file.close()


# -- the summary -----------------------------------------------------------------------

def summary_table(outcomes: Mapping[str, Outcome]) -> list[str]:
    """One row per account: the result, UpdateSummary.resource_changes by column (the
    stack resource itself counts, as in `pulumi up`'s own summary), the failed steps."""
    headers = ["account", "result", *(c for c, _ in CHANGE_COLUMNS), "failed", "seconds"]
    rows = [[name, outcome.result, *(str(outcome.changes.get(key, 0))
                                     for _, key in CHANGE_COLUMNS),
             str(outcome.failed_steps), f"{outcome.seconds:.1f}"]
            for name, outcome in outcomes.items()]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def format_row(row: list[str]) -> str:
        return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(row, widths, strict=True)))

    lines = [format_row(headers), "  ".join("-" * w for w in widths)]
    lines += [format_row(row) for row in rows]
    failed = {n: o for n, o in outcomes.items() if not o.ok}
    for name, outcome in failed.items():
        first, *rest = (outcome.error or "").splitlines() or [""]
        lines += ["", f"{name}: {first}", *(f"    {line}" for line in rest)]
    return lines


# -- the command -----------------------------------------------------------------------

def find_pulumi() -> auto.PulumiCommand:
    """The CLI on PATH, else the one Pulumi's installer puts in ~/.pulumi/bin; its version
    is checked once, for every stack."""
    if shutil.which("pulumi"):
        return auto.PulumiCommand()
    home = Path.home() / ".pulumi"
    if (home / "bin" / "pulumi").exists():
        return auto.PulumiCommand(root=str(home))
    raise FleetError("the Pulumi CLI is neither on PATH nor in ~/.pulumi/bin")


def select(accounts: Iterable[Account], results: Results, only_failed: bool,
           names: list[str]) -> list[Account]:
    chosen = [a for a in accounts if not names or a.name in names]
    unknown = set(names) - {a.name for a in chosen}
    if unknown:
        raise FleetError(f"not in the inventory: {', '.join(sorted(unknown))}")
    return [a for a in chosen if results.last_failed(a.name)] if only_failed else chosen


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inventory", type=Path, help="the inventory file (YAML or JSON)")
    parser.add_argument("--parallel", type=int, default=4, metavar="N",
                        help="accounts updated at once (default 4)")
    parser.add_argument("--only-failed", action="store_true",
                        help="only the accounts whose last result was not a success "
                             "(failed, or never run), from last-results.json")
    parser.add_argument("--account", action="append", default=[], metavar="NAME",
                        help="only this account (repeatable)")
    parser.add_argument("--allow-delete", action="append", default=[], metavar="NAME",
                        help="let this account's run delete the trunks its stack holds and "
                             "the inventory no longer lists (repeatable; without it such a "
                             "run is refused, nothing changed)")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="work dirs, the results record and (by default) the backend "
                             "(default: fleet-state/ beside the inventory)")
    parser.add_argument("--backend", default=None, metavar="URL",
                        help="the Pulumi backend of the stacks (default: file://STATE_DIR/"
                             "backend)")
    parser.add_argument("--secrets-provider", default="passphrase",
                        help="for new stacks (default passphrase: set "
                             "PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE)")
    options = parser.parse_args(argv)
    if options.parallel < 1:
        parser.error("--parallel must be 1 or more")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        accounts = load_inventory(options.inventory)
        unknown = set(options.allow_delete) - {a.name for a in accounts}
        if unknown:
            raise FleetError(f"--allow-delete: not in the inventory: "
                             f"{', '.join(sorted(unknown))}")
        state_dir = (options.state_dir
                     or options.inventory.resolve().parent / "fleet-state").resolve()
        state_dir.mkdir(parents=True, exist_ok=True)
        run_lock = RunLock(state_dir)
    except FleetError as exc:
        print(f"fleet: {exc}", file=sys.stderr)
        return 2
    try:
        return run_fleet(options, accounts, state_dir)
    finally:
        run_lock.release()


def run_fleet(options: argparse.Namespace, accounts: list[Account], state_dir: Path) -> int:
    """The run, under the state dir's RunLock."""
    try:
        results = Results(state_dir / RESULTS_FILE)
        chosen = select(accounts, results, options.only_failed, options.account)
        if options.secrets_provider == "passphrase" and not (
                os.environ.get("PULUMI_CONFIG_PASSPHRASE") is not None
                or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
            raise FleetError("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) "
                             "for the passphrase secrets provider, or pass --secrets-provider")
        command = find_pulumi() if chosen else None
    except FleetError as exc:
        print(f"fleet: {exc}", file=sys.stderr)
        return 2
    if not chosen or command is None:
        print("fleet: nothing to do (no account selected)")
        return 0
    backend = options.backend or (state_dir / "backend").as_uri()
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    console = Console(max(len(a.name) for a in chosen))
    fleet = Fleet(state_dir, backend, options.secrets_provider, command, console,
                  frozenset(options.allow_delete))
    console.print(f"fleet: {len(chosen)} account(s), {min(options.parallel, len(chosen))} "
                  f"at a time, state in {state_dir}")

    def run_and_record(account: Account) -> Outcome:
        outcome = fleet.run(account)
        try:
            results.record(account.name, outcome)
        except (OSError, FleetError) as exc:  # the run's outcome stands; say it is unrecorded
            console.line(account.name, f"NOT RECORDED in {results.path}: {exc}")
        return outcome

    clock = time.monotonic()
    with ThreadPoolExecutor(max_workers=options.parallel,
                            thread_name_prefix="fleet") as pool:
        outcomes = dict(zip((a.name for a in chosen), pool.map(run_and_record, chosen),
                            strict=True))
    console.print()
    for line in summary_table(outcomes):
        console.print(line)
    failed = sum(o.result == "failed" for o in outcomes.values())
    refused = sum(o.result == "refused" for o in outcomes.values())
    console.print(f"\n{len(outcomes) - failed - refused} succeeded, {failed} failed"
                  + (f", {refused} refused (needs --allow-delete)" if refused else "")
                  + f" in {time.monotonic() - clock:.1f} s")
    return 1 if failed or refused else 0


if __name__ == "__main__":
    sys.exit(main())
