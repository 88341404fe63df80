"""The machine-wide neighbour budget: what is free, who pinned what, and a clear refusal when full."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agent import neighbour_budget
from agent.neighbour_budget import MAX_WINDOW, MIN_WINDOW, Budget, PinRegistry, TableFull

V4 = socket.AF_INET


def test_the_window_is_half_of_what_is_free_and_pinned_entries_are_not_in_use():
    assert Budget(V4, cap=1024, entries=100, pinned=0).window == min(MAX_WINDOW, 462)
    assert Budget(V4, cap=1024, entries=1000, pinned=0).window == 12
    assert Budget(V4, cap=1024, entries=40_000, pinned=39_900).in_use == 100  # a class's pins are exempt
    assert Budget(V4, cap=1024, entries=None, pinned=0).in_use == 512  # unreadable: taken as half full


def test_probers_count_each_others_pins_and_forget_those_of_dead_processes(tmp_path):
    (tmp_path / "pins").mkdir()
    mine, other = PinRegistry(tmp_path), PinRegistry(tmp_path)
    mine.add(V4, 300)
    other.add(V4, 500)
    other.add(socket.AF_INET6, 7)
    assert neighbour_budget.pinned_elsewhere(tmp_path, V4, mine.path) == 500
    assert mine.budget(V4).pinned == 800

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (tmp_path / "pins" / f"{dead.stdout.strip()}-gone").write_text("900 0\n")
    assert neighbour_budget.pinned_elsewhere(tmp_path, V4, mine.path) == 500
    assert not (tmp_path / "pins" / f"{dead.stdout.strip()}-gone").exists()
    other.close()
    assert neighbour_budget.pinned_elsewhere(tmp_path, V4, mine.path) == 0


def test_a_table_without_room_is_refused_with_its_figures(tmp_path, monkeypatch):
    (tmp_path / "pins").mkdir()
    cap = neighbour_budget.gc_thresh3(V4)
    monkeypatch.setattr(neighbour_budget, "table_entries", lambda family: cap - MIN_WINDOW)  # others fill it
    with pytest.raises(TableFull, match=rf"{cap - MIN_WINDOW} of its gc_thresh3={cap} entries are in use"):
        PinRegistry(tmp_path).wait_for_room(V4, wait=0.2)


def test_the_run_directory_is_shared_by_every_user_of_the_machine():
    directory = neighbour_budget.run_dir()
    assert os.access(directory / "pins", os.W_OK)
    if os.geteuid() == 0:
        assert directory == Path("/run/mvlab")
        assert (directory / "pins").stat().st_mode & 0o1777 == 0o1777
