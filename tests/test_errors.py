"""One error hierarchy: every deliberate error is a ``JourneykitError`` with a built-in mixin base."""

from __future__ import annotations

import ast
import builtins
import pickle
from pathlib import Path

import pytest

import journeykit as jk
from journeykit import errors

SOURCE = Path(jk.__file__).parent
# Built-ins a library may still raise: an abstract method, the conformance kit's failed check, the
# AttributeError a module's __getattr__ must raise (PEP 562), and the command's SystemExit.
ALLOWED = {"NotImplementedError", "AssertionError", "AttributeError", "SystemExit"}


def _raised_builtins(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue  # a bare ``raise`` re-raises
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if not isinstance(target, ast.Name) or target.id in ALLOWED:
            continue  # ``raise exc`` re-raises a caught object; attributes are not built-ins
        value = getattr(builtins, target.id, None)
        if isinstance(value, type) and issubclass(value, BaseException):
            found.append((node.lineno, target.id))
    return found


def test_the_walk_finds_a_raised_builtin() -> None:
    tree = ast.parse("def f(x):\n    raise ValueError(x)\ndef g():\n    raise KeyError\n")
    assert _raised_builtins(tree) == [(2, "ValueError"), (4, "KeyError")]
    clean = "try:\n    pass\nexcept ValueError as e:\n    raise\nraise NotImplementedError\n"
    assert _raised_builtins(ast.parse(clean + "raise e\n")) == []


def test_no_module_raises_a_builtin_exception() -> None:
    offenders = [
        f"{path.relative_to(SOURCE.parent)}:{line}: raise {name}"
        for path in sorted(SOURCE.rglob("*.py"))
        for line, name in _raised_builtins(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == [], "raise a journeykit.errors class instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (errors.ParameterError, ValueError),
        (errors.ParameterTypeError, TypeError),
        (errors.NotFoundError, KeyError),
        (errors.OutOfRangeError, IndexError),
        (errors.MissingDependencyError, ImportError),
        (errors.RecordNotFoundError, KeyError),
    ],
)
def test_each_error_is_a_journeykit_error_and_its_builtin(
    error: type[Exception], builtin: type[Exception]
) -> None:
    raised = error("the sentence")
    assert isinstance(raised, errors.JourneykitError)
    assert isinstance(raised, builtin)
    assert str(raised) == "the sentence"  # no KeyError quotes around the message
    assert type(pickle.loads(pickle.dumps(raised))) is error


def test_callers_that_catch_builtins_keep_working() -> None:
    paths = jk.read_paths([{"path": "a > b", "total_conversions": 1}])
    with pytest.raises(IndexError, match="out of range"):
        paths[5]
    with pytest.raises(errors.OutOfRangeError):
        paths[5]
    with pytest.raises(ValueError, match="sep must be a non-empty string") as caught:
        jk.read_paths([{"path": "a", "total_conversions": 1}], sep="")
    assert isinstance(caught.value, errors.ParameterError)
    with pytest.raises(TypeError, match="needs Journeys") as wrong_type:
        jk.attribute([1, 2], "linear")  # type: ignore[arg-type]
    assert isinstance(wrong_type.value, errors.JourneykitError)
