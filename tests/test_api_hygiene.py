"""API hygiene: every public parameter is documented (with a unit), no catch-all keywords.

Walks every public module of ``cposim.photonics`` and ``cposim.control`` (python-control's
``docstrings_test.py`` and ``kwargs_test.py`` show the idea).
"""

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import re

import pytest

import cposim.control
import cposim.photonics

# A parameter description must state a unit, or say that the quantity has none. Names with an
# SI suffix carry their unit already.
UNIT_SUFFIX = re.compile(
    r"_(m|s|w|k|hz|db|dbm|v|a|ohm|j|bps|per_k|per_m|per_s|per_w|per_v|m_per_k|m_per_w|"
    r"k_per_w|w_per_k|db_per_m|a_per_w|a_per_sqrt_hz|db_per_hz|j_per_bit|bits|bit|f|rad|baud|"
    r"m2|s2|w2|a2|hz2|ppm)$"
)
UNIT_WORDS = re.compile(
    r"(\b(m|s|W|K|Hz|dB|dBm|V|A|J|rad|cycles|metres|seconds|kelvin|watts|hertz|volts)\b"
    r"|1/K|1/m|1/s|/K\b|/m\b|/W\b|(?i:dimensionless|unitless|linear|fraction|count|number of"
    r"|index|indices|ratio|probabilit|seed|generator|nanometres|micrometres|percent|flag|mask"
    r"|boolean|true where|true if|whether))"
)
# Choices ({"a", "b"}), plain Python types and objects of a class (capitalised type name).
NON_PHYSICAL_TYPES = re.compile(
    r"^(\{|[A-Z]\w*|bool|int|str|callable|path|pathlib|dict|list|tuple|iterable|sequence|.*Axes|.*Generator"
    r"|.*Ring\b|.*Coupler|.*Model|.*Layout|.*Config|.*Result|.*Plan|.*Spec|.*Grid|.*Bank"
    r"|.*Modulator|.*Link|.*Switch|.*Preset|.*Heater|.*Plant|.*Controller|.*Detector|.*Network"
    r"|.*Params|.*Parameters|.*Disturbance|.*Budget|None|type|object|numpy\.random)",
    re.IGNORECASE,
)


def public_modules():
    """Every public module of both packages, subpackages included (walked recursively, so a new
    subpackage is covered without being listed here)."""
    for package in (cposim.photonics, cposim.control):
        yield package
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                yield importlib.import_module(info.name)


def test_walk_reaches_every_subpackage():
    names = {module.__name__ for module in public_modules()}
    for expected in (
        "cposim.photonics.devices.ring",
        "cposim.photonics.fab.sampling",
        "cposim.photonics.link.lanes",
        "cposim.photonics.yields.engine",
        "cposim.photonics.switch.model",
        "cposim.photonics.runtime.batch",
        "cposim.photonics.cli.main",
        "cposim.control.core.validation",
        "cposim.control.tuning.plan",
        "cposim.control.loop.locking",
    ):
        assert expected in names


def public_callables():
    seen = set()
    for module in public_modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(obj) and issubclass(obj, (BaseException, enum.Enum)):
                continue  # exceptions take free-form messages; enums are not constructed
            if inspect.isclass(obj) or inspect.isfunction(obj):
                if obj in seen:
                    continue
                seen.add(obj)
                yield f"{module.__name__}.{name}", obj
                if inspect.isclass(obj):
                    for method_name, method in vars(obj).items():
                        if method_name.startswith("_") or not inspect.isfunction(method):
                            continue
                        yield f"{module.__name__}.{name}.{method_name}", method


def documented_parameters(docstring):
    """Map of parameter name → (type line, description) from a numpydoc Parameters section."""
    doc = inspect.cleandoc(docstring or "")
    match = re.search(r"^Parameters\n-+\n(.*?)(?:\n\n[A-Z][a-z]+\n-+\n|\Z)", doc, re.S | re.M)
    if not match:
        return {}
    entries = {}
    current = None
    for line in match.group(1).splitlines():
        if line and not line.startswith(" "):
            names, _, type_line = line.partition(":")
            current = [type_line.strip(), ""]
            for name in names.split(","):
                entries[name.strip().lstrip("*")] = current
        elif current is not None:
            current[1] += " " + line.strip()
    return entries


def parameters_of(obj):
    if inspect.isclass(obj):
        if dataclasses.is_dataclass(obj):
            return [f.name for f in dataclasses.fields(obj) if f.init], obj.__doc__
        signature = inspect.signature(obj.__init__)
        doc = obj.__doc__
    else:
        signature = inspect.signature(obj)
        doc = obj.__doc__
    names = [p.name for p in signature.parameters.values() if p.name not in ("self", "cls")]
    return names, doc


CALLABLES = sorted(public_callables(), key=lambda item: item[0])


@pytest.mark.parametrize(("qualified_name", "obj"), CALLABLES, ids=[c[0] for c in CALLABLES])
def test_public_parameters_are_documented_with_units(qualified_name, obj):
    names, doc = parameters_of(obj)
    assert doc and doc.strip(), f"{qualified_name} has no docstring"
    if not names:
        return
    documented = documented_parameters(doc)
    missing = [n for n in names if n not in documented]
    assert not missing, f"{qualified_name}: parameters not documented: {missing}"
    for name in names:
        type_line, description = documented[name]
        if UNIT_SUFFIX.search(name) or NON_PHYSICAL_TYPES.search(type_line):
            continue
        assert UNIT_WORDS.search(type_line + " " + description), (
            f"{qualified_name}: parameter {name!r} states no unit (or 'dimensionless')"
        )


@pytest.mark.parametrize(("qualified_name", "obj"), CALLABLES, ids=[c[0] for c in CALLABLES])
def test_no_catch_all_keywords(qualified_name, obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return
    assert not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()), (
        f"{qualified_name} accepts **kwargs, which would swallow misspelt keywords"
    )


def test_dataclasses_reject_unknown_keywords():
    for qualified_name, obj in CALLABLES:
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
            with pytest.raises(TypeError):
                obj(definitely_not_a_field=1.0)
            assert obj.__dataclass_params__.frozen, f"{qualified_name} is not frozen"


def _packages():
    """Every package (a module with ``__path__``) among the public modules."""
    return [module for module in public_modules() if hasattr(module, "__path__")]


@pytest.mark.parametrize("package", _packages(), ids=lambda p: p.__name__)
def test_package_catalogue_is_its_modules_all(package):
    """A package re-exports exactly the ``__all__`` of each module it catalogues: nothing a
    module adds to its ``__all__`` is missing from the package, and nothing is listed there
    that the module does not export. From a subpackage, a selection is allowed (the top level
    picks names that are unique across its subpackages; ``preset`` is not)."""
    catalogue = getattr(package, "_CATALOGUE", None)
    if catalogue is None:
        pytest.skip(f"{package.__name__} re-exports nothing")
    for relative, names in catalogue.items():
        module = importlib.import_module(f"{package.__name__}.{relative}")
        where = f"{package.__name__}.{relative}"
        if hasattr(module, "__path__"):
            assert set(names) <= set(module.__all__), where
        else:
            assert sorted(names) == sorted(module.__all__), where
    assert sorted(package.__all__) == sorted(n for names in catalogue.values() for n in names)


def test_pyproject_lists_every_package_directory():
    """An installed (not editable) cposim holds every subpackage: each folder with an
    ``__init__.py`` under ``photonics/`` and ``control/`` is in pyproject's package list."""
    import pathlib
    import tomllib

    root = pathlib.Path(__file__).resolve().parents[1]
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {}
    for package, folder in setuptools["package-dir"].items():
        for init in (root / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(root / folder).parts
            folders[".".join((package, *relative))] = init.parent
    for data_package in setuptools.get("package-data", {}):
        folders.setdefault(data_package, None)
    assert sorted(folders) == sorted(setuptools["packages"])
