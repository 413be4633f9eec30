"""Strict TOML ⇄ frozen-dataclass conversion for run configurations.

A configuration is a tree of frozen, keyword-only dataclasses. :func:`from_mapping` builds one
from a parsed TOML mapping and rejects what a typo would produce: an unknown key (with the
allowed keys listed), a value of the wrong type, a missing required key, or a value a
dataclass's own validation refuses, always naming the dotted key. :func:`to_toml` writes a
configuration back as TOML a user can copy and edit; ``from_mapping(cls,
tomllib.loads(to_toml(c))) == c`` for every config. TOML has no null: an optional field that is
``None`` is written as the string ``"none"``, which reads back as ``None``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import tomllib
import types
import typing
from pathlib import Path

NONE = "none"
"""TOML spelling of ``None`` for optional fields."""


class ConfigError(ValueError):
    """A configuration key, type or value that is not allowed (message names the key)."""


def load_toml(path) -> dict:
    """Parse a TOML file, reporting a missing file or a syntax error as :class:`ConfigError`.

    Parameters
    ----------
    path : str or pathlib.Path
        File to read.
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {error}") from None


def from_mapping(cls, mapping, *, path: str = ""):
    """Build dataclass ``cls`` from a mapping, recursively and strictly.

    Parameters
    ----------
    cls : type
        A dataclass type whose fields are scalars, tuples of scalars or other dataclasses.
    mapping : dict
        Parsed TOML table for ``cls``.
    path : str
        Dotted key of this table, used in error messages.
    """
    if not isinstance(mapping, dict):
        raise ConfigError(f"{path or 'config'} must be a table, got {mapping!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        where = f" in [{path}]" if path else ""
        raise ConfigError(
            f"unknown key {_join(path, unknown[0])!r}{where}; allowed keys: {', '.join(fields)}"
        )
    values = {}
    for name, value in mapping.items():
        values[name] = _convert(hints[name], value, _join(path, name))
    try:
        return cls(**values)
    except (ValueError, TypeError) as error:
        # TypeError: a required field is missing (a partial table of a class without defaults).
        raise ConfigError(f"{path + ': ' if path else ''}{error}") from None


def to_toml(config) -> str:
    """TOML text of a configuration dataclass (nested dataclasses become tables).

    Parameters
    ----------
    config : dataclass instance
        The configuration to write.
    """
    lines: list[str] = []
    _write_table(config, "", lines)
    return "\n".join(lines).strip() + "\n"


def config_hash(config) -> str:
    """SHA-256 of the canonical TOML of ``config`` (hex), identifying a run's configuration.

    Parameters
    ----------
    config : dataclass instance
        The configuration.
    """
    return hashlib.sha256(to_toml(config).encode("utf-8")).hexdigest()


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _convert(hint, value, key):
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return from_mapping(hint, value, path=key)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value == NONE and len(options) < len(typing.get_args(hint)):
            return None
        return _convert(options[0], value, key)
    if origin is tuple:
        item = typing.get_args(hint)[0]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        return tuple(_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value))
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(
                f"{key} = {value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}"
            )
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be a whole number, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    raise TypeError(f"unsupported config field type {hint!r} for {key}")


def _write_table(config, path, lines):
    scalars, tables = [], []
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        (tables if dataclasses.is_dataclass(value) else scalars).append((field.name, value))
    if path and scalars:
        lines.append(f"[{path}]")
    for name, value in scalars:
        lines.append(f"{name} = {_format_value(NONE if value is None else value)}")
    if scalars:
        lines.append("")
    for name, value in tables:
        _write_table(value, _join(path, name), lines)


def _format_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


__all__ = [
    "NONE",
    "ConfigError",
    "config_hash",
    "from_mapping",
    "load_toml",
    "to_toml",
]
