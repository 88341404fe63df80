"""Importing a YAML file (multipart) and exporting a stored version as YAML, shell or docker."""

import io
import ipaddress
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from designer.models import Design, DesignVersion
from designer.topology.compose import hosts_with_file, to_compose
from designer.topology.exports import to_docker, to_shell
from designer.topology.ipam import allocate
from designer.topology.namespaces import namespaces
from designer.topology.predict import predict
from designer.topology.yamlio import load_design
from tests.golden_files import assert_golden
from tests.site.conftest import EXAMPLES, example
from tests.site.export_readers import HostExport, read_compose, read_docker

pytestmark = pytest.mark.django_db


def _upload(api, text: bytes, csrf: bool = True):
    headers = {"X-CSRFToken": api.csrf()} if csrf else {}
    upload = SimpleUploadedFile("design.yaml", text, content_type="application/yaml")
    return api.client.post("/api/designs/import", {"file": upload}, headers=headers)


def test_import_keeps_the_file_exactly(owner):
    text = example("router-namespace")
    response = _upload(owner, text.encode())
    assert response.status_code == 201
    assert DesignVersion.objects.get(design_id=response.json()["id"]).yaml == text


def test_import_of_a_broken_file_stores_nothing(owner):
    response = _upload(owner, b"apiVersion: mvlab/v1\nkind: [\n")
    assert response.status_code == 400
    assert response.json()["errors"][0]["line"] is not None
    assert Design.objects.count() == 0


def test_import_of_binary_is_a_clear_400(owner):
    response = _upload(owner, b"\xff\xfe\x00binary")
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]


def test_import_needs_csrf_and_a_signed_in_user(owner, stranger):
    assert _upload(owner, example("router-namespace").encode(), csrf=False).status_code == 403
    assert _upload(stranger, example("router-namespace").encode()).status_code == 401
    assert Design.objects.count() == 0


def test_export_yaml_is_the_stored_text(owner, stored):
    response = owner.get(f"/designs/{stored['id']}/export", to="yaml")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == example("two-vlans-routed")


def test_export_sh_and_docker_name_the_design_networks(owner, stored):
    shell = owner.get(f"/designs/{stored['id']}/export", to="sh").content.decode()
    docker = owner.get(f"/designs/{stored['id']}/export", to="docker").content.decode()
    assert "macvlan" in shell and "172.16.10.10" in shell
    assert "macvlan" in docker and "mac10" in docker


def test_export_of_an_unknown_format_is_a_400(owner, stored):
    response = owner.get(f"/designs/{stored['id']}/export", to="pdf")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "to"


# ---- The docker and Compose exports checked against the design, a golden file per export,
# ---- and Compose files imported as designs.

ALL_EXAMPLES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
GOLDEN_EXAMPLE = "docker-8021q-trunk"


def _allocated(name: str):
    design = load_design(example(name)).design
    return design, allocate(design)


def _check_against_design(design, allocation, host: str, found: HostExport) -> None:
    """Every network the host's endpoints use is created with the design's parent, mode, subnets
    and gateways (or a gateway nobody holds), every endpoint gets the design's addresses, and no
    endpoint is given an address Docker keeps (the gateway, the subnet's first and last)."""
    specs = [s for s in namespaces(design, allocation) if s.host == host and s.kind != "host"]
    expected = {
        s.endpoint: {i.network: {a.split("/")[0] for a in i.addresses} for i in s.interfaces} for s in specs
    }
    assert found.endpoints == expected, host
    for name in {n for legs in expected.values() for n in legs}:
        net, made = design.networks[name], found.networks[name]
        assert (made.parent, made.mode) == (net.parent, net.mode), name
        assert made.subnets == [s for s in (net.subnet, net.ipv6_subnet) if s], name
        held = {ip for legs in found.endpoints.values() for ip in legs.get(name, ())}
        for gateway in made.gateways:
            assert gateway in {net.gateway, net.ipv6_gateway} or gateway not in held, (name, gateway)
            assert ipaddress.ip_address(gateway) in ipaddress.ip_network(
                net.subnet if ":" not in gateway else net.ipv6_subnet
            )
        reserved = set(made.gateways)
        for subnet in made.subnets:
            network = ipaddress.ip_network(subnet)
            reserved |= {str(network.network_address), str(network.broadcast_address)}
        assert not held & reserved, (name, held & reserved)
        assert not set(made.aux) & set(made.gateways), name  # Docker refuses to reserve one twice


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_the_docker_export_builds_every_network_and_address_of_the_design(name):
    design, allocation = _allocated(name)
    script = to_docker(design, allocation)
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)
    hosts = read_docker(script)
    assert set(hosts) == set(design.hosts)
    for host, found in hosts.items():
        _check_against_design(design, allocation, host, found)


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_each_hosts_compose_file_holds_every_network_and_address_of_the_design(name):
    design, allocation = _allocated(name)
    for host in hosts_with_file(design, allocation):  # the others are refused: test_compose_without_services
        _check_against_design(design, allocation, host, read_compose(to_compose(design, allocation, host)))


def test_a_routing_namespace_holding_the_gateway_no_longer_stops_the_docker_script():
    """router-namespace's r1 holds 10.1.0.1, the address Docker keeps as inside's gateway: Docker is
    told an unused one, and the header says so (the script used to run --ip 10.1.0.1 and abort)."""
    design, allocation = _allocated("router-namespace")
    script = to_docker(design, allocation)
    assert "r1 holds 10.1.0.1 on inside, so Docker is told 10.1.0.254 (unused in the design)" in script
    assert read_docker(script)["host1"].networks["inside"].gateways == ["10.1.0.254"]


def test_lab_export_says_on_stderr_what_docker_is_told_instead_and_cannot_express():
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "lab", "export", str(EXAMPLES / "router-namespace.yaml"), "--to", "docker", stdout=out, stderr=err
    )
    assert "note: Docker keeps a network's gateway address for itself; r1 holds 10.1.0.1" in err.getvalue()
    assert "Docker cannot set the MAC of a second network's leg: r1's eth1" in err.getvalue()
    err = io.StringIO()
    call_command(
        "lab", "export", str(EXAMPLES / "router-namespace.yaml"), "--to", "compose", stdout=out, stderr=err
    )
    assert "r1 holds 10.1.0.1" in err.getvalue() and "MAC" not in err.getvalue()


def _golden_outputs() -> dict[str, str]:
    design, allocation = _allocated(GOLDEN_EXAMPLE)
    out = {
        f"{GOLDEN_EXAMPLE}.sh": to_shell(design, allocation),
        f"{GOLDEN_EXAMPLE}.docker.sh": to_docker(design, allocation),
    }
    for host in hosts_with_file(design, allocation):  # gw runs no container: it has no Compose file
        out[f"{GOLDEN_EXAMPLE}.compose-{host}.yaml"] = to_compose(design, allocation, host)
    return out


def test_the_exports_of_the_8021q_tutorial_lab_are_the_golden_files():
    """Reviewed by eye once; a change to an export shows here as a diff. After a deliberate change,
    rewrite them: MVLAB_UPDATE_GOLDEN=1 bin/test tests/site/test_import_export.py (tests.golden_files)"""
    for name, text in _golden_outputs().items():
        assert_golden(GOLDEN / name, text)


def test_export_compose_over_http_needs_a_host_when_the_design_has_several(owner, stored):
    response = owner.get(f"/designs/{stored['id']}/export", to="compose")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "host"
    assert response.json()["detail"].endswith("one of host1, host2")  # host3 runs no container
    text = owner.get(f"/designs/{stored['id']}/export", to="compose", host="host2").content.decode()
    design, allocation = _allocated("two-vlans-routed")
    assert text == to_compose(design, allocation, "host2")


def _predicted_between_endpoints(design) -> set[tuple]:
    """Who reaches whom among containers and routers (a Compose file holds no host's own addresses)."""
    matrix = predict(design, allocate(design))
    hosts = set(design.hosts)
    return {
        (p.src, p.dst_ip, p.expected, p.expected_ttl)
        for p in matrix.pairs
        if p.src not in hosts and p.dst not in hosts
    }


@pytest.mark.parametrize("name", ["router-namespace", "bridge-one-host"])  # the one-host examples
def test_a_compose_export_imported_again_predicts_the_same(owner, name):
    design, allocation = _allocated(name)
    (host,) = design.hosts
    upload = SimpleUploadedFile("lab.yml", to_compose(design, allocation, host).encode())
    response = owner.client.post(
        f"/api/designs/import?host={host}", {"file": upload}, headers={"X-CSRFToken": owner.csrf()}
    )
    assert response.status_code == 201, response.content
    imported = load_design(response.json()["yaml"]).design
    assert set(imported.networks) == set(design.networks)
    assert set(imported.containers) | set(imported.routers) == set(design.containers) | set(design.routers)
    assert _predicted_between_endpoints(imported) == _predicted_between_endpoints(design)


COMPOSE = (Path(__file__).parents[1] / "samples" / "shop.compose.yaml").read_text()  # also the browser's


def test_a_compose_file_imports_as_a_design_saying_what_it_left_out(owner):
    upload = SimpleUploadedFile("docker-compose.yml", COMPOSE.encode())
    response = owner.client.post(
        "/api/designs/import?host=nas", {"file": upload}, headers={"X-CSRFToken": owner.csrf()}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "shop"
    assert "# service cache has no leg on a macvlan network: left out" in body["yaml"]
    design = body["design"]
    assert design["hosts"] == {"nas": {"nics": ["eno1"]}}
    assert design["networks"]["lan"] == {
        "parent": "eno1.30",
        "subnet": "192.168.1.0/24",
        "gateway": "192.168.1.1",
        "ip_range": "192.168.1.128/25",
    }
    assert design["containers"]["web"]["networks"] == {"lan": {"ip": "192.168.1.10"}}
    assert design["containers"]["db"]["networks"] == {"lan": {"mac": "02:00:00:00:00:20"}}
    assert set(design["containers"]) == {"web", "db"}


def test_a_compose_network_without_its_parent_is_refused_at_its_line(owner):
    broken = COMPOSE.replace("driver_opts: {parent: eno1.30, macvlan_mode: bridge}", "driver_opts: {}")
    upload = SimpleUploadedFile("docker-compose.yml", broken.encode())
    response = owner.client.post(
        "/api/designs/import", {"file": upload}, headers={"X-CSRFToken": owner.csrf()}
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["path"], error["line"]) == ("networks.lan.driver_opts", 18)
    assert "driver_opts: {parent: eth0}" in error["hint"]
    assert Design.objects.count() == 0


def test_comments_survive_an_import_and_export_round_trip(owner, tmp_path):
    text = "# my lab, drawn for the course\n" + example("two-hosts-same-network").replace(
        "networks:", "networks:   # one flat LAN\n", 1
    ).replace("\n\n", "\n")
    imported = _upload(owner, text.encode()).json()
    assert owner.get(f"/designs/{imported['id']}/export", to="yaml").content.decode() == text
    (tmp_path / "lab.yaml").write_text(text)
    out = io.StringIO()
    call_command("lab", "export", str(tmp_path / "lab.yaml"), "--to", "yaml", stdout=out)
    assert out.getvalue() == text


def test_lab_import_writes_the_design_of_a_compose_file_and_names_a_bad_line(tmp_path):
    source = tmp_path / "docker-compose.yml"
    source.write_text(COMPOSE)
    out = io.StringIO()
    call_command("lab", "import", str(source), "--host", "nas", stdout=out)
    design = load_design(out.getvalue()).design
    assert (design.name, list(design.hosts), set(design.containers)) == ("shop", ["nas"], {"web", "db"})
    source.write_text(
        COMPOSE.replace("driver_opts: {parent: eno1.30, macvlan_mode: bridge}", "driver_opts: {}")
    )
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_status:
        call_command("lab", "import", str(source), stdout=io.StringIO(), stderr=err)
    assert exit_status.value.code == 1
    assert (
        f"{source}:18: networks.lan.driver_opts: a macvlan network without driver_opts.parent"
        in err.getvalue()
    )
