"""In-process functions: Python callables registered by an application, invoked without a worker process.

Two ways to register one (see the package docstring for the whole API)::

    from eventyard.functions import function

    @function("resize", timeout=30)            # module level: picked up by every yard built later
    def resize(event, context): ...            # (``eventyard serve --app mypkg.app`` imports it)

    yard.functions.register("resize", resize)  # on one yard

A registered function is listed by ListFunctions and answered by GetFunction like any other (its
Runtime is this interpreter's, its Handler the callable's ``module.qualname``), and Invoke, rules,
subscriptions, workflows and event source mappings reach it by name or ARN. It is not stored: the
application registers it again at each start. A plain ``def`` runs in a thread (so it may call the
yard over HTTP with boto3 without blocking the server); an ``async def`` runs on the yard's loop.
A timeout answers ``Sandbox.Timedout`` but cannot stop a thread that keeps running.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eventyard.functions.config import last_modified
from eventyard.functions.names import LATEST, function_arn
from eventyard.service import DEFAULT_ACCOUNT, DEFAULT_REGION

Handler = Callable[[Any, Any], Any]
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclass
class InProcessFunction:
    name: str
    handler: Handler
    timeout: int = 3
    memory: int = 128
    description: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    registered_at: float = 0.0

    @property
    def arn(self) -> str:
        return function_arn(self.account, self.region, self.name)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    def config(self) -> dict[str, Any]:
        """Its FunctionConfiguration, as GetFunction answers it."""
        spec = f"{getattr(self.handler, '__module__', '?')}.{getattr(self.handler, '__qualname__', '?')}"
        sha = base64.b64encode(hashlib.sha256(spec.encode()).digest()).decode()
        config: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": self.arn,
            "Runtime": RUNTIME,
            "Role": f"arn:aws:iam::{self.account}:role/eventyard-in-process",
            "Handler": spec,
            "CodeSize": 0,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory,
            "LastModified": last_modified(self.registered_at),
            "CodeSha256": sha,
            "Version": LATEST,
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": "00000000-0000-0000-0000-" + sha.encode().hex()[:12],
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.name}"},
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "InProcess": True,
        }
        if self.environment:
            config["Environment"] = {"Variables": dict(self.environment)}
        return config


#: Functions registered with the :func:`function` decorator: every yard built afterwards serves them.
DECORATED: dict[tuple[str, str, str], InProcessFunction] = {}


def function(
    name: str | None = None,
    *,
    timeout: int = 3,
    memory: int = 128,
    description: str = "",
    environment: dict[str, str] | None = None,
    account: str = DEFAULT_ACCOUNT,
    region: str = DEFAULT_REGION,
) -> Callable[[Handler], Handler]:
    """Register the decorated ``handler(event, context)`` as function ``name`` (default: its own name)."""

    def register(handler: Handler) -> Handler:
        found = InProcessFunction(
            name or handler.__name__, handler, timeout, memory, description, dict(environment or {}), account, region
        )
        DECORATED[(account, region, found.name)] = found
        return handler

    return register


class Registry:
    """The in-process functions one yard serves: its own registrations over the decorated ones."""

    def __init__(self) -> None:
        self.own: dict[tuple[str, str, str], InProcessFunction] = {}

    def add(self, found: InProcessFunction) -> None:
        self.own[(found.account, found.region, found.name)] = found

    def remove(self, account: str, region: str, name: str) -> bool:
        return self.own.pop((account, region, name), None) is not None

    def get(self, account: str, region: str, name: str) -> InProcessFunction | None:
        key = (account, region, name)
        return self.own.get(key) or DECORATED.get(key)

    def of(self, account: str, region: str) -> list[InProcessFunction]:
        every = {**DECORATED, **self.own}
        return sorted((f for (a, r, _), f in every.items() if a == account and r == region), key=lambda f: f.name)
