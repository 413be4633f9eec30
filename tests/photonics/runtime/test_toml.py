"""Strict TOML configuration: unknown keys, wrong types and bad values name the key."""

import tomllib
from dataclasses import dataclass, field
from typing import Literal

import pytest

from cposim.photonics.runtime.toml import ConfigError, config_hash, from_mapping, load_toml, to_toml


@dataclass(frozen=True, kw_only=True)
class Inner:
    radius_m: float = 3.6e-6
    count: int = 8
    strategy: Literal["ordered", "barrel"] = "barrel"
    grid_m: tuple[float, ...] = (1.3e-6, 1.31e-6)
    guard_m: float | None = None

    def __post_init__(self):
        if self.radius_m <= 0:
            raise ValueError(f"radius_m = {self.radius_m!r} is out of range: must be > 0")


@dataclass(frozen=True, kw_only=True)
class Required:
    value_m: float


@dataclass(frozen=True, kw_only=True)
class Outer:
    required: Required = field(default_factory=lambda: Required(value_m=1.0))
    seed: int = 1
    label: str = "x"
    enabled: bool = True
    inner: Inner = field(default_factory=Inner)


def test_round_trip_through_toml():
    config = Outer(seed=7, label='a "quoted" name', inner=Inner(count=16, grid_m=(1.0e-6,)))
    text = to_toml(config)
    assert from_mapping(Outer, tomllib.loads(text)) == config
    assert "[inner]" in text and 'guard_m = "none"' in text
    with_guard = Outer(inner=Inner(guard_m=2e-9))
    assert from_mapping(Outer, tomllib.loads(to_toml(with_guard))) == with_guard


def test_partial_tables_take_defaults():
    assert from_mapping(Outer, {"inner": {"count": 4}}) == Outer(inner=Inner(count=4))


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"inner": {"radius": 1.0}}, "unknown key 'inner.radius' in \\[inner\\]; allowed keys"),
        ({"sead": 3}, "unknown key 'sead'"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"inner": {"count": "8"}}, "inner.count must be a whole number"),
        ({"enabled": 1}, "enabled must be true or false"),
        ({"inner": {"strategy": "free"}}, "inner.strategy = 'free' is not allowed"),
        ({"inner": {"radius_m": -1.0}}, "inner: radius_m = -1.0 is out of range"),
        ({"inner": {"grid_m": 3.0}}, "inner.grid_m must be a list"),
        ({"inner": 5}, "inner must be a table"),
        ({"required": {}}, "required: .*missing 1 required keyword-only argument: 'value_m'"),
    ],
)
def test_bad_configs_name_the_key(mapping, message):
    with pytest.raises(ConfigError, match=message):
        from_mapping(Outer, mapping)


def test_hash_identifies_content():
    assert config_hash(Outer()) == config_hash(Outer())
    assert config_hash(Outer()) != config_hash(Outer(seed=2))


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_toml(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = = 3\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_toml(bad)
