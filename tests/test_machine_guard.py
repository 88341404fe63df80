"""The machine-namespace guard itself must notice a change."""

import subprocess
import uuid

from tests.conftest import machine_namespace_state


def test_guard_sees_a_link_appear_in_the_namespace_it_watches():
    """Run the recorder inside a throwaway namespace so that the change happens there, not here."""
    ns = f"mvltest-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        code = (
            "import subprocess; from tests.conftest import machine_namespace_state as s; a = s(); "
            "subprocess.run(['ip', 'link', 'add', 'guardtest0', 'type', 'veth', "
            "'peer', 'name', 'guardtest1'], check=True); "
            "b = s(); assert a['links'] != b['links'], 'guard did not see the new link'; print('seen')"
        )
        out = subprocess.run(
            ["ip", "netns", "exec", ns, ".venv/bin/python", "-c", code], capture_output=True, text=True
        )
        assert out.stdout.strip() == "seen", out.stderr
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=True)


def test_state_of_this_namespace_is_recorded():
    state = machine_namespace_state()
    assert any(name == "lo" for name, *_ in state["links"])
