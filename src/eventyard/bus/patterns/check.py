"""Parse and validate an event pattern exactly as EventBridge does: ``parse_pattern(text) -> Pattern``.

The walk mirrors event-ruler's JSON rule compiler (the validator behind PutRule and
TestEventPattern) token by token, so the *first* problem in document order is the one reported, with
AWS's wording: ``Event pattern is not valid. Reason: <event-ruler's message>`` followed by Jackson's
location. Quirks kept on purpose because clients see them:

- a problem inside an ``anything-but`` list is reported with its location twice (AWS wraps it);
- CIDR and the ``anything-but`` single-number range problems carry no location;
- a later duplicate path overrides an earlier one; text after the closing brace is never read.
"""

from __future__ import annotations

import re
from decimal import Decimal

from eventyard.bus.patterns.model import (
    AnythingBut,
    AnythingButIgnoreCase,
    AnythingButPrefix,
    AnythingButSuffix,
    AnythingButWildcard,
    Condition,
    EqualsIgnoreCase,
    Exact,
    Exists,
    IpRange,
    Matcher,
    Numeric,
    Pattern,
    Prefix,
    Suffix,
    Wildcard,
)
from eventyard.bus.patterns.tokens import Kind, Tokens, invalid
from eventyard.bus.patterns.values import (
    FALSE,
    NULL,
    NUMBER_LIMIT,
    TRUE,
    IpAddress,
    LeafKey,
    looks_like_ip,
    number_text_key,
    parse_ip,
    scaled_number,
)
from eventyard.bus.patterns.wildcard import (
    MAX_COMPLEXITY,
    TOO_COMPLEX,
    WildcardSyntaxError,
    complexity,
    parse_wildcard,
)

OR = "$or"
#: Each $or multiplies the pattern's branches (parallel $or's multiply each other), so a 4 KB pattern
#: could ask for 2^90 of them. event-ruler sets no bound of its own; this one keeps checking and
#: matching within milliseconds and refuses the pattern beyond it.
MAX_OR_COMBINATIONS = 1000
TOO_MANY_OR_COMBINATIONS = (
    f"Rule is too complex - the {OR} relationships make more than {MAX_OR_COMBINATIONS} combinations"
)
# Names event-ruler keeps for itself: a field inside a $or branch may not use them.
RESERVED_IN_OR = frozenset(
    [
        "exactly",
        "equals-ignore-case",
        "prefix",
        "suffix",
        "anything-but",
        "exists",
        "wildcard",
        "numeric",
        "cidr",
        "=",
        "<",
        "<=",
        ">",
        ">=",
        "regex",
        "not-wildcard",
        "not-equals-ignore-case",
        "date-after",
        "date-on-or-after",
        "date-before",
        "date-on-or-before",
        "in-date-range",
        "ip-address-in-range",
        "ip-address-not-in-range",
    ]
)
_NOT_ALLOWED_IN_LIST = "Inside anything but list, start|null|boolean is not supported."
_ONE_KEY = "Only one key allowed in match expression"
_TOO_MANY_NUMERIC = "Too many elements in numeric expression"
_LITERALS: dict[Kind, LeafKey] = {Kind.TRUE: TRUE, Kind.FALSE: FALSE, Kind.NULL: NULL}

Branch = dict[str, tuple[Matcher, ...]]


class _Wrapped(Exception):
    """event-ruler catches an error inside an anything-but list and reports it again (location twice)."""


def parse_pattern(text: str, *, filter_policy: bool = False) -> Pattern:
    """Check ``text`` (an EventPattern as sent to PutRule/TestEventPattern) and return its compiled form.

    Raises ``InvalidEventPatternException`` carrying AWS's message for the first problem found.
    ``filter_policy``: the text is an SNS filter policy, whose language is this one without
    ``wildcard`` and with ``prefix`` as the only ``anything-but`` variant (AWS-recorded messages:
    ``Unrecognized match type wildcard``, ``Unsupported anything-but pattern: suffix``).
    """
    return _Checker(text, filter_policy).pattern()


class _Checker:
    def __init__(self, text: str, filter_policy: bool = False) -> None:
        self.text = text
        self.tokens = Tokens(text)
        self.filter_policy = filter_policy

    # --- structure ------------------------------------------------------------------------------

    def pattern(self) -> Pattern:
        if self.tokens.next().kind is not Kind.START_OBJECT:
            raise self.tokens.fail("Filter is not an object")
        branches: list[Branch] = []
        self._object(branches, [], inside_or=False)
        # A dict keeps the first occurrence of each branch in order, and finds repeats in O(1).
        rows = dict.fromkeys(tuple(Condition(path, branch[path]) for path in sorted(branch)) for branch in branches)
        conditions = list(rows)
        _check_wildcard_complexity(conditions)
        return Pattern(branches=tuple(conditions), text=self.text)

    def _object(self, branches: list[Branch], path: list[str], inside_or: bool) -> None:
        tokens = self.tokens
        fields_present = False
        while (token := tokens.next()).kind is not Kind.END_OBJECT:
            fields_present = True
            name = token.text
            if name == OR:
                self._or(branches, path)
                continue
            if inside_or and name in RESERVED_IN_OR:
                raise tokens.fail(f"{name} is Ruler reserved fieldName which cannot be used inside {OR}.")
            value = tokens.next()
            if value.kind is Kind.START_OBJECT:
                path.append(name)
                self._object(branches, path, inside_or)
                path.pop()
            elif value.kind is Kind.START_ARRAY:
                self._field(branches, ".".join([*path, name]))
            else:
                raise tokens.fail(f'"{name}" must be an object or an array')
        if not fields_present:
            raise tokens.fail("Empty objects are not allowed")

    def _or(self, branches: list[Branch], path: list[str]) -> None:
        tokens = self.tokens
        before = [dict(branch) for branch in branches]
        branches.clear()
        if tokens.next().kind is not Kind.START_ARRAY:
            raise tokens.fail(f"It must be an Array followed with {OR}.")
        count = 0
        while (token := tokens.next()).kind is not Kind.END_ARRAY:
            count += 1
            if token.kind is not Kind.START_OBJECT:
                raise tokens.fail(f"Only JSON object is allowed in array of {OR} relationship.")
            forked = [dict(branch) for branch in before] or [{}]
            self._object(forked, path, inside_or=True)
            branches.extend(forked)
            if len(branches) > MAX_OR_COMBINATIONS:
                raise tokens.fail(TOO_MANY_OR_COMBINATIONS)
        if count < 2:
            raise tokens.fail(f"There must have at least 2 Objects in {OR} relationship.")

    def _field(self, branches: list[Branch], name: str) -> None:
        tokens = self.tokens
        matchers: list[Matcher] = []
        while (token := tokens.next()).kind is not Kind.END_ARRAY:
            if token.kind is Kind.START_OBJECT:
                matchers.append(self._match_expression())
            elif token.kind is Kind.STRING:
                text = tokens.read_text()
                address = parse_ip(text) if looks_like_ip(text) else None
                matchers.append(IpRange(address, address) if address else Exact(text))
            elif token.kind is Kind.NUMBER:
                matchers.append(Exact(number_text_key(token.text)))
            elif token.kind in _LITERALS:
                matchers.append(Exact(_LITERALS[token.kind]))
            else:
                raise tokens.fail("Match value must be String, number, true, false, or null")
        if not matchers:
            raise tokens.fail("Empty arrays are not allowed")
        if not branches:
            branches.append({})
        for branch in branches:
            branch[name] = tuple(matchers)

    # --- match expressions ----------------------------------------------------------------------

    def _match_expression(self) -> Matcher:
        tokens = self.tokens
        token = tokens.next()
        if token.kind is not Kind.FIELD_NAME:
            raise tokens.fail("Match expression name not found")
        kind = token.text
        if kind == "numeric":
            if tokens.next().kind is not Kind.START_ARRAY:
                raise tokens.fail("Value of numeric must be an array.")
            numeric = self._numeric()
            self._expect_end(_TOO_MANY_NUMERIC)
            return numeric
        if kind == "anything-but":
            return self._anything_but()
        if kind == "exists":
            value = tokens.next()
            if value.kind not in (Kind.TRUE, Kind.FALSE):
                raise tokens.fail("exists match pattern must be either true or false.")
            self._expect_end(_ONE_KEY)
            return Exists(value.kind is Kind.TRUE)
        if kind in ("prefix", "suffix"):
            value = tokens.next()
            if value.kind is Kind.START_OBJECT:
                return self._affix_ignoring_case(kind)
            if value.kind is not Kind.STRING:
                raise tokens.fail(f"{kind} match pattern must be a string")
            text = tokens.read_text()
            self._expect_end(_ONE_KEY)
            return Prefix(text) if kind == "prefix" else Suffix(text)
        if kind == "wildcard" and self.filter_policy:
            raise tokens.fail(f"Unrecognized match type {kind}")
        if kind in ("exactly", "equals-ignore-case", "wildcard", "cidr"):
            value = tokens.next()
            if value.kind is not Kind.STRING:
                what = {"exactly": "exact", "cidr": "prefix"}.get(kind, kind)
                raise tokens.fail(f"{what} match pattern must be a string")
            text = tokens.read_text()
            matcher: Matcher
            if kind == "exactly":
                matcher = Exact(text)
            elif kind == "equals-ignore-case":
                matcher = EqualsIgnoreCase(text.lower())
            elif kind == "cidr":
                matcher = _cidr(text)
            else:
                matcher = self._wildcard(text)
            self._expect_end(_ONE_KEY)
            return matcher
        raise tokens.fail(f"Unrecognized match type {kind}")

    def _expect_end(self, message: str) -> None:
        if self.tokens.next().kind is not Kind.END_OBJECT:
            raise self.tokens.fail(message)

    def _wildcard(self, text: str) -> Wildcard:
        try:
            return parse_wildcard(text)
        except WildcardSyntaxError as error:
            raise self.tokens.fail(str(error))

    def _affix_ignoring_case(self, kind: str) -> Matcher:
        tokens = self.tokens
        if tokens.next().kind is not Kind.FIELD_NAME:
            raise tokens.fail(f"{kind.capitalize()} expression name not found")
        operator = tokens.read_text()
        if operator != "equals-ignore-case":
            raise tokens.fail(f"Unsupported {kind} pattern: {operator}")
        if tokens.next().kind is not Kind.STRING:
            raise tokens.fail("equals-ignore-case match pattern must be a string")
        text = tokens.read_text().lower()
        self._expect_end(_ONE_KEY)
        self._expect_end(_ONE_KEY)
        return Prefix(text, ignore_case=True) if kind == "prefix" else Suffix(text, ignore_case=True)

    def _anything_but(self) -> Matcher:
        tokens = self.tokens
        variant = ""
        token = tokens.next()
        if token.kind is Kind.START_OBJECT:
            if tokens.next().kind is not Kind.FIELD_NAME:
                raise tokens.fail("Anything-But expression name not found")
            variant = tokens.read_text()
            allowed = ("prefix",) if self.filter_policy else ("equals-ignore-case", "prefix", "suffix", "wildcard")
            if variant not in allowed:
                raise tokens.fail(f"Unsupported anything-but pattern: {variant}")
            token = tokens.next()
            if self.filter_policy and token.kind in (Kind.TRUE, Kind.FALSE, Kind.NULL):
                raise tokens.fail("prefix match pattern must be a string")  # SNS's words, where EventBridge's differ
        if token.kind not in (Kind.START_ARRAY, Kind.STRING, Kind.NUMBER):
            raise tokens.fail("Value of anything-but must be an array or single string/number value.")
        if token.kind is Kind.START_ARRAY:
            try:
                matcher = self._anything_but_list(variant)
            except _Wrapped as wrapped:
                raise invalid(str(wrapped.args[0]), self.tokens.location() + self.tokens.location())
        else:
            matcher = self._anything_but_single(variant)
        self._expect_end(_TOO_MANY_NUMERIC)
        if variant:
            self._expect_end(_TOO_MANY_NUMERIC)
        return matcher

    def _anything_but_single(self, variant: str) -> Matcher:
        tokens = self.tokens
        token = tokens.current
        assert token is not None
        if not variant:
            if token.kind is Kind.STRING:
                return AnythingBut(frozenset([tokens.read_text()]))
            try:
                return AnythingBut(frozenset([_comparable(token.text)]))
            except _RangeError as error:  # AWS reports this one without a location
                raise invalid(str(error))
        if token.kind is not Kind.STRING:
            raise tokens.fail(_value_set_type_error(variant))
        text = tokens.read_text()
        if variant in ("prefix", "suffix") and not text:
            raise tokens.fail("Null prefix/suffix not allowed")
        return self._value_set(variant, [text])

    def _anything_but_list(self, variant: str) -> Matcher:
        tokens = self.tokens
        texts: list[str] = []
        numbers: list[int] = []
        while (token := tokens.next()).kind is not Kind.END_ARRAY:
            if token.kind is Kind.STRING:
                text = tokens.read_text()
                if variant in ("prefix", "suffix") and not text:
                    raise _Wrapped("Null prefix/suffix not allowed")
                texts.append(text)
            elif token.kind is Kind.NUMBER and not variant:
                try:
                    numbers.append(_comparable(token.text))
                except _RangeError as error:
                    raise tokens.fail(str(error))
            elif variant:
                raise _Wrapped(_value_set_type_error(variant))
            else:
                raise _Wrapped(_NOT_ALLOWED_IN_LIST)
        if variant:
            return self._value_set(variant, texts)
        if bool(texts) == bool(numbers):
            raise tokens.fail(
                "Inside anything but list, either all values are number or string, mixed type is not supported"
            )
        return AnythingBut(frozenset(texts) if texts else frozenset(numbers))

    def _value_set(self, variant: str, texts: list[str]) -> Matcher:
        if variant == "prefix":
            return AnythingButPrefix(frozenset(texts))
        if variant == "suffix":
            return AnythingButSuffix(frozenset(texts))
        if variant == "equals-ignore-case":
            return AnythingButIgnoreCase(frozenset(text.lower() for text in texts))
        return AnythingButWildcard(frozenset(self._wildcard(text) for text in texts))

    # --- numeric --------------------------------------------------------------------------------

    def _numeric(self) -> Numeric:
        tokens = self.tokens
        token = tokens.next()
        if token.kind is not Kind.STRING:
            raise tokens.fail(f"Invalid member in numeric match: {token.text}")
        operator = tokens.read_text()
        value = tokens.next()
        try:
            if operator == "=":
                if value.kind is not Kind.NUMBER:
                    raise tokens.fail("Value of equals must be numeric")
                if tokens.next().kind is not Kind.END_ARRAY:
                    raise tokens.fail(_TOO_MANY_NUMERIC)
                point = _comparable(value.text)
                return Numeric(point, False, point, False)
            if operator in (">", ">="):
                if value.kind is not Kind.NUMBER:
                    raise tokens.fail(f"Value of {operator} must be numeric")
                after = tokens.next()
                if after.kind is Kind.END_ARRAY:
                    return _range(value.text, operator == ">", None, False)
                return self._numeric_top(value.text, operator == ">")
            if operator in ("<", "<="):
                if value.kind is not Kind.NUMBER:
                    raise tokens.fail(f"Value of {operator} must be numeric")
                if tokens.next().kind is not Kind.END_ARRAY:
                    raise tokens.fail(_TOO_MANY_NUMERIC)
                return _range(None, False, value.text, operator == "<")
            raise tokens.fail(f"Unrecognized numeric range operator: {operator}")
        except _RangeError as error:
            raise tokens.fail(str(error))

    def _numeric_top(self, bottom: str, bottom_open: bool) -> Numeric:
        tokens = self.tokens
        token = tokens.current
        assert token is not None
        if token.kind is not Kind.STRING:
            raise tokens.fail(f"Bad value in numeric range: {token.text}")
        operator = tokens.read_text()
        if operator not in ("<", "<="):
            raise tokens.fail(f"Bad numeric range operator: {operator}")
        top = tokens.next()
        if top.kind is not Kind.NUMBER:
            raise tokens.fail(f"Value of {operator} must be numeric")
        if tokens.next().kind is not Kind.END_ARRAY:
            raise tokens.fail("Too many terms in numeric range expression")
        return _range(bottom, bottom_open, top.text, operator == "<")


# --- helpers --------------------------------------------------------------------------------------


class _RangeError(ValueError):
    """A numeric bound AWS refuses (reported with the location of the current token)."""


def _comparable(text: str) -> int:
    """The scaled comparable form of a pattern number, or ``_RangeError`` with AWS's refusal."""
    number = Decimal(text)
    scaled = scaled_number(number)
    if scaled is not None:
        return scaled
    if number.normalize().as_tuple().exponent < -6:  # type: ignore[operator]
        raise _RangeError("Only values upto 6 decimals are supported")
    raise _RangeError("Value must be between -5.0E9 and 5.0E9, inclusive")


def _range(bottom: str | None, bottom_open: bool, top: str | None, top_open: bool) -> Numeric:
    low = Decimal(bottom) if bottom is not None else Decimal(-5_000_000_000)
    high = Decimal(top) if top is not None else Decimal(5_000_000_000)
    if low >= high:
        raise _RangeError("Bottom must be less than top")
    low_key = _comparable(bottom) if bottom is not None else -NUMBER_LIMIT
    high_key = _comparable(top) if top is not None else NUMBER_LIMIT
    return Numeric(low_key, bottom_open, high_key, top_open)


def _value_set_type_error(variant: str) -> str:
    if variant == "equals-ignore-case":
        return "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
    if variant == "wildcard":
        return "wildcard match pattern must be a string"
    return "prefix/suffix match pattern must be a string"


_MASK = re.compile(r"[+-]?[0-9]{1,10}")


def _cidr(text: str) -> IpRange:
    """A CIDR block as event-ruler reads it (the range starts at the address given, unmasked)."""
    pieces = text.split("/")
    while len(pieces) > 1 and not pieces[-1]:  # Java's split drops trailing empty strings
        pieces.pop()
    if len(pieces) != 2:
        raise invalid("Malformed CIDR, one '/' required")
    if not _MASK.fullmatch(pieces[1]) or not -(2**31) <= int(pieces[1]) < 2**31:
        raise invalid("Malformed CIDR, mask bits must be an integer")
    mask = int(pieces[1])
    if mask < 0:
        raise invalid("Malformed CIDR, mask bits must not be negative")
    if not looks_like_ip(pieces[0]):
        raise invalid(f"Nonstandard IP address: {pieces[0]}")
    address = parse_ip(pieces[0])
    if address is None:
        raise invalid(f"Invalid IP address: {pieces[0]}")
    if address.bits == 32 and mask > 31:
        raise invalid("IPv4 mask bits must be < 32")
    if address.bits == 128 and mask > 127:
        raise invalid("IPv6 mask bits must be < 128")
    host_bits = (1 << (address.bits - mask)) - 1
    return IpRange(address, IpAddress(address.bits, address.value | host_bits))


def _check_wildcard_complexity(branches: list[tuple[Condition, ...]]) -> None:
    by_path: dict[str, list[Wildcard]] = {}
    for branch in branches:
        for condition in branch:
            for matcher in condition.matchers:
                if type(matcher) is Wildcard and matcher not in by_path.setdefault(condition.path, []):
                    by_path[condition.path].append(matcher)
    for wildcards in by_path.values():
        if complexity(wildcards) > MAX_COMPLEXITY:
            raise invalid(TOO_COMPLEX)
