"""Validation of one comparison leaf (``field``, ``op``, ``value``, ``window``) on a catalogue."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping

from services.segmentation.domain.errors import RuleIssue
from services.segmentation.domain.rules.ast import Compare, FieldKind, Op, Scalar
from services.segmentation.domain.rules.catalogue import OPS_BY_KIND, Catalogue, FieldSpec
from services.segmentation.domain.vocabulary import Window

LEAF_KEYS = frozenset({"field", "op", "value", "window"})
MAX_LIST_VALUES = 1000
_WINDOW_VALUES = frozenset(w.value for w in Window)
_WINDOWS = ", ".join(w.value for w in Window)


def join(path: str, key: str) -> str:
    """Path of `key` under `path`, like ``all[1].value``."""
    return f"{path}.{key}" if path else key


def json_type(value: object) -> str:
    """JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list | tuple) else "object"


def unknown_keys(raw: Mapping[str, object], allowed: frozenset[str], path: str) -> list[RuleIssue]:
    """An issue per key not in `allowed`."""
    return [
        RuleIssue(join(path, str(key)), f"unknown key '{key}'") for key in raw if key not in allowed
    ]


def parse_compare(
    raw: Mapping[str, object], path: str, catalogue: Catalogue, issues: list[RuleIssue]
) -> Compare | None:
    """The leaf as a `Compare`, or None after appending what is wrong with it to `issues`."""
    found = unknown_keys(raw, LEAF_KEYS, path)
    spec = _field(raw.get("field"), join(path, "field"), catalogue, found)
    op = _op(raw.get("op"), join(path, "op"), spec, found)
    window = _window(raw, path, spec, found) if spec else None
    value = _value(raw, join(path, "value"), spec, op, found) if spec and op else None
    issues.extend(found)
    if found or spec is None or op is None or value is None:
        return None
    return Compare(field=spec.name, kind=spec.kind, op=op, value=value, window=window)


def _field(
    raw: object, path: str, catalogue: Catalogue, issues: list[RuleIssue]
) -> FieldSpec | None:
    if not isinstance(raw, str):
        issues.append(RuleIssue(path, f"field must be a string, got {json_type(raw)}"))
        return None
    spec = catalogue.get(raw)
    if spec is None:
        close = difflib.get_close_matches(raw, catalogue.names(), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        issues.append(RuleIssue(path, f"unknown field '{raw}'{hint}"))
    return spec


def _op(raw: object, path: str, spec: FieldSpec | None, issues: list[RuleIssue]) -> Op | None:
    try:
        op = Op(raw) if isinstance(raw, str) else None
    except ValueError:
        op = None
    if op is None:
        names = ", ".join(o.value for o in Op)
        issues.append(RuleIssue(path, f"unknown op {raw!r}; expected one of {names}"))
        return None
    if spec is not None and op not in OPS_BY_KIND[spec.kind]:
        allowed = ", ".join(o.value for o in Op if o in OPS_BY_KIND[spec.kind])
        message = f"op '{op}' does not apply to '{spec.name}' ({spec.kind}); use {allowed}"
        issues.append(RuleIssue(path, message))
        return None
    return op


def _window(
    raw: Mapping[str, object], path: str, spec: FieldSpec, issues: list[RuleIssue]
) -> Window | None:
    given = raw.get("window")
    path = join(path, "window")
    if not spec.windowed:
        if "window" in raw:
            issues.append(RuleIssue(path, f"field '{spec.name}' takes no window"))
        return None
    if given is None:
        issues.append(RuleIssue(path, f"field '{spec.name}' needs a window: one of {_WINDOWS}"))
        return None
    if not isinstance(given, str) or given not in _WINDOW_VALUES:
        issues.append(RuleIssue(path, f"unknown window {given!r}; expected one of {_WINDOWS}"))
        return None
    return Window(given)


def _value(
    raw: Mapping[str, object], path: str, spec: FieldSpec, op: Op, issues: list[RuleIssue]
) -> Scalar | tuple[Scalar, ...] | None:
    if op is Op.EXISTS:
        given = raw.get("value", True)
        if isinstance(given, bool):
            return given
        issues.append(RuleIssue(path, f"exists takes true or false, got {json_type(given)}"))
        return None
    if "value" not in raw:
        issues.append(RuleIssue(path, f"op '{op}' needs a value"))
        return None
    if op in (Op.IN, Op.NOT_IN):
        return _listed(raw["value"], path, spec, issues)
    if op is Op.BETWEEN:
        return _between(raw["value"], path, spec, issues)
    return _scalar(raw["value"], path, spec, issues)


def _listed(
    raw: object, path: str, spec: FieldSpec, issues: list[RuleIssue]
) -> tuple[Scalar, ...] | None:
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_LIST_VALUES:
        message = f"expected an array of 1 to {MAX_LIST_VALUES} values, got {json_type(raw)}"
        issues.append(RuleIssue(path, message))
        return None
    before = len(issues)
    values = tuple(_scalar(item, f"{path}[{i}]", spec, issues) for i, item in enumerate(raw))
    return None if len(issues) > before else tuple(v for v in values if v is not None)


def _between(
    raw: object, path: str, spec: FieldSpec, issues: list[RuleIssue]
) -> tuple[Scalar, ...] | None:
    if not isinstance(raw, list) or len(raw) != 2:
        issues.append(RuleIssue(path, "between takes an array [low, high]"))
        return None
    low = _scalar(raw[0], f"{path}[0]", spec, issues)
    high = _scalar(raw[1], f"{path}[1]", spec, issues)
    if not isinstance(low, float) or not isinstance(high, float):
        return None
    if low > high:
        issues.append(RuleIssue(path, f"between needs low <= high, got [{low}, {high}]"))
        return None
    return (low, high)


def _scalar(raw: object, path: str, spec: FieldSpec, issues: list[RuleIssue]) -> Scalar | None:
    problem = _scalar_problem(raw, spec)
    if problem is not None:
        issues.append(RuleIssue(path, problem))
        return None
    if isinstance(raw, bool | str):
        return raw
    return float(raw) if isinstance(raw, int | float) else None


def _scalar_problem(raw: object, spec: FieldSpec) -> str | None:
    expected = "boolean" if spec.kind is FieldKind.BOOL else "number"
    if spec.kind in (FieldKind.STRING, FieldKind.ENUM, FieldKind.SET):
        expected = "string"
    if json_type(raw) != expected:
        return f"'{spec.name}' compares with a {expected}, got {json_type(raw)}"
    if isinstance(raw, float | int) and not isinstance(raw, bool):
        return _number_problem(float(raw), spec)
    if isinstance(raw, str):
        return _string_problem(raw, spec)
    return None


def _number_problem(value: float, spec: FieldSpec) -> str | None:
    if not math.isfinite(value):
        return "number must be finite"
    if spec.minimum is not None and value < spec.minimum:
        return f"'{spec.name}' is never below {spec.minimum:g}, got {value:g}"
    if spec.maximum is not None and value > spec.maximum:
        return f"'{spec.name}' is never above {spec.maximum:g}, got {value:g}"
    return None


def _string_problem(value: str, spec: FieldSpec) -> str | None:
    if spec.choices and value not in spec.choices:
        return f"{value!r} is not a valid '{spec.name}'; expected one of {', '.join(spec.choices)}"
    if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
        return f"{value!r} is not a valid '{spec.name}' (must match {spec.pattern})"
    return None
