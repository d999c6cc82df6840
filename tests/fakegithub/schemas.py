"""Validation of the fake's traffic against GitHub's official REST schemas.

`../shared/github/rest/operations.json` (when present) describes each
operation: path and query parameters, request body, responses. Requests are
matched to operations by method and path template; validators are compiled
once per process and cached, so validating every exchange stays cheap.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from tests.shared import SHARED, has_shared

OPERATIONS = ("github", "rest", "operations.json")
MULTI_SEGMENT = {"path", "basehead"}
# Octokit's alias of the basehead operation; matching the basehead form is enough.
SKIP = {"repos/compare-commits"}


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


def available() -> bool:
    return has_shared(*OPERATIONS)


@lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    if not available():
        return ()
    data = json.loads(SHARED.joinpath(*OPERATIONS).read_text())
    ops = []
    for op_id, spec in data["operations"].items():
        if op_id in SKIP:
            continue
        ops.append(
            Operation(op_id, spec["method"].upper(), spec["path"], template_regex(spec["path"], spec), spec)
        )
    # The most literal template wins: /issues/comments/{id} before /issues/{number}.
    ops.sort(key=lambda o: -len(re.sub(r"\{[^}]+\}", "", o.template)))
    return tuple(ops)


def template_regex(template: str, spec: dict[str, Any] | None = None) -> re.Pattern[str]:
    """`{name}` matches one segment (digits only for integer parameters, so
    `/issues/comments` is not read as issue number "comments"); `{path}` and
    `{basehead}` match several."""
    integers = {
        p["name"]
        for p in (spec or {}).get("parameters", [])
        if p.get("in") == "path" and (p.get("schema") or {}).get("type") == "integer"
    }
    out = ""
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            name = part[1:-1]
            if name in MULTI_SEGMENT:
                out += f"(?P<{name}>.+)"
            elif name in integers:
                out += f"(?P<{name}>\\d+)"
            else:
                out += f"(?P<{name}>[^/]+)"
        else:
            out += re.escape(part)
    return re.compile(out + r"/?$")


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for op in operations():
        if op.method != method.upper():
            continue
        m = op.pattern.match(path)
        if m:
            return op, m.groupdict()
    return None


@cache
def _validator(op_id: str, where: str, key: str) -> Draft202012Validator | None:
    spec = next(o.spec for o in operations() if o.id == op_id)
    schema: Any = None
    if where == "body":
        schema = (spec.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
    elif where == "param":
        for p in spec.get("parameters", []):
            if f"{p['in']}:{p['name']}" == key:
                schema = p.get("schema")
    elif where == "response":
        content = spec["responses"].get(key, {}).get("content") or {}
        media = content.get("application/json") or next(iter(content.values()), None)
        schema = media.get("schema") if media else None
    if schema is None:
        return None
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _errors(validator: Draft202012Validator, value: Any, label: str) -> list[str]:
    out = []
    for err in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))[:5]:
        where = "/".join(str(p) for p in err.absolute_path) or "<root>"
        out.append(f"{label} {where}: {err.message[:300]}")
    return out


def coerce(value: str, schema: dict[str, Any] | None) -> Any:
    """Query and path values arrive as text; give them the schema's type."""
    types = (schema or {}).get("type")
    types = types if isinstance(types, list) else [types]
    if "integer" in types:
        try:
            return int(value)
        except ValueError:
            return value
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value


def validate_request(
    op: Operation, path_params: dict[str, str], query: dict[str, str], body: Any, has_body: bool
) -> list[str]:
    problems: list[str] = []
    params = {f"{p['in']}:{p['name']}": p for p in op.spec.get("parameters", [])}
    for name, value in path_params.items():
        key = f"path:{name}"
        v = _validator(op.id, "param", key)
        if v is not None:
            problems += _errors(v, coerce(value, params[key].get("schema")), f"path parameter {name}")
    for name, value in query.items():
        key = f"query:{name}"
        if key not in params:
            problems.append(f"query parameter {name!r} is not a parameter of {op.id}")
            continue
        v = _validator(op.id, "param", key)
        if v is not None:
            problems += _errors(v, coerce(value, params[key].get("schema")), f"query parameter {name}")
    for p in params.values():
        if p.get("required") and p["in"] == "query" and p["name"] not in query:
            problems.append(f"required query parameter {p['name']!r} missing")
    request_body = op.spec.get("requestBody")
    if has_body:
        v = _validator(op.id, "body", "")
        if v is None:
            if request_body is None and body not in (None, {}, b""):
                problems.append(f"{op.id} takes no request body")
        else:
            problems += _errors(v, body, "request body")
    elif request_body and request_body.get("required"):
        problems.append("request body required but absent")
    return problems


def validate_response(op: Operation, status: int, body: Any) -> tuple[list[str], bool]:
    """(problems, validated): statuses the description does not list are not validated."""
    if str(status) not in op.spec["responses"]:
        return [], False
    if status in (204, 304) or body is None:
        return [], True
    v = _validator(op.id, "response", str(status))
    if v is None:
        return [], True
    return _errors(v, body, f"response {status}"), True
