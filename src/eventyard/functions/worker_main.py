"""The program of a warm worker process: import a handler once, then serve invocations over a pipe.

Run as ``python worker_main.py CODE_DIR HANDLER`` by :mod:`eventyard.functions.workers`, with the
function's environment (AWS's reserved variables, the yard's endpoint and test credentials, the
function's own Variables). It uses the standard library only, so starting one costs an interpreter
and the handler's own imports, nothing of Eventyard's.

The protocol, on the process's stdin and a duplicate of its original stdout (fd 1 itself goes to
stderr, so a stray C-level write can't corrupt a frame): every message is a frame of two parts, each
a 4-byte big-endian length and that many bytes: a JSON header and a raw body.

- worker -> parent, once, after the import: ``{"ready": true, "logs": ...}`` or
  ``{"ready": false, "error": {...}, "logs": ...}`` (the import failed: every invoke answers that).
- parent -> worker: ``{"id", "deadline_ms", "arn", "version", "memory", "name", "log_group",
  "log_stream"}`` and the event's JSON bytes.
- worker -> parent: ``{"error": bool, "logs": "...", "memory_mb": peak RSS}`` and the result's JSON bytes (the error
  document ``{errorMessage, errorType, requestId, stackTrace}`` when ``error``).

A worker runs one invocation at a time; the parent kills it when it overruns its timeout.

:class:`LambdaContext` is the context object handlers get, here and for in-process functions.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import resource
import struct
import sys
import time
import traceback
from typing import Any, BinaryIO

_LENGTH = struct.Struct(">I")


class LambdaContext:
    """The ``context`` argument of a handler, with the attributes and method AWS's Python runtime gives."""

    def __init__(
        self,
        *,
        function_name: str,
        function_version: str,
        invoked_function_arn: str,
        memory_limit_in_mb: int,
        aws_request_id: str,
        log_group_name: str,
        log_stream_name: str,
        deadline_ms: int,
        client_context: Any = None,
        identity: Any = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.invoked_function_arn = invoked_function_arn
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.aws_request_id = aws_request_id
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.client_context = client_context
        self.identity = identity
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out (never below 0)."""
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext({self.function_name}:{self.function_version}, request {self.aws_request_id})"


def error_document(error: BaseException, request_id: str, *, skip: int = 1) -> dict[str, Any]:
    """An unhandled exception as AWS's Python runtime reports it."""
    frames = traceback.extract_tb(error.__traceback__)[skip:]
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def error_log(error: BaseException, skip: int = 1) -> str:
    """The ``[ERROR]`` lines AWS's Python runtime prints for an unhandled exception."""
    frames = traceback.extract_tb(error.__traceback__)[skip:]
    lines = "".join(traceback.format_list(frames))
    return f"[ERROR] {type(error).__name__}: {error}\nTraceback (most recent call last):\n{lines}"


def dumps_result(result: Any) -> bytes:
    return json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _Capture(io.TextIOBase):
    """What the handler prints, kept for the invocation's log."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def writable(self) -> bool:
        return True

    def text(self) -> str:
        found = "".join(self.parts)
        self.parts.clear()
        return found


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> tuple[dict[str, Any], bytes]:
    (size,) = _LENGTH.unpack(_read_exactly(stream, 4))
    header = json.loads(_read_exactly(stream, size))
    (size,) = _LENGTH.unpack(_read_exactly(stream, 4))
    return header, _read_exactly(stream, size)


def frame(header: dict[str, Any], body: bytes) -> bytes:
    encoded = json.dumps(header).encode()
    return _LENGTH.pack(len(encoded)) + encoded + _LENGTH.pack(len(body)) + body


def load_handler(spec: str) -> Any:
    """``module.function`` (``pkg/module.function`` as AWS allows) -> the function."""
    module_name, _, attribute = spec.rpartition(".")
    module = importlib.import_module(module_name.replace("/", "."))
    return getattr(module, attribute)


def _import_error(error: BaseException, spec: str) -> dict[str, Any]:
    module_name, _, attribute = spec.rpartition(".")
    if isinstance(error, AttributeError) or not module_name:
        return {"errorMessage": f"Handler '{attribute}' missing on module '{module_name}'",
                "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}  # fmt: skip
    if isinstance(error, SyntaxError):
        return {"errorMessage": f"Syntax error in module '{module_name}': {error}",
                "errorType": "Runtime.UserCodeSyntaxError", "requestId": "", "stackTrace": []}  # fmt: skip
    return {"errorMessage": f"Unable to import module '{module_name}': {error}",
            "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}  # fmt: skip


def main(argv: list[str]) -> int:
    code_dir, spec = argv[1], argv[2]
    channel = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    capture = _Capture()
    real_out, real_err = sys.stdout, sys.stderr
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    sys.stdout = sys.stderr = capture
    try:
        handler: Any = load_handler(spec)
        ready: dict[str, Any] = {"ready": True}
    except BaseException as error:  # the import failed: every invoke reports it
        handler = None
        ready = {"ready": False, "error": _import_error(error, spec)}
        capture.write(error_log(error, skip=0))
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    ready["logs"] = capture.text()
    channel.write(frame(ready, b""))
    while True:
        try:
            request, body = read_frame(requests)
        except (EOFError, OSError):
            return 0
        channel.write(_invoke(handler, ready, request, body, capture))


def _invoke(handler: Any, ready: dict[str, Any], request: dict[str, Any], body: bytes, capture: _Capture) -> bytes:
    request_id = request["id"]
    if handler is None:
        document = dict(ready["error"], requestId=request_id)
        return frame({"error": True, "logs": ""}, dumps_result(document))
    context = LambdaContext(
        function_name=request["name"],
        function_version=request["version"],
        invoked_function_arn=request["arn"],
        memory_limit_in_mb=request["memory"],
        aws_request_id=request_id,
        log_group_name=request["log_group"],
        log_stream_name=request["log_stream"],
        deadline_ms=request["deadline_ms"],
        client_context=request.get("client_context"),
    )
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = capture
    failed = False
    try:
        event = json.loads(body) if body else {}
        result = dumps_result(handler(event, context))
    except TypeError as error:
        failed, result = _marshal_or_raise(error, request_id, capture)
    except Exception as error:
        failed = True
        capture.write(error_log(error))
        result = dumps_result(error_document(error, request_id))
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return frame({"error": failed, "logs": capture.text(), "memory_mb": used}, result)


def _marshal_or_raise(error: TypeError, request_id: str, capture: _Capture) -> tuple[bool, bytes]:
    """A result json can't write is Runtime.MarshalError; any other TypeError is the handler's own."""
    frames = traceback.extract_tb(error.__traceback__)
    if frames and frames[-1].name in ("default", "encode", "iterencode", "dumps") and "JSON" in str(error):
        document = {"errorMessage": f"Unable to marshal response: {error}", "errorType": "Runtime.MarshalError",
                    "requestId": request_id, "stackTrace": []}  # fmt: skip
        capture.write(f"[ERROR] Runtime.MarshalError: Unable to marshal response: {error}\n")
        return True, dumps_result(document)
    capture.write(error_log(error))
    return True, dumps_result(error_document(error, request_id))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
