"""AWS Lambda for Python handlers: :class:`FunctionService` joins the operation groups and owns the engines.

Every method takes the request as botocore's ``lambda`` model names it (already checked against
the model) and returns the response as boto3 shows it. Function ARNs are
``arn:aws:lambda:{region}:{account}:function:{name}[:{version or alias}]``.

Event source mappings live in :mod:`eventyard.functions.mappings` (built on their own branch): when
``eventyard.functions.mappings.operations`` exists, its ``MappingOperations`` mixin joins the
service here, with no other change. They (and anything else in the yard) invoke a function with
:meth:`~eventyard.functions.core.FunctionCore.invoke_function`, or ``yard.call("lambda", "Invoke", ...)``.

Not served: container images, layers' contents (Layers are recorded, not mounted), function URLs,
code signing, provisioned concurrency, capacity providers, durable executions.
"""

from __future__ import annotations

from typing import Any

from eventyard.functions.as_target import FunctionTarget
from eventyard.functions.async_invokes import AsyncInvokes
from eventyard.functions.inprocess import Handler, InProcessFunction
from eventyard.functions.invoking import InvokeOperations
from eventyard.functions.settings import SettingsOperations
from eventyard.functions.store import MIGRATIONS
from eventyard.functions.versions import VersionOperations
from eventyard.service import DEFAULT_ACCOUNT, DEFAULT_REGION

try:  # the event source mappings, once they exist (see the module doc)
    from eventyard.functions.mappings.operations import MappingOperations  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError as missing:
    if missing.name is None or not missing.name.startswith("eventyard.functions.mappings"):
        raise

    class MappingOperations:  # type: ignore[no-redef]
        """No event source mappings in this build: their operations answer "not yet supported"."""


class FunctionService(MappingOperations, InvokeOperations, SettingsOperations, VersionOperations):
    """Lambda in-process: functions, versions, aliases, invokes of botocore's ``lambda`` model."""

    name = "lambda"
    migrations = [*MIGRATIONS, *getattr(MappingOperations, "migrations", ())]

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self.async_invokes = AsyncInvokes(self)
        yard.kernel.register(self.async_invokes)
        target = FunctionTarget(self)
        yard.targets.register("lambda", "function:", target.deliver)

    async def start(self) -> None:
        await super().start()

    async def stop(self) -> None:
        await super().stop()  # the mixins' engines first (event source mappings' pollers)
        await self.runner.close()

    def register(
        self,
        name: str,
        handler: Handler,
        *,
        timeout: int = 3,
        memory: int = 128,
        description: str = "",
        environment: dict[str, str] | None = None,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
    ) -> InProcessFunction:
        """Serve ``handler(event, context)`` as function ``name``, in this process (see :mod:`.inprocess`)."""
        found = InProcessFunction(
            name, handler, timeout, memory, description, dict(environment or {}), account, region, self.now()
        )
        self.registry.add(found)
        return found
