"""AWS's JSONPath dialect, as Step Functions applies it to InputPath, Parameters, ResultPath and friends.

Step Functions evaluates paths with Jayway JsonPath over Jackson nodes, and its quirks are the contract:

- a *definite* path (only field names and single indexes) yields one value; an *indefinite* one
  (``[*]``, ``..``, slices, filters, unions) yields a list, empty when nothing matched;
- in a definite path a missing leaf is ``No results for path: $['a']['b']``, a missing intermediate
  field ``Missing property in path $['a']``, and stepping into a non-object names the node's class;
  in an indefinite path such misses are skipped silently, even before its first wildcard;
- an index past the end of an array yields null rather than a miss (Jackson's ``ArrayNode.get``).

Paths start at ``$`` (the state's data), ``$$`` (the context object) or ``$name`` (a workflow
variable). Each path is compiled once and cached by its text (``compile_path``): this runs on every
state transition, so evaluation only walks data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eventyard.workflows.errors import StatesError

_JACKSON = "com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider"
_NAME = re.compile(r"[^.\[\]()\s,'\"=<>!&|]+")
_INT = re.compile(r"\s*(-?\d+)\s*")


class PathError(StatesError):
    """A path that matched nothing or could not be applied (``States.Runtime`` unless said otherwise).

    ``fragment`` is AWS's text without the state prefix, e.g.
    ``Invalid path '$.foo' : No results for path: $['foo']``; the interpreter prepends
    ``An error occurred while executing the state 'X' (entered at the event id #N). ``.
    """

    def __init__(self, fragment: str, error: str = "States.Runtime") -> None:
        super().__init__(error, fragment)
        self.fragment = fragment


class JsonPathSyntaxError(ValueError):
    """The text is not a path this dialect accepts (create-time validation reports it)."""


class JsonPathMiss(LookupError):
    """A definite path that matched nothing; ``str()`` is Jayway's own message."""


# --- compiled paths --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """One step: ``kind`` is field, index, fields, indexes, wildcard, slice, filter or scan."""

    kind: str
    value: Any = None

    @property
    def definite(self) -> bool:
        return self.kind in ("field", "index")

    def fragment(self) -> str:
        """Jayway's normalized text of the step (``['name']``, ``[0]``), as its messages print it."""
        if self.kind == "field":
            return f"['{self.value}']"
        if self.kind == "index":
            return f"[{self.value}]"
        return "[*]"


@dataclass(frozen=True, slots=True)
class CompiledPath:
    """A parsed path: where it starts (``$``, ``$$`` or a variable name) and its steps."""

    text: str
    root: str
    segments: tuple[Segment, ...]
    definite: bool

    @property
    def has_scan(self) -> bool:
        return any(s.kind == "scan" for s in self.segments)

    def normalized(self) -> str:
        """Jayway's normalized form of a definite path: ``$['a'][0]``."""
        return "$" + "".join(s.fragment() for s in self.segments)

    def evaluate(self, document: Any, *, strict_index: bool = False) -> Any:
        """One value for a definite path, a list for an indefinite one; JsonPathMiss when a definite
        path matches nothing. ``strict_index`` makes an index past the end a miss instead of null."""
        if not self.segments:
            return document
        results: list[Any] = []
        _walk(self.segments, 0, "$", document, self.definite, results, strict_index, document)
        if self.definite:
            if not results:
                raise JsonPathMiss(f"No results for path: {self.normalized()}")
            return results[0]
        return results


def _class_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "com.fasterxml.jackson.databind.node.BooleanNode"
    if isinstance(value, int):
        return "com.fasterxml.jackson.databind.node.IntNode"
    if isinstance(value, float):
        return "com.fasterxml.jackson.databind.node.DoubleNode"
    if isinstance(value, str):
        return "com.fasterxml.jackson.databind.node.TextNode"
    return "com.fasterxml.jackson.databind.node.ArrayNode"


def _walk(
    segments: tuple[Segment, ...],
    position: int,
    path: str,
    node: Any,
    definite: bool,
    out: list[Any],
    strict_index: bool,
    root: Any,
) -> None:
    """Collect what the steps from ``position`` select under ``node``.

    Only a definite path reports a miss: AWS answers an indefinite one (``$.items[*]``,
    ``$.a.b[1:]``) with an empty list even when a field before its wildcard is missing
    (test_base.snapshot.json, test_json_path_array_wildcard_or_slice_with_no_input), where Jayway
    alone would report the missing property.
    """
    if position == len(segments):
        out.append(node)
        return
    segment = segments[position]
    kind = segment.kind

    def descend(child_path: str, child: Any) -> None:
        _walk(segments, position + 1, child_path, child, definite, out, strict_index, root)

    if kind == "field":
        if not isinstance(node, dict):
            if definite:
                raise JsonPathMiss(
                    f"Expected to find an object with property {segment.fragment()} in path {path} but found "
                    f"'{_class_name(node)}'. This is not a json object according to the JsonProvider: '{_JACKSON}'."
                )
            return
        child_path = path + segment.fragment()
        if segment.value in node:
            descend(child_path, node[segment.value])
        elif position < len(segments) - 1 and definite:
            raise JsonPathMiss(f"Missing property in path {child_path}")
    elif kind == "index":
        if not isinstance(node, list):
            if definite:
                if node is None:
                    raise JsonPathMiss(f"The path {path} is null")
                raise JsonPathMiss(
                    f"Filter: {segment.fragment()} can only be applied to arrays. Current context is: {to_json(node)}"
                )
            return
        index = segment.value + len(node) if segment.value < 0 else segment.value
        if 0 <= index < len(node):
            descend(path + segment.fragment(), node[index])
        elif not strict_index:
            descend(path + segment.fragment(), None)
    elif kind == "fields":
        if isinstance(node, dict):
            for name in segment.value:
                if name in node:
                    descend(f"{path}['{name}']", node[name])
    elif kind == "indexes":
        if isinstance(node, list):
            for raw in segment.value:
                index = raw + len(node) if raw < 0 else raw
                if 0 <= index < len(node):
                    descend(f"{path}[{index}]", node[index])
    elif kind == "wildcard":
        if isinstance(node, dict):
            for key, child in node.items():
                descend(f"{path}['{key}']", child)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                descend(f"{path}[{i}]", child)
    elif kind == "slice":
        if isinstance(node, list):
            for i in range(*slice(*segment.value).indices(len(node))):
                descend(f"{path}[{i}]", node[i])
    elif kind == "filter":
        if isinstance(node, list):
            for i, child in enumerate(node):
                if segment.value(child, root):
                    descend(f"{path}[{i}]", child)
        elif isinstance(node, dict) and segment.value(node, root):
            descend(path, node)
    elif kind == "scan":
        rest = (segment.value, *segments[position + 1 :])
        for found_path, found in _descendants(path, node):
            _walk(rest, 0, found_path, found, False, out, strict_index, root)


def _descendants(path: str, node: Any) -> list[tuple[str, Any]]:
    """``node`` and everything under it, parents before children: Jayway's deep-scan order."""
    found = [(path, node)]
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_descendants(f"{path}['{key}']", child))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found.extend(_descendants(f"{path}[{i}]", child))
    return found


def to_json(value: Any) -> str:
    """Compact JSON as AWS prints values inside its messages."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- parsing ---------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def compile_path(text: str) -> CompiledPath:
    """Parse ``text`` once (cached); raises JsonPathSyntaxError."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise JsonPathSyntaxError(f"The path '{text}' must start with '$'")
    if text.startswith("$$"):
        root, position = "$$", 2
    elif text[1:2] in ("", ".", "["):
        root, position = "$", 1
    else:
        match = _NAME.match(text, 1)
        if not match:
            raise JsonPathSyntaxError(f"Invalid path '{text}'")
        root, position = match.group(), match.end()
    parser = _Parser(text, position)
    segments = parser.segments()
    if parser.position != len(text):
        raise parser.fail("Unexpected character")
    return CompiledPath(text, root, tuple(segments), all(s.definite for s in segments))


def check_path(text: str, *, reference: bool = False) -> str | None:
    """Why ``text`` is not a valid Path (or, with ``reference``, ReferencePath), or None when it is."""
    try:
        compiled = compile_path(text)
    except JsonPathSyntaxError as error:
        return str(error)
    if reference and not compiled.definite:
        return f"The path '{text}' is not a valid reference path: it must identify a single node"
    return None


class _Parser:
    def __init__(self, text: str, position: int) -> None:
        self.text = text
        self.position = position

    def fail(self, what: str) -> JsonPathSyntaxError:
        return JsonPathSyntaxError(f"{what} at position {self.position} in path '{self.text}'")

    def peek(self, count: int = 1) -> str:
        return self.text[self.position : self.position + count]

    def segments(self) -> list[Segment]:
        found: list[Segment] = []
        while self.position < len(self.text):
            if self.peek(2) == "..":
                self.position += 2
                found.append(Segment("scan", self.step_after_dot()))
            elif self.peek() == ".":
                self.position += 1
                found.append(self.step_after_dot())
            elif self.peek() == "[":
                found.append(self.bracket())
            else:
                break
        return found

    def step_after_dot(self) -> Segment:
        if self.peek() == "*":
            self.position += 1
            return Segment("wildcard")
        if self.peek() == "[":
            return self.bracket()
        match = _NAME.match(self.text, self.position)
        if not match:
            raise self.fail("Expected a field name")
        self.position = match.end()
        if self.peek() == "(":
            raise self.fail(f"Function '{match.group()}' is not supported")
        return Segment("field", match.group())

    def spaces(self) -> None:
        while self.peek() == " ":
            self.position += 1

    def bracket(self) -> Segment:
        self.position += 1
        self.spaces()
        if self.peek() == "*":
            self.position += 1
            segment = Segment("wildcard")
        elif self.peek() == "?":
            self.position += 1
            predicate, self.position = _FilterParser(self.text, self.position).parse()
            segment = Segment("filter", predicate)
        elif self.peek() in ("'", '"'):
            names = [self.quoted()]
            self.spaces()
            while self.peek() == ",":
                self.position += 1
                self.spaces()
                names.append(self.quoted())
                self.spaces()
            segment = Segment("field", names[0]) if len(names) == 1 else Segment("fields", tuple(names))
        else:
            segment = self.indexes()
        self.spaces()
        if self.peek() != "]":
            raise self.fail("Expected ']'")
        self.position += 1
        return segment

    def quoted(self) -> str:
        value, self.position = _read_quoted(self.text, self.position, self.fail)
        return value

    def integer(self) -> int | None:
        match = _INT.match(self.text, self.position)
        if not match:
            return None
        self.position = match.end()
        return int(match.group(1))

    def indexes(self) -> Segment:
        first = self.integer()
        if self.peek() == ":":
            self.position += 1
            return Segment("slice", (first, self.integer()))
        if first is None:
            raise self.fail("Expected an index")
        found = [first]
        while self.peek() == ",":
            self.position += 1
            value = self.integer()
            if value is None:
                raise self.fail("Expected an index")
            found.append(value)
        return Segment("index", first) if len(found) == 1 else Segment("indexes", tuple(found))


def _read_quoted(text: str, position: int, fail: Callable[[str], Exception]) -> tuple[str, int]:
    """A quoted name: a backslash escapes the closing quote (and a backslash); before any other
    character it stays, as AWS reads ``$['Test\\"Name']`` (test_base_scenarios
    test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH])."""
    quote = text[position]
    position += 1
    chars: list[str] = []
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            following = text[position + 1]
            chars.append(following if following in (quote, "\\") else char + following)
            position += 2
        elif char == quote:
            return "".join(chars), position + 1
        else:
            chars.append(char)
            position += 1
    raise fail("Unterminated string")


# --- filters: [?(@.price < 10 && @.tags)] -----------------------------------------------------------

_MISSING = object()
Predicate = Callable[[Any, Any], bool]
Operand = Callable[[Any, Any], Any]
_SYMBOL_OPERATORS = ("==", "!=", "<=", ">=", "=~", "<", ">")
_WORD_OPERATOR = re.compile(r"(nin|in|subsetof|anyof|noneof|size|empty|contains)\b")


class _FilterParser:
    """Jayway's filter grammar: ``||``, ``&&``, ``!``, parentheses, comparisons, ``=~ /re/i``,
    ``in``/``nin``/``subsetof``/``anyof``/``noneof``/``size``/``empty``/``contains``, and existence."""

    def __init__(self, text: str, position: int) -> None:
        self.text = text
        self.position = position

    def fail(self, what: str) -> JsonPathSyntaxError:
        return JsonPathSyntaxError(f"{what} at position {self.position} in filter of path '{self.text}'")

    def spaces(self) -> None:
        while self.position < len(self.text) and self.text[self.position] == " ":
            self.position += 1

    def take(self, token: str) -> bool:
        self.spaces()
        if self.text.startswith(token, self.position):
            self.position += len(token)
            return True
        return False

    def parse(self) -> tuple[Predicate, int]:
        predicate = self.disjunction()
        return predicate, self.position

    def disjunction(self) -> Predicate:
        terms = [self.conjunction()]
        while self.take("||"):
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else (lambda item, root: any(t(item, root) for t in terms))

    def conjunction(self) -> Predicate:
        terms = [self.unary()]
        while self.take("&&"):
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else (lambda item, root: all(t(item, root) for t in terms))

    def unary(self) -> Predicate:
        if self.take("!"):
            inner = self.unary()
            return lambda item, root: not inner(item, root)
        self.spaces()
        if self.take("("):
            inner = self.disjunction()
            if not self.take(")"):
                raise self.fail("Expected ')'")
            return inner
        return self.relation()

    def relation(self) -> Predicate:
        left = self.operand()
        self.spaces()
        operator = next((o for o in _SYMBOL_OPERATORS if self.text.startswith(o, self.position)), None)
        if operator is None and (word := _WORD_OPERATOR.match(self.text, self.position)):
            operator = word.group(1)
        if operator is not None:
            self.position += len(operator)
            right = self.operand()
            compare = _COMPARISONS[operator]
            return lambda item, root: _relate(compare, left(item, root), right(item, root))
        return lambda item, root: left(item, root) is not _MISSING

    def operand(self) -> Operand:
        self.spaces()
        text, position = self.text, self.position
        char = text[position : position + 1]
        if char in ("@", "$"):
            match = re.compile(r"[@$](?:\.\.?[^\s.\[\]()=<>!&|,]+|\.\*|\[[^\]]*\])*").match(text, position)
            assert match is not None
            self.position = match.end()
            relative = "$" + match.group()[1:]
            compiled = compile_path(relative)
            use_root = char == "$"

            def read(item: Any, root: Any) -> Any:
                try:
                    return compiled.evaluate(root if use_root else item, strict_index=True)
                except JsonPathMiss:
                    return _MISSING

            return read
        if char in ("'", '"'):
            value, self.position = _read_quoted(text, position, self.fail)
            return lambda item, root: value
        if char == "/":
            end = text.index("/", position + 1)
            flags_match = re.compile(r"[imsx]*").match(text, end + 1)
            assert flags_match is not None
            flags = re.IGNORECASE if "i" in flags_match.group() else 0
            pattern = re.compile(text[position + 1 : end], flags)
            self.position = flags_match.end()
            return lambda item, root: pattern
        if char == "[":
            end = text.index("]", position)
            values = json.loads(text[position : end + 1].replace("'", '"'))
            self.position = end + 1
            return lambda item, root: values
        match = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null").match(text, position)
        if not match:
            raise self.fail("Expected a value")
        self.position = match.end()
        literal = json.loads(match.group())
        return lambda item, root: literal


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    return type(left) is type(right) and left == right


def _order(left: Any, right: Any) -> int | None:
    if (_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str)):
        return (left > right) - (left < right)
    return None


def _ordered(test: Callable[[int], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        order = _order(left, right)
        return order is not None and test(order)

    return compare


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _same,
    "!=": lambda left, right: not _same(left, right),
    "<": _ordered(lambda o: o < 0),
    "<=": _ordered(lambda o: o <= 0),
    ">": _ordered(lambda o: o > 0),
    ">=": _ordered(lambda o: o >= 0),
    "=~": lambda left, right: isinstance(left, str) and bool(right.fullmatch(left)),
    "in": lambda left, right: any(_same(left, r) for r in _as_list(right)),
    "nin": lambda left, right: not any(_same(left, r) for r in _as_list(right)),
    "subsetof": lambda left, right: all(any(_same(x, r) for r in _as_list(right)) for x in _as_list(left)),
    "anyof": lambda left, right: any(any(_same(x, r) for r in _as_list(right)) for x in _as_list(left)),
    "noneof": lambda left, right: not any(any(_same(x, r) for r in _as_list(right)) for x in _as_list(left)),
    "size": lambda left, right: isinstance(left, list | str) and _same(len(left), right),
    "empty": lambda left, right: isinstance(left, list | str) and (len(left) == 0) == right,
    "contains": lambda left, right: (
        (isinstance(left, str) and isinstance(right, str) and right in left)
        or (isinstance(left, list) and any(_same(x, right) for x in left))
    ),
}


def _relate(compare: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    if left is _MISSING or right is _MISSING:
        return False
    return compare(left, right)


# --- what the interpreter calls ----------------------------------------------------------------------


def _source(compiled: CompiledPath, data: Any, context: Any, variables: dict[str, Any] | None) -> Any:
    if compiled.root == "$":
        return data
    if compiled.root == "$$":
        return context
    if variables is None or compiled.root not in variables:
        raise JsonPathMiss(f"The variable '${compiled.root}' is not defined")
    return variables[compiled.root]


def evaluate_path(
    path: str, data: Any, *, context: Any = None, variables: dict[str, Any] | None = None, strict_index: bool = False
) -> Any:
    """Like ``select`` but raising JsonPathMiss / JsonPathSyntaxError: for callers that word their own error."""
    compiled = compile_path(path)
    return compiled.evaluate(_source(compiled, data, context, variables), strict_index=strict_index)


def select(path: str, data: Any, *, context: Any = None, variables: dict[str, Any] | None = None) -> Any:
    """The value ``path`` selects (InputPath, OutputPath, ItemsPath, SecondsPath, Choice Variable...):
    ``$...`` from ``data``, ``$$...`` from ``context``, ``$name...`` from ``variables``.

    Raises PathError ``Invalid path '<path>' : <Jayway message>`` when a definite path matches nothing.
    """
    try:
        return evaluate_path(path, data, context=context, variables=variables)
    except (JsonPathMiss, JsonPathSyntaxError) as miss:
        raise PathError(f"Invalid path '{path}' : {miss}") from None


def resolve_payload(template: Any, data: Any, *, context: Any = None, variables: dict[str, Any] | None = None) -> Any:
    """A payload template (Parameters, ResultSelector, ItemSelector, Assign) made concrete.

    A key ending in ``.$`` loses the suffix and takes the value of its path (``$``, ``$$``, ``$var``)
    or intrinsic call; other values are copied; objects and arrays recurse. A path that matches
    nothing fails with States.Runtime, naming the key and the input as AWS does. Selected values
    are shared with ``data``, not copied: treat JSON values as immutable.
    """
    if isinstance(template, dict):
        resolved: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                resolved[key[:-2]] = _resolve_field(key, value, data, context, variables)
            else:
                resolved[key] = resolve_payload(value, data, context=context, variables=variables)
        return resolved
    if isinstance(template, list):
        return [resolve_payload(item, data, context=context, variables=variables) for item in template]
    return template


def _resolve_field(key: str, expression: str, data: Any, context: Any, variables: dict[str, Any] | None) -> Any:
    from eventyard.workflows.intrinsics import evaluate_intrinsic, is_intrinsic

    if is_intrinsic(expression):
        return evaluate_intrinsic(expression, data, context=context, variables=variables)
    try:
        value = evaluate_path(expression, data, context=context, variables=variables)
    except (JsonPathMiss, JsonPathSyntaxError):
        raise PathError(
            f"The JSONPath '{expression}' specified for the field '{key}' could not be found "
            f"in the input '{to_json(_input_of(expression, data, context, variables))}'"
        ) from None
    return value


def _input_of(path: str, data: Any, context: Any, variables: dict[str, Any] | None) -> Any:
    """The document a path reads, as AWS names it in a 'could not be found in the input' message."""
    try:
        root = compile_path(path).root
    except JsonPathSyntaxError:
        return data
    if root == "$":
        return data
    if root == "$$":
        return context
    return (variables or {}).get(root)


def apply_result_path(result_path: str | None, state_input: Any, result: Any) -> Any:
    """The state's output before OutputPath: ``result`` placed into the raw input at ``result_path``.

    ``$`` (or absent) replaces the input, None (JSON null) discards the result and keeps the input,
    ``$.a.b`` sets that field, creating missing objects on the way. The input is not modified: the
    objects along the path are copied. A path that cannot be applied (the input or an intermediate
    value is not an object) is States.ResultPathMatchFailure.
    """
    if result_path is None:
        return state_input
    compiled = compile_path(result_path)
    if not compiled.segments:
        return result
    if compiled.root != "$" or not compiled.definite:
        raise _result_path_failure(result_path, state_input)
    output = _shallow_copy(state_input)
    node = output
    for position, segment in enumerate(compiled.segments):
        last = position == len(compiled.segments) - 1
        if segment.kind == "field" and isinstance(node, dict):
            if last:
                node[segment.value] = result
            else:
                child = node.get(segment.value)
                child = {} if child is None and segment.value not in node else _shallow_copy(child)
                if not isinstance(child, dict | list):
                    raise _result_path_failure(result_path, state_input)
                node[segment.value] = child
                node = child
        elif segment.kind == "index" and isinstance(node, list) and -len(node) <= segment.value < len(node):
            if last:
                node[segment.value] = result
            else:
                child = _shallow_copy(node[segment.value])
                if not isinstance(child, dict | list):
                    raise _result_path_failure(result_path, state_input)
                node[segment.value] = child
                node = child
        else:
            raise _result_path_failure(result_path, state_input)
    return output


def _result_path_failure(result_path: str, state_input: Any) -> PathError:
    """Built only when a ResultPath fails: the message prints the whole input."""
    return PathError(
        f"Unable to apply ReferencePath {result_path} to input {to_json(state_input)}",
        error="States.ResultPathMatchFailure",
    )


def _shallow_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value
