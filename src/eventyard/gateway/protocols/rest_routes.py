"""Which operation a REST request calls: the HTTP method and the ``requestUri`` templates of the model.

A template is a path with labels, ``/2015-03-31/functions/{FunctionName}/invocations``, where a label
takes one path segment and a greedy label (``{Key+}``) takes the rest, slashes included; it may end in
literal query parts that the request must carry (``/{Bucket}?versions``, ``?list-type=2``). Labels are
matched on the raw (still percent-encoded) path, so an encoded ``/`` in a function name stays in its
label, then decoded. When several templates match, the most specific wins: more required query
parts, then more literal characters, then no greedy label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from eventyard.models import Model

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    operation: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]
    required_query: tuple[tuple[str, str | None], ...]
    specificity: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Match:
    operation: str
    labels: dict[str, str]


def compile_route(method: str, operation: str, template: str) -> Route:
    path, _, query = template.partition("?")
    required = tuple(
        (name, value if sep else None) for name, sep, value in (p.partition("=") for p in query.split("&") if p)
    )
    regex, labels, literal, greedy = ["^"], [], 0, 0
    position = 0
    path = path.rstrip("/") or ""
    for found in _LABEL.finditer(path):
        literal_text = path[position : found.start()]
        regex.append(re.escape(literal_text))
        literal += len(literal_text)
        name = found.group(1)
        if name.endswith("+"):
            regex.append("(.+)")
            name, greedy = name[:-1], greedy + 1
        else:
            regex.append("([^/]+)")
        labels.append(name)
        position = found.end()
    regex.append(re.escape(path[position:]))
    literal += len(path) - position
    regex.append("/?$")
    return Route(
        method.upper(),
        operation,
        re.compile("".join(regex)),
        tuple(labels),
        required,
        (len(required), literal, -greedy),
    )


class Routes:
    """The routes of one REST service, grouped by method, the most specific first."""

    def __init__(self, model: Model) -> None:
        self.by_method: dict[str, list[Route]] = {}
        for name, operation in model.operations.items():
            http = operation.http
            if "requestUri" not in http:
                continue
            route = compile_route(http.get("method", "POST"), name, http["requestUri"])
            self.by_method.setdefault(route.method, []).append(route)
        for routes in self.by_method.values():
            routes.sort(key=lambda route: route.specificity, reverse=True)

    def match(self, method: str, raw_path: str, query_string: str) -> Match | None:
        routes = self.by_method.get(method.upper())
        if not routes:
            return None
        query: dict[str, str] | None = None
        for route in routes:
            found = route.pattern.match(raw_path or "/")
            if found is None:
                continue
            if route.required_query:
                if query is None:
                    query = dict(parse_qsl(query_string, keep_blank_values=True))
                if any(name not in query or (value is not None and query[name] != value)
                       for name, value in route.required_query):  # fmt: skip
                    continue
            labels = zip(route.labels, found.groups(), strict=True)
            return Match(route.operation, {name: unquote(value) for name, value in labels})
        return None
