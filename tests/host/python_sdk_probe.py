"""Run by tests/host/test_sdks.py with the generated Python SDK (sdk/python, installed into
a folder on PYTHONPATH), not collected by pytest: a program of the SDK under Pulumi's mocks,
in a process of its own (importing the SDK registers its resource modules with the Pulumi
runtime, which the test process keeps out of). It declares a provider, a trunk and a lookup,
and prints as JSON what the engine would have been sent, which outputs are secret, what the
lookup returned, and where ``pulumi_mihu_native`` and ``pulumi_mihu`` were imported from
(the two packages side by side, neither shadowing the other)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pulumi

import pulumi_mihu

registered: list[dict[str, Any]] = []
invoked: list[dict[str, Any]] = []


class Mocks(pulumi.runtime.Mocks):
    """The engine: records each registration and invoke; a trunk gets a uuid and a
    status, the lookup answers what the API would (never a credential)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        registered.append({"type": args.typ, "name": args.name, "inputs": sorted(args.inputs)})
        outputs = dict(args.inputs)
        if args.typ == "mihu:index:SipTrunkConnection":
            outputs.update(uuid="uuid-1", status="active")
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs
             ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        invoked.append({"token": args.token, "args": dict(args.args)})
        return {"uuid": args.args["uuid"], "name": "Support line",
                "phoneNumber": "+15551230000", "gateway": "sip.telnyx.com"}, []


pulumi.runtime.set_mocks(Mocks(), preview=False)

import pulumi_mihu_native as mihu  # noqa: E402

facts: dict[str, Any] = {}


def probe() -> pulumi.Output[Any]:
    provider = mihu.Provider("account", mihu.ProviderArgs(api_token="token-value",
                                                          base_url="http://127.0.0.1:1"))
    trunk = mihu.SipTrunkConnection(
        "support-line",
        mihu.SipTrunkConnectionArgs(phone_number="+15551230000", gateway="sip.telnyx.com",
                                    username="sip-user", password="sip-pass"),
        opts=pulumi.ResourceOptions(provider=provider))
    found = mihu.get_sip_trunk_connection(uuid="uuid-1")
    facts["lookup"] = {"phone_number": found.phone_number,
                       "fields": sorted(k for k in vars(mihu.GetSipTrunkConnectionResult)
                                        if not k.startswith("_"))}

    async def secrets() -> None:
        facts["secret"] = {name: await getattr(trunk, name).is_secret()
                           for name in ("username", "password", "phone_number", "uuid")}
        facts["provider_secret"] = await provider.api_token.is_secret()
        facts["uuid"] = await trunk.uuid.future()

    return pulumi.Output.from_input(asyncio.ensure_future(secrets()))


# pulumi.runtime.test: run it, and wait for what it returns and every registration.
run_test: Callable[[Callable[[], Any]], Callable[[], None]] = pulumi.runtime.test
run_test(probe)()
print(json.dumps({**facts, "registered": registered, "invoked": invoked,
                  "module": mihu.__file__, "dynamic_module": pulumi_mihu.__file__,
                  "dynamic_class": pulumi_mihu.SipTrunkConnection.__module__,
                  "classes": sorted(name for name in dir(mihu) if name[:1].isupper())}))
