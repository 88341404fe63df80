"""Which lab agent gets a new sandbox (designer.placement), from the figures agents advertise."""

import pytest

from contract.plan import Room
from designer.errors import Refused
from designer.placement import Candidate, choose, sandbox_memory
from tests.site.conftest import lab_room

CLASS_LAB = sandbox_memory(12)  # the class lab: 3 hosts, 8 containers and the fabric, 6 MiB


def agent(name: str, available_mib: int, placed: int = 0, building: int = 0, **figures) -> Candidate:
    return Candidate(name, Room.model_validate(lab_room(available_mib, **figures)), placed, building)


def place(candidates: list[Candidate], times: int) -> dict[str, int]:
    """Places `times` sandboxes one after the other, counting each as the site does until it is built."""
    by_name = {c.name: c for c in candidates}
    for _ in range(times):
        chosen = by_name[choose(by_name.values(), CLASS_LAB, "lab")]
        by_name[chosen.name] = Candidate(chosen.name, chosen.room, chosen.placed + 1, chosen.building + 1)
    return {name: c.placed for name, c in by_name.items()}


def test_an_agent_that_holds_nothing_takes_the_next_sandbox_even_with_less_memory():
    busy = agent("busy", 12000, placed=5, sandboxes=5)
    fresh = agent("fresh", 3000)
    assert choose([busy, fresh], CLASS_LAB, "busy") == "fresh"


def test_agents_fill_to_the_same_share_of_what_their_memory_holds():
    # 16 GiB and 4 GiB machines with nothing else running: the big one takes four sandboxes for one
    counts = place([agent("big", 16000, total_mib=16384), agent("small", 4000, total_mib=4096)], 50)
    assert counts == {"big": 40, "small": 10}


def test_sandboxes_sent_moments_ago_count_before_the_agent_reports_them():
    # both heartbeats still say 0 sandboxes; the site has just sent one to "east"
    sent = agent("east", 8000, placed=1, building=1)
    assert choose([sent, agent("west", 8000)], CLASS_LAB, "east") == "west"


def test_an_agent_whose_neighbour_table_is_full_right_now_comes_after_the_others_but_is_not_refused():
    crowded = agent("crowded", 12000, ipv4_in_use=1015)
    assert choose([crowded, agent("calm", 2000, placed=3, sandboxes=3)], CLASS_LAB, "crowded") == "calm"
    assert choose([crowded], CLASS_LAB, "lab") == "crowded"


def test_with_no_room_anywhere_the_deploy_is_refused_saying_which_resource_and_the_figures():
    # 16384 MiB machines keep 1638 MiB for themselves; a class lab needs 6 MiB more than that
    short = agent("north", 1640, total_mib=16384)
    filling = agent("south", 1700, total_mib=16384, placed=10, building=10)
    with pytest.raises(Refused) as refused:
        choose([short, filling], CLASS_LAB, "lab")
    assert refused.value.status == 409
    assert refused.value.detail == (
        "no lab agent has room for another sandbox of this design (about 6.0 MiB of kernel memory): "
        "agent 'north': memory: 1640 MiB available, 1638 MiB of it kept for the machine; "
        "agent 'south': memory: 1700 MiB available, 1638 MiB of it kept for the machine, "
        "10 more sandbox(es) on their way there; "
        "try again when a sandbox is torn down, or start a lab agent on another machine"
    )


def test_a_bigger_design_needs_more_room_than_a_small_one():
    nearly_full = agent("nearly", 1650, total_mib=16384)  # about 12 MiB above its reserve
    assert choose([nearly_full], CLASS_LAB, "lab") == "nearly"
    with pytest.raises(Refused, match=r"about 100\.0 MiB"):
        choose([nearly_full], sandbox_memory(200), "lab")


def test_the_default_lab_agent_wins_ties_and_agents_without_figures_come_last():
    assert choose([agent("b-lab", 8000), agent("lab", 8000)], CLASS_LAB, "lab") == "lab"
    old = [Candidate("old-1", None), Candidate("lab", None)]
    assert choose(old, CLASS_LAB, "lab") == "lab"
    assert choose([*old, agent("new", 50, total_mib=100)], CLASS_LAB, "lab") == "new"


def test_without_a_live_lab_agent_the_refusal_says_how_to_start_one():
    with pytest.raises(Refused, match=r"no lab agent is alive: start one with `python -m agent --name lab "):
        choose([], CLASS_LAB, "lab")
