"""Shared by the functions tests: zips made from source text, and a create-and-wait helper."""

from __future__ import annotations

import io
import zipfile
from typing import Any

ROLE = "arn:aws:iam::000000000000:role/lambda"


def zipped(**files: str) -> bytes:
    """A zip archive holding ``name.py=source`` files (``app="..."`` -> ``app.py``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in files.items():
            archive.writestr(name if "." in name else f"{name}.py", source)
    return buffer.getvalue()


async def create(lam: Any, name: str, source: str, **extra: Any) -> dict[str, Any]:
    """CreateFunction of ``app.handler`` from ``source``."""
    result: dict[str, Any] = await lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Handler="app.handler",
        Role=ROLE,
        Code={"ZipFile": zipped(app=source)},
        **extra,
    )
    return result


ECHO = "def handler(event, context):\n    return {'event': event, 'version': context.function_version}\n"
FAILING = "def handler(event, context):\n    raise ValueError('bad order ' + str(event.get('n')))\n"
