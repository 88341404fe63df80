"""The two-VLAN routing exercise the classroom tests hand out.

The start is examples/two-vlans-routed.yaml with routing turned off on host3; a student
solves it by turning forwarding on. The containers are locked.
"""

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "two-vlans-routed.yaml"
SOLVED_YAML = EXAMPLE.read_text()
START_YAML = SOLVED_YAML.replace("forwarding: true", "forwarding: false")
assert START_YAML != SOLVED_YAML
GOALS = ["d1 reaches d4 with TTL 63", "d2 reaches d3 with TTL 63", "d1 reaches d3"]
LOCKED = ["containers.d1", "containers.d2", "containers.d3", "containers.d4"]
