"""Without its tools the VM lab fails, naming the packages to install; it never skips."""

import pytest

from tests.vm.lab import require_tools


def test_missing_tools_fail_naming_their_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it: QEMU, busybox and socat are gone
    named = r"needs busybox-static \(apt\), qemu-system-x86 \(apt\), socat \(apt\): missing"
    with pytest.raises(pytest.fail.Exception, match=named):
        require_tools()


def test_with_every_tool_installed_it_names_a_kernel_with_its_modules():
    vmlinuz = require_tools()
    assert vmlinuz.name.startswith("vmlinuz-") and vmlinuz.exists()
