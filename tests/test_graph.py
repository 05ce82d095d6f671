"""Graph derivation and wave planning: the order follows from exports and imports alone."""

from __future__ import annotations

import pytest

from fuelflow.errors import InputError
from fuelflow.graph import build_graph


def test_waves_follow_imports() -> None:
    g = build_graph(
        exports={"net": ["net-Vpc"], "s3": ["s3-Bucket"], "iam": ["iam-Role"], "ec2": ["ec2-Sg"], "rds": []},
        imports={"iam": ["s3-Bucket"], "ec2": ["iam-Role", "net-Vpc"], "rds": ["ec2-Sg", "net-Vpc"]},
    )
    assert g.waves() == [["net", "s3"], ["iam"], ["ec2"], ["rds"]]
    assert g.dependencies("rds") == {"ec2", "net"}
    assert g.closure_of_dependents("s3") == {"iam", "ec2", "rds"}
    assert g.reversed_waves()[0] == ["rds"]


def test_independent_stacks_share_a_wave() -> None:
    g = build_graph(exports={"a": ["A"], "b": [], "c": []}, imports={"b": ["A"], "c": ["A"]})
    assert g.waves() == [["a"], ["b", "c"]]


def test_cycle_is_an_error_naming_the_cycle() -> None:
    g = build_graph(exports={"a": ["A"], "b": ["B"], "c": ["C"]}, imports={"a": ["C"], "b": ["A"], "c": ["B"]})
    with pytest.raises(InputError) as err:
        g.waves()
    text = err.value.one_line()
    assert "cycle" in text and "a" in text and "b" in text and "c" in text
    assert err.value.fix


def test_missing_export_is_an_error() -> None:
    with pytest.raises(InputError, match="imports 'nope' but no template exports it"):
        build_graph(exports={"a": ["A"]}, imports={"a": [], "b": ["nope"]})


def test_external_export_is_allowed() -> None:
    g = build_graph(exports={"a": []}, imports={"a": ["shared-Vpc"]}, external=["shared-Vpc"])
    assert g.waves() == [["a"]]


def test_duplicate_export_and_self_import_are_errors() -> None:
    with pytest.raises(InputError, match="defined by both"):
        build_graph(exports={"a": ["X"], "b": ["X"]}, imports={})
    with pytest.raises(InputError, match="its own export"):
        build_graph(exports={"a": ["X"]}, imports={"a": ["X"]})


def test_critical_path() -> None:
    g = build_graph(exports={"a": ["A"], "b": ["B"], "c": []}, imports={"b": ["A"], "c": ["A"]})
    assert g.critical_path({"a": 1.0, "b": 5.0, "c": 2.0}) == 6.0
