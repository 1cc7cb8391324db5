"""A pull tokenizer for pattern JSON that reports errors the way EventBridge does.

EventBridge validates patterns with a streaming (Jackson) parser: the first problem in document
order wins, whether it is bad JSON or a bad pattern, and every message ends with the place it was
found (`` at [Source: (String)"..."; line: 1, column: 11]``). Parsing the whole text first with
``json.loads`` would report syntax errors that AWS never reaches and lose the column, so the checker
pulls tokens one at a time from here instead.

Locations follow Jackson's rule: the column just after the current token, except that a string
value that was never read reports the column just after its opening quote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

from eventyard.errors import InvalidEventPatternException

MESSAGE_PREFIX = "Event pattern is not valid. Reason: "
_SOURCE_EXCERPT = 500  # Jackson cuts the quoted source after this many characters


class Kind(Enum):
    START_OBJECT = "{"
    END_OBJECT = "}"
    START_ARRAY = "["
    END_ARRAY = "]"
    FIELD_NAME = "field"
    STRING = "string"
    NUMBER = "number"
    TRUE = "true"
    FALSE = "false"
    NULL = "null"


SCALARS = (Kind.STRING, Kind.NUMBER, Kind.TRUE, Kind.FALSE, Kind.NULL)


@dataclass(slots=True)
class Token:
    kind: Kind
    text: str  # decoded string / field name, the number's source text, or the literal
    start: int  # offset of the token's first character
    end: int  # offset just after the token


def invalid(message: str, location: str = "") -> InvalidEventPatternException:
    """The one exception of pattern checking, with AWS's prefix and optional Jackson location."""
    return InvalidEventPatternException(MESSAGE_PREFIX + message + location)


class JsonSyntaxError(InvalidEventPatternException):
    """Malformed JSON: EventBridge's message, and Jackson's ``reason`` with its ``line`` and ``column``."""

    def __init__(self, reason: str, line: int, column: int, location: str) -> None:
        super().__init__(MESSAGE_PREFIX + reason + location)
        self.reason, self.line, self.column = reason, line, column


def syntax_error(text: str) -> JsonSyntaxError | None:
    """The first syntax error of the JSON value ``text`` starts with; None when that value is well formed."""
    tokens = Tokens(text)
    depth = 0
    try:
        while True:
            kind = tokens.next().kind
            depth += 1 if kind in (Kind.START_OBJECT, Kind.START_ARRAY) else 0
            depth -= 1 if kind in (Kind.END_OBJECT, Kind.END_ARRAY) else 0
            if depth == 0 and kind is not Kind.FIELD_NAME:
                return None
    except JsonSyntaxError as error:
        return error


class Tokens:
    """Tokens of one pattern text, pulled on demand, with Jackson-style error locations."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.current: Token | None = None
        self.current_read = True  # False while the current string token's text is unread
        self._stack: list[Kind] = []  # open containers
        self._expect_value_after_name = False
        self._need_comma = False

    # --- locations ------------------------------------------------------------------------------

    def location(self) -> str:
        """Jackson's `` at [Source: ...; line: L, column: C]`` for the current token."""
        token = self.current
        if token is None:
            offset = self.pos
        elif token.kind is Kind.STRING and not self.current_read:
            offset = token.start + 1
        elif token.kind is Kind.FIELD_NAME:
            offset = self._after_field_name(token)
        else:
            offset = token.end
        return self._location_at(offset)

    def _line_column(self, offset: int) -> tuple[int, int]:
        return self.text.count("\n", 0, offset) + 1, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def _location_at(self, offset: int) -> str:
        line, column = self._line_column(offset)
        source = self.text
        if len(source) > _SOURCE_EXCERPT:
            source = f'{source[:_SOURCE_EXCERPT]}"[truncated {len(self.text) - _SOURCE_EXCERPT} chars]'
        else:
            source = f'{source}"'
        return f'\n at [Source: (String)"{source}; line: {line}, column: {column}]'

    def _after_field_name(self, token: Token) -> int:
        # Jackson reads the colon and the start of the value together with the name.
        offset = self._skip_space(token.end)
        if offset < len(self.text) and self.text[offset] == ":":
            offset = self._skip_space(offset + 1)
            if offset < len(self.text):
                char = self.text[offset]
                if char in '"[{':
                    return offset + 1
                if char in "-0123456789tfn":
                    end = offset + 1
                    while end < len(self.text) and self.text[end] not in " \t\r\n,]}":
                        end += 1
                    return end
        return offset

    def fail(self, message: str) -> InvalidEventPatternException:
        return invalid(message, self.location())

    # --- reading --------------------------------------------------------------------------------

    def read_text(self) -> str:
        """The current token's text, marking a string as read (which moves Jackson's location)."""
        assert self.current is not None
        self.current_read = True
        return self.current.text

    def next(self) -> Token:
        """Advance to the next token; raise AWS's syntax message on malformed JSON."""
        token = self._scan()
        self.current = token
        self.current_read = token.kind is not Kind.STRING
        return token

    def _skip_space(self, offset: int) -> int:
        text = self.text
        while offset < len(text) and text[offset] in " \t\r\n":
            offset += 1
        return offset

    def _scan(self) -> Token:
        text = self.text
        pos = self._skip_space(self.pos)
        self.pos = pos
        in_object = bool(self._stack) and self._stack[-1] is Kind.START_OBJECT
        if pos >= len(text):
            if self._stack:
                container = "Object" if in_object else "Array"
                raise self._syntax(f"Unexpected end-of-input: expected close marker for {container}", pos)
            raise self._syntax("No content to map due to end-of-input", pos)
        char = text[pos]
        if self._stack and not self._expect_value_after_name:
            closer = "}" if in_object else "]"
            if char == closer:
                self._stack.pop()
                self._need_comma = bool(self._stack)
                self.pos = pos + 1
                kind = Kind.END_OBJECT if in_object else Kind.END_ARRAY
                return Token(kind, char, pos, pos + 1)
            if self._need_comma:
                if char != ",":
                    what = "Object entries" if in_object else "Array entries"
                    raise self._unexpected(char, pos, f"was expecting comma to separate {what}")
                pos = self._skip_space(pos + 1)
                self.pos = pos
                if pos >= len(text):
                    return self._scan()
                char = text[pos]
            if in_object:
                if char != '"':
                    raise self._unexpected(char, pos, "was expecting double-quote to start field name")
                name, end = self._string(pos)
                colon = self._skip_space(end)
                if colon >= len(text) or text[colon] != ":":
                    if colon >= len(text):
                        raise self._syntax("Unexpected end-of-input: expected close marker for Object", colon)
                    raise self._unexpected(text[colon], colon, "was expecting a colon to separate field name and value")
                self.pos = colon + 1
                self._expect_value_after_name = True
                return Token(Kind.FIELD_NAME, name, pos, end)
        self._expect_value_after_name = False
        self._need_comma = True
        if char == "{" or char == "[":
            self._stack.append(Kind.START_OBJECT if char == "{" else Kind.START_ARRAY)
            self._need_comma = False
            self.pos = pos + 1
            return Token(Kind.START_OBJECT if char == "{" else Kind.START_ARRAY, char, pos, pos + 1)
        if char == '"':
            value, end = self._string(pos)
            self.pos = end
            return Token(Kind.STRING, value, pos, end)
        if char == "-" or char.isdigit():
            return self._number(pos)
        end = pos
        while end < len(text) and (text[end].isalnum() or text[end] in "_$"):
            end += 1
        word = text[pos:end]
        literals = {"true": Kind.TRUE, "false": Kind.FALSE, "null": Kind.NULL}
        if word in literals:
            self.pos = end
            return Token(literals[word], word, pos, end)
        if not word:
            raise self._unexpected(char, pos, "expected a value")
        raise self._syntax(
            f"Unrecognized token '{word}': was expecting (JSON String, Number, Array, Object or token "
            "'null', 'true' or 'false')",
            end,
        )

    def _string(self, pos: int) -> tuple[str, int]:
        text = self.text
        end = pos + 1
        while True:
            if end >= len(text):
                raise self._syntax("Unexpected end-of-input in VALUE_STRING", end)
            char = text[end]
            if char == '"':
                break
            if char == "\\":
                end += 2
                continue
            if ord(char) < 0x20:
                raise self._syntax(
                    f"Illegal unquoted character ((CTRL-CHAR, code {ord(char)})): has to be escaped using "
                    "backslash to be included in string value",
                    end + 1,
                )
            end += 1
        raw = text[pos : end + 1]
        try:
            value = json.loads(raw)
        except ValueError:
            bad = raw.find("\\")
            while bad != -1 and raw[bad + 1] in '"\\/bfnrtu':
                bad = raw.find("\\", bad + 2)
            escaped = raw[bad + 1] if bad != -1 else "?"
            raise self._syntax(f"Unrecognized character escape '{escaped}' (code {ord(escaped)})", pos + bad + 2)
        return value, end + 1

    def _number(self, pos: int) -> Token:
        text = self.text
        end = pos
        while end < len(text) and text[end] in "+-0123456789.eE":
            end += 1
        raw = text[pos:end]
        digits = raw[1:] if raw.startswith("-") else raw
        if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
            raise self._syntax("Invalid numeric value: Leading zeroes not allowed", pos + 2)
        try:
            json.loads(raw)
        except ValueError:
            raise self._syntax(f"Invalid numeric value: Malformed number '{raw}'", end)
        self.pos = end
        return Token(Kind.NUMBER, raw, pos, end)

    # --- errors ---------------------------------------------------------------------------------

    def _syntax(self, message: str, offset: int) -> JsonSyntaxError:
        return JsonSyntaxError(message, *self._line_column(offset), self._location_at(offset))

    def _unexpected(self, char: str, offset: int, why: str) -> JsonSyntaxError:
        shown = repr(char)[1:-1] if char != "'" else "'"
        return self._syntax(f"Unexpected character ('{shown}' (code {ord(char)})): {why}", offset)
