"""``quick_init`` (flywayx/model/quick.py): the values it builds are the ones ``@dataclass`` builds."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from flywayx.model import HistoryRow, Kind, Migration, MigrationType, Version
from flywayx.model.info import MigrationInfo, State
from flywayx.model.quick import quick_init


@dataclass(frozen=True)
class Plain:
    a: int
    b: str = "b"
    c: tuple[str, ...] = field(default_factory=tuple)
    d: list[int] = field(default_factory=list, compare=False)


@quick_init
@dataclass(frozen=True)
class Quick:
    a: int
    b: str = "b"
    c: tuple[str, ...] = field(default_factory=tuple)
    d: list[int] = field(default_factory=list, compare=False)


def test_same_values_as_the_generated_init() -> None:
    pairs = [
        (Plain(1), Quick(1)),
        (Plain(1, "x"), Quick(1, "x")),
        (Plain(a=2, c=("y",)), Quick(a=2, c=("y",))),
        (Plain(3, "z", ("w",), [4]), Quick(3, "z", ("w",), [4])),
    ]
    for plain, quick in pairs:
        assert dataclasses.asdict(plain) == dataclasses.asdict(quick)
        assert repr(plain).replace("Plain", "Quick") == repr(quick)
        assert quick == dataclasses.replace(quick) and hash(quick) == hash(dataclasses.replace(quick))
        assert vars(quick).keys() == vars(plain).keys()


def test_defaults_are_called_per_instance_and_fields_stay_frozen() -> None:
    one, two = Quick(1), Quick(1)
    assert one.d == [] and one.d is not two.d
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.a = 2  # type: ignore[misc]
    assert dataclasses.replace(one, b="c") == Quick(1, "c")
    with pytest.raises(TypeError):
        Quick()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick(1, e=2)  # type: ignore[call-arg]


def test_the_model_values_behave_as_before() -> None:
    v = Version.parse("1.2")
    m = Migration(Kind.VERSIONED, v, "d", "V1_2__d.sql", "/p/V1_2__d.sql", MigrationType.SQL, 5)
    assert m.raw_checksum is None and m.encoding == "UTF-8" and m.attributes == () and m.should_execute
    row = HistoryRow(1, v, "d", "SQL", "V1_2__d.sql", 5, "me", 3, True)
    info = MigrationInfo(State.SUCCESS, m, row)
    assert pickle.loads(pickle.dumps(info)) == info
    assert dataclasses.replace(m, checksum=6).checksum == 6 and m.checksum == 5


def test_refuses_what_it_does_not_reproduce() -> None:
    @dataclass(frozen=True)
    class WithPost:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class KeywordOnly:
        a: int = field(kw_only=True)

    for cls in (WithPost, Mutable, KeywordOnly):
        with pytest.raises(TypeError):
            quick_init(cls)
