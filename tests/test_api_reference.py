"""The API reference (docs/api.md) shows every public name, and optional parameters as optional.

attrs writes ``__init__`` when a class is created; griffe, which mkdocstrings uses, reads source.
The local griffe extension ``docs/griffe_attrs.py`` adds the ``__init__`` attrs makes. The fast
tests load the package as the site does; the slow one builds the site and reads its HTML.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest

import journeykit
from helpers import build_site

griffe = pytest.importorskip("griffe")

ROOT = Path(__file__).parents[1]
EXTENSION = ROOT / "docs" / "griffe_attrs.py"


def _public_modules() -> Iterator[str]:
    yield "journeykit"
    for info in pkgutil.walk_packages(journeykit.__path__, "journeykit."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield info.name


def public_names() -> list[tuple[str, str, Any]]:
    """(module, name, object) for every name in every public module's ``__all__``."""
    modules = [importlib.import_module(name) for name in _public_modules()]
    return [
        (module.__name__, name, getattr(module, name))
        for module in modules
        for name in getattr(module, "__all__", ())
        if not name.startswith("__")  # __version__ is shown on the home page
    ]


def resolve(path: str) -> Any:
    """The object a dotted path names (the longest importable module, then attributes)."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for part in parts[end:]:
            found = getattr(found, part, None)
        return found
    return None


def _load(*, with_extension: bool) -> Any:
    extensions = griffe.load_extensions(str(EXTENSION)) if with_extension else None
    return griffe.load(
        "journeykit",
        search_paths=[str(ROOT / "src")],
        extensions=extensions,
        docstring_parser="numpy",
    )


@pytest.fixture(scope="module")
def package() -> Any:
    return _load(with_extension=True)


def _public_attrs_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for _, _, obj in public_names():
        if isinstance(obj, type) and attrs.has(obj):
            found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def _documented_defaults(package: Any, path: str) -> dict[str, str | None]:
    """Each parameter a class docstring documents, and the default the reference shows."""
    documented = package[path.removeprefix("journeykit.")]
    if documented.docstring is None:
        return {}
    return {
        parameter.name: parameter.default
        for section in documented.docstring.parsed
        if section.kind.value == "parameters"
        for parameter in section.value
    }


def _wrongly_required(package: Any) -> list[str]:
    wrong = []
    for path, cls in _public_attrs_classes().items():
        runtime = inspect.signature(cls).parameters
        for name, default in _documented_defaults(package, path).items():
            optional = name in runtime and runtime[name].default is not inspect.Parameter.empty
            if optional and default is None:
                wrong.append(f"{path}({name})")
    return wrong


def test_attrs_classes_get_the_init_attrs_generates(package: Any) -> None:
    classes = _public_attrs_classes()
    assert len(classes) > 30
    for path, cls in classes.items():
        init = package[path.removeprefix("journeykit.")].all_members["__init__"]
        shown = [(p.name, p.kind.value, p.default is None) for p in init.parameters][1:]
        runtime = [
            (p.name, p.kind.description, p.default is inspect.Parameter.empty)
            for p in inspect.signature(cls).parameters.values()
        ]
        assert shown == runtime, path


def _init_parameters(package: Any, path: str) -> list[Any]:
    return list(package[path.removeprefix("journeykit.")].all_members["__init__"].parameters)


def test_every_init_parameter_is_typed_inherited_fields_too(package: Any) -> None:
    untyped = [
        f"{path}({parameter.name})"
        for path in _public_attrs_classes()
        for parameter in _init_parameters(package, path)
        if parameter.name != "self" and parameter.annotation is None
    ]
    assert untyped == []
    j_shaped = _init_parameters(package, "journeykit.attribution.rules.JShaped")
    assert [(p.name, str(p.annotation)) for p in j_shaped][1:3] == [
        ("per", "Per"),  # declared by PositionBased, the class JShaped derives from
        ("role_weights", "RoleWeights"),
    ]


def test_every_optional_parameter_is_shown_as_optional(package: Any) -> None:
    assert _wrongly_required(package) == []
    touchpoint = _documented_defaults(package, "journeykit.touchpoints.Touchpoint")
    assert touchpoint["cost"] == "0.0"
    assert touchpoint["id"] is None  # required, and shown so
    assert touchpoint["properties"] == "FrozenMap({})"


@pytest.mark.slow  # loads the package a second time
def test_without_the_extension_optional_parameters_look_required() -> None:
    # The reason for the extension, and proof that the check above can fail.
    wrong = _wrongly_required(_load(with_extension=False))
    assert "journeykit.touchpoints.Touchpoint(cost)" in wrong
    assert len(wrong) > 50


class _Reference(HTMLParser):
    """Headings of documented objects, and the parameter rows the page marks as required."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[str] = []
        self.required: list[tuple[str, str]] = []
        self._owner = ""
        self._row: list[str] | None = None
        self._tags: list[str] = []

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        anchor = dict(attributes).get("id") or ""
        if tag in {"h2", "h3", "h4", "h5", "h6"} and anchor.startswith("journeykit"):
            self.anchors.append(anchor)
            self._owner = anchor
        if tag == "tr":
            self._row = []
        self._tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        if self._tags and self._tags[-1] == tag:
            self._tags.pop()

    def handle_data(self, data: str) -> None:
        if self._row is None or not data.strip():
            return
        if self._tags[-1:] == ["code"] and not self._row:
            self._row.append(data.strip())  # the first code cell: the parameter's name
        elif self._tags[-1:] == ["em"] and data.strip() == "required" and self._row:
            self.required.append((self._owner, self._row[0]))


@pytest.mark.slow  # builds the site (about 15 s); CI's thorough step runs it
def test_the_built_reference_shows_every_public_name_and_optional_parameters(
    tmp_path: Path,
) -> None:
    build_site(tmp_path)
    page = _Reference()
    page.feed((tmp_path / "api" / "index.html").read_text(encoding="utf-8"))
    anchors = set(page.anchors)
    shown = [resolve(anchor) for anchor in anchors]
    missing = [
        f"{module}.{name}"
        for module, name, obj in public_names()
        if f"{module}.{name}" not in anchors and not any(obj is other for other in shown)
    ]
    assert missing == []
    assert len(page.required) > 50  # the parser found the tables
    wrong = []
    for owner, name in page.required:
        try:
            parameter = inspect.signature(resolve(owner)).parameters.get(name)
        except (TypeError, ValueError):
            continue  # not callable: a table of something else
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            wrong.append(f"{owner}({name})")
    assert wrong == []
