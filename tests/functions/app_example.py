"""An application module for ``eventyard serve --app tests.functions.app_example`` (the wire tests)."""

from __future__ import annotations

from typing import Any

from eventyard.functions import function


@function("app-greet", timeout=5)
def greet(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"hello": event.get("name"), "request_id": context.aws_request_id}


def app(yard: Any) -> None:
    """Called with the yard: registers one more function on it."""
    yard.functions.register("app-upper", lambda event, context: str(event["text"]).upper())
