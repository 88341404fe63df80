"""Reading design files: safe, every shape error at once, each with its path and line."""

from __future__ import annotations

import time

import pytest

from designer.topology.issues import DesignError
from designer.topology.yamlio import MAX_BYTES, MAX_DEPTH, MAX_VALUES, load_design

HEAD = "apiVersion: mvlab/v1\nkind: Design\nname: t\n"
HOSTS = "hosts:\n  host1: {nics: [eth1]}\n"


def issues_of(text: str) -> list[tuple[int | None, str, str, str]]:
    with pytest.raises(DesignError) as caught:
        load_design(text)
    return [(i.line, i.path, i.code, i.message) for i in caught.value.issues]


def test_lines_of_paths():
    loaded = load_design(HEAD + HOSTS + "networks:\n  lan:\n    parent: eth1\n    subnet: 10.0.0.0/24\n")
    assert loaded.lines["hosts.host1"] == 5
    assert loaded.lines["hosts.host1.nics.0"] == 5
    assert loaded.line_of("networks.lan.subnet") == 9
    assert loaded.line_of("networks.lan.gateway") == 7  # absent: the nearest enclosing path


def test_every_shape_error_at_once_with_path_line_and_hint():
    text = HEAD + (
        "hosts:\n"
        "  host1: {nics: [eth1], forwardin: true}\n"  # 5
        "networks:\n"
        "  lan: {parent: eth1, mode: bridg, subnet: 10.0.0.0/24}\n"  # 7
        "containers:\n"
        "  c1: {host: host1, networks: {lan: {ip: 10.0.0.300}}}\n"  # 9
    )
    with pytest.raises(DesignError) as caught:
        load_design(text)
    by_path = {i.path: i for i in caught.value.issues}
    assert set(by_path) == {
        "hosts.host1.forwardin",
        "networks.lan.mode",
        "containers.c1.networks.lan.ip",
    }
    unknown = by_path["hosts.host1.forwardin"]
    assert unknown.line == 5
    assert unknown.message == "unknown key 'forwardin'"
    assert unknown.hint.startswith("did you mean 'forwarding'? valid keys: nics, forwarding, addresses")
    assert by_path["networks.lan.mode"].line == 7
    assert "'bridge', 'private', 'vepa', 'passthru' or 'source'" in by_path["networks.lan.mode"].hint
    assert by_path["containers.c1.networks.lan.ip"].line == 9


def test_missing_required_keys():
    assert [(line, path, code) for line, path, code, _ in issues_of(HEAD)] == [(1, "hosts", "shape-missing")]


def test_duplicate_keys_name_both_lines():
    issues = issues_of(HEAD + "hosts:\n  host1: {nics: [eth1]}\n  host1: {nics: [eth2]}\n")
    assert issues == [(6, "hosts.host1", "yaml-duplicate-key", "duplicate key 'host1' (also on line 5)")]


def test_object_building_tags_are_refused():
    issues = issues_of(HEAD + HOSTS + "description: !!python/object/apply:os.system ['touch /tmp/x']\n")
    assert [(line, code) for line, _, code, _ in issues] == [(6, "yaml-tag")]


def test_custom_tags_are_refused():
    assert issues_of(HEAD + "hosts: !include other.yaml\n")[0][2] == "yaml-tag"


def test_billion_laughs_is_refused_without_expanding():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    started = time.process_time()
    issues = issues_of("\n".join(lines) + "\n")
    assert issues[0][2] == "yaml-too-many-values"
    assert time.process_time() - started < 5  # generous: expansion would take hours, not seconds


def test_aliases_and_merge_keys_within_bounds_work():
    text = HEAD + "hosts:\n  host1: &h {nics: [eth1]}\n  host2: *h\n  host3: {<<: *h, forwarding: true}\n"
    design = load_design(text).design
    assert design.hosts["host2"].nics == ["eth1"]
    assert design.hosts["host3"].forwarding is True and design.hosts["host3"].nics == ["eth1"]


def test_size_limit():
    text = HEAD + HOSTS + "description: " + "x" * MAX_BYTES + "\n"
    assert issues_of(text)[0][2] == "yaml-too-large"


def test_depth_limit():
    assert issues_of("a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n")[0][2] == "yaml-too-deep"


def test_deep_flow_nesting_is_refused_quickly():
    started = time.process_time()
    assert issues_of("[" * 200_000)[0][2] == "yaml-too-deep"
    assert time.process_time() - started < 5


def test_one_document_per_file():
    assert issues_of(HEAD + HOSTS + "---\n" + HEAD + HOSTS)[0][2] == "yaml-documents"


def test_syntax_error_has_a_line():
    issues = issues_of(HEAD + "hosts:\n  host1: {nics: [eth1]\n  host2: x\n")
    assert issues[0][2] == "yaml-syntax" and issues[0][0] is not None


def test_empty_file_and_non_mapping():
    assert issues_of("")[0][3] == "expected a mapping (key: value), got nothing"
    assert issues_of("- a\n- b\n")[0][3] == "expected a mapping (key: value), got a list"


def test_yaml_1_2_scalars():
    loaded = load_design(HEAD + "description: yes\nhosts:\n  host1: {nics: [eth1], forwarding: true}\n")
    assert loaded.design.description == "yes"  # YAML 1.2: only true/false are booleans


def test_quoted_numbers_are_text_and_plain_numbers_are_not():
    assert load_design(HEAD.replace("name: t", "name: '123'") + HOSTS).design.name == "123"
    issues = issues_of(HEAD.replace("name: t", "name: 123") + HOSTS)
    assert issues[0][1:3] == ("name", "shape-string_type")


def test_max_values_is_a_real_bound():
    assert MAX_VALUES >= 10_000  # a large classroom design stays far below it
    text = HEAD + "hosts:\n" + "".join(f"  h{i}: {{nics: [eth1]}}\n" for i in range(2000))
    assert len(load_design(text).design.hosts) == 2000


@pytest.mark.parametrize("nic", ["eth1;reboot", "a-sixteen-chars0", "eth 1", "ethé"])
def test_interface_names_are_at_most_15_plain_bytes(nic):
    issues = issues_of(HEAD + f'hosts:\n  host1: {{nics: ["{nic}"]}}\n')
    assert [(line, path) for line, path, _, _ in issues] == [(5, "hosts.host1.nics.0")]


@pytest.mark.parametrize("name", ["Host1", "host 1", "h;rm", "-h", "x" * 33])
def test_names_are_safe_for_namespaces_and_shells(name):
    issues = issues_of(HEAD + f'hosts:\n  "{name}": {{nics: [eth1]}}\n')
    assert issues[0][1] == f"hosts.{name}"
    assert "is not a usable name" in issues[0][3]


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "a: &x k\n*x : 1\n"])
def test_keys_are_plain_names(text):
    assert issues_of(text)[0][2] == "yaml-key"
