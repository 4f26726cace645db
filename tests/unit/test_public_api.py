"""Tests of the package's public surface: __all__ and docstrings."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import types

import pytest

import influenceplanner_async


def isort_style_key(name: str) -> tuple[int, str]:
    """Order constants, then classes, then other names, as ruff's RUF022 does."""
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def all_names() -> list[str]:
    """Return the package's __all__ as a list."""
    return list(influenceplanner_async.__all__)


def public_classes() -> list[type]:
    """Return every class that the package exports."""
    exported = [getattr(influenceplanner_async, name) for name in all_names()]
    return [item for item in exported if inspect.isclass(item)]


def package_exception_classes() -> list[type[BaseException]]:
    """Return every exception class defined in any module of the package."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.iter_modules(influenceplanner_async.__path__):
        name = f"influenceplanner_async.{module_info.name}"
        module = importlib.import_module(name)
        for _, item in inspect.getmembers(module, inspect.isclass):
            if issubclass(item, BaseException) and item.__module__ == name:
                found[f"{name}.{item.__qualname__}"] = item
    return list(found.values())


def test_all_is_sorted() -> None:
    """__all__ is in isort-style order, the order that the linter keeps."""
    names = all_names()

    assert names == sorted(names, key=isort_style_key)


def test_all_has_no_duplicates() -> None:
    """Each name appears once in __all__."""
    names = all_names()

    assert len(names) == len(set(names))


def test_all_is_complete() -> None:
    """Every public name bound in the package __init__ is listed in __all__."""
    public = {
        name
        for name, value in vars(influenceplanner_async).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert public - set(influenceplanner_async.__all__) == set()


@pytest.mark.parametrize("name", influenceplanner_async.__all__)
def test_all_name_importable(name: str) -> None:
    """Each name in __all__ can be imported from the package."""
    namespace: dict[str, object] = {}

    exec(f"from influenceplanner_async import {name}", namespace)

    assert namespace[name] is getattr(influenceplanner_async, name)


def test_version_is_text() -> None:
    """__version__ is a dotted version string."""
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", influenceplanner_async.__version__)


@pytest.mark.parametrize(
    "cls", public_classes(), ids=lambda cls: getattr(cls, "__name__", "?")
)
def test_public_class_has_docstring(cls: type) -> None:
    """Every exported class has a docstring of its own."""
    docstring = vars(cls).get("__doc__")

    assert isinstance(docstring, str)
    assert docstring.strip()


@pytest.mark.parametrize(
    "cls",
    package_exception_classes(),
    ids=lambda cls: getattr(cls, "__name__", "?"),
)
def test_exception_class_has_docstring(cls: type[BaseException]) -> None:
    """Every exception class in the package has a docstring of its own."""
    docstring = vars(cls).get("__doc__")

    assert isinstance(docstring, str)
    assert docstring.strip()


def test_exception_classes_found() -> None:
    """The exception scan finds the whole hierarchy, so the test above counts."""
    names = {cls.__name__ for cls in package_exception_classes()}

    assert {"InfluencePlannerError", "ServerError", "ValidationError"} <= names


@pytest.mark.parametrize(
    "cls", public_classes(), ids=lambda cls: getattr(cls, "__name__", "?")
)
def test_public_members_have_docstrings(cls: type) -> None:
    """Public methods and properties of exported classes are documented."""
    undocumented = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        is_routine = isinstance(member, property) or inspect.isfunction(member)
        if is_routine and not (member.__doc__ or "").strip():
            undocumented.append(name)

    assert undocumented == []
