"""The registry of resources (pulumi_mihu/_registry.py) is the one list tests, scripts and
the docs generator iterate over: each entry must be what the package really does, and no
resource class may be left out of it."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import requests
from pulumi.dynamic.dynamic import serialize_provider

import pulumi_mihu
from pulumi_mihu._registry import RESOURCES, Registered, by_name
from pulumi_mihu._resource import MihuDynamicResource, provider_reference
from pulumi_mihu.testing import DEFAULT_TOKEN, MihuSimulator

TESTS = Path(__file__).resolve().parents[1]
ENTRIES = pytest.mark.parametrize("entry", RESOURCES, ids=lambda entry: entry.name)


@ENTRIES
def test_an_entry_names_the_resource_its_schema_and_its_provider(entry: Registered) -> None:
    cls = entry.resource_class()
    assert cls.__name__ == entry.name and cls.__module__ == entry.module
    assert cls._mihu_schema is entry.schema and entry.schema.name == entry.name
    assert cls._mihu_provider == entry.provider
    assert entry.provider_class().schema is entry.schema
    assert f"pulumi-python:{cls._resource_type_name}" == entry.type_token
    assert by_name(entry.name) is entry


@ENTRIES
def test_the_provider_pickles_under_the_registered_path(entry: Registered) -> None:
    """What the SDK writes for the class is what a program registers without it."""
    written = serialize_provider(entry.provider_class()())
    pickled = base64.b64decode(written)
    module, _, name = entry.provider.rpartition(".")
    assert module.encode() in pickled and name.encode() in pickled
    assert provider_reference(entry.provider) == written
    assert entry.provider_class().__module__ == entry.module
    assert entry.provider_class().__qualname__ == name


def test_every_resource_class_of_the_package_is_registered() -> None:
    def subclasses(cls: type) -> set[type]:
        found: set[type] = set(cls.__subclasses__())
        return found.union(*(subclasses(sub) for sub in found))

    ours = {f"{cls.__module__}.{cls.__name__}" for cls in subclasses(MihuDynamicResource)
            if cls.__module__.startswith("pulumi_mihu.")}
    assert ours == {entry.resource for entry in RESOURCES}
    assert all(hasattr(pulumi_mihu, entry.name) for entry in RESOURCES)


def test_an_unknown_name_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        by_name("NoSuchResource")


@ENTRIES
def test_the_simulator_serves_every_route_the_provider_calls(entry: Registered) -> None:
    """Served means answered by the API's logic: with missing routes answering 405, any
    other answer (a 404 for an unknown uuid, a 422 for an empty body) proves the route."""
    with MihuSimulator(missing_route_status=405) as sim:
        for route in entry.api:
            method, path = route.split(" ", 1)
            path = re.sub(r"\{[^}]+\}", "3c90c3cc-0d44-4b50-8888-8dd25736052a", path)
            answer = requests.request(method, f"{sim.base_url}/api/v1{path}", json={},
                                      headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
                                      timeout=5)
            assert answer.status_code != 405, route


@ENTRIES
def test_the_tests_an_entry_names_exist(entry: Registered) -> None:
    assert entry.tests, "a resource has a test file of its own"
    missing = [name for name in entry.tests if not any(TESTS.glob(f"*/{name}.py"))]
    assert not missing


@ENTRIES
def test_the_example_of_an_entry_uses_the_resource(entry: Registered) -> None:
    example = TESTS.parent / "examples" / entry.example / "__main__.py"
    if not (TESTS.parent / "examples").is_dir():
        pytest.skip("the examples are not beside the tests (an installed wheel's run)")
    assert re.search(rf"\b{entry.name}\(", example.read_text()), example
