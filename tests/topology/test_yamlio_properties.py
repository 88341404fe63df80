"""load_design on any text: a design, or DesignError with issues; never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.topology.issues import DesignError
from designer.topology.yamlio import dump_data, load_design, read_yaml

EXAMPLE = (Path(__file__).parents[2] / "examples" / "two-vlans-routed.yaml").read_text()


def damaged(cuts: list[tuple[int, int, str]]) -> str:
    text = EXAMPLE
    for start, length, insert in cuts:
        start %= len(text) + 1
        text = text[:start] + insert + text[start + length :]
    return text


def load_or_issues(text: str) -> None:
    try:
        load_design(text)
    except DesignError as err:
        assert err.issues and all(issue.severity == "error" and issue.message for issue in err.issues)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text(text):
    load_or_issues(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2000),
            st.integers(0, 8),
            st.sampled_from(["", ":", " ", "\n", "{", "[", "&a ", "*a", "!!", "-"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_damaged_example(cuts):
    load_or_issues(damaged(cuts))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_json_data_written_as_yaml_reads_back_the_same(data):
    assert read_yaml(dump_data(data))[0] == data


def test_json_text_that_yaml_1_1_or_a_raw_nel_would_change_reads_back_the_same():
    data = {"1e3": ["0o17", "12:34:56:00:00:01", "<<", "yes", "a\x85b", "\u2028", "x" * 300]}
    assert read_yaml(dump_data(data))[0] == data
