"""What every part of the functions service shares: storage access, finding a function and resolving
what an invocation runs (``$LATEST``, a version, an alias with its routing weights).

The operations are split by concept (lifecycle, versions and aliases, invoking, async settings,
concurrency and tags); each is a mixin over this core, and
:class:`~eventyard.functions.service.FunctionService` joins them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from eventyard.functions import names, store
from eventyard.functions.errors import ResourceNotFound, alias_not_found, function_not_found
from eventyard.functions.inprocess import InProcessFunction, Registry
from eventyard.functions.names import LATEST, FunctionName
from eventyard.functions.runner import Runner, Target
from eventyard.functions.store import Function
from eventyard.ids import new_uuid
from eventyard.service import RequestContext, Service

if TYPE_CHECKING:
    from eventyard.yard import Yard

T = TypeVar("T")


class FunctionCore(Service):
    def __init__(self, yard: Yard) -> None:
        super().__init__(yard)
        self.runner = Runner(yard)
        self.registry = Registry()

    def now(self) -> float:
        return self.yard.clock.now()

    async def read(self, job: Callable[[Any], T]) -> T:
        return await self.yard.db.read(job)

    async def write(self, job: Callable[[Any], T]) -> T:
        return await self.yard.db.write(job)

    def name_of(self, context: RequestContext, text: str, qualifier: str | None = None) -> FunctionName:
        return names.parse(text, context, qualifier)

    def in_process(self, name: FunctionName) -> InProcessFunction | None:
        return self.registry.get(name.account, name.region, name.name)

    async def function(self, name: FunctionName) -> Function:
        """The stored function, or Lambda's "Function not found" naming it as asked."""
        found = await self.read(lambda c: store.get_function(c, name.account, name.region, name.name))
        if found is None:
            raise function_not_found(name.qualified_arn)
        return found

    async def stored_or_in_process(self, name: FunctionName) -> Function | InProcessFunction:
        found = self.in_process(name)
        if found is not None:
            return found
        return await self.function(name)

    async def version_config(self, name: FunctionName, function: Function, qualifier: str | None) -> dict[str, Any]:
        """The configuration of ``$LATEST``, a version number or an alias's version."""
        if qualifier is None or qualifier == LATEST:
            return function.config
        if qualifier.isdigit():
            config = await self.read(
                lambda c: store.get_version(c, name.account, name.region, name.name, int(qualifier))
            )
            if config is None:
                raise function_not_found(name.qualified_arn)
            return config
        alias = await self.read(lambda c: store.get_alias(c, name.account, name.region, name.name, qualifier))
        if alias is None:
            raise function_not_found(name.qualified_arn)
        return await self.version_config(name, function, _routed_version(alias))

    async def alias(self, name: FunctionName, alias_name: str) -> dict[str, Any]:
        found = await self.read(lambda c: store.get_alias(c, name.account, name.region, name.name, alias_name))
        if found is None:
            raise alias_not_found(f"{name.arn}:{alias_name}")
        return found

    async def resolve(self, name: FunctionName) -> Target:
        """What an invocation of ``name`` (with its qualifier) runs."""
        invoked = name.qualified_arn
        found = self.in_process(name)
        if found is not None:
            if name.qualifier not in (None, LATEST):
                raise function_not_found(name.qualified_arn)
            return Target(name, found.config(), LATEST, invoked, None, found)
        function = await self.function(name)
        config = await self.version_config(name, function, name.qualifier)
        return Target(name, config, str(config.get("Version", LATEST)), invoked, function.reserved)

    async def invoke_function(
        self, context: RequestContext, function_name: str, payload: bytes, qualifier: str | None = None
    ) -> tuple[bytes, str | None]:
        """Invoke a function synchronously; returns (payload bytes, function_error or None).

        The internal way in for other parts of the yard (event source mappings): the same run as a
        RequestResponse Invoke, without the model check. Raises what Invoke raises (ResourceNotFound,
        TooManyRequests).
        """
        target = await self.resolve(self.name_of(context, function_name, qualifier))
        outcome = await self.runner.run(target, payload, new_uuid())
        return outcome.payload, outcome.function_error


def _routed_version(alias: dict[str, Any]) -> str:
    """An alias's version for one invocation: its FunctionVersion, or an additional version by weight."""
    weights = ((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")) or {}
    if weights:
        pick = random.random()
        for version, weight in weights.items():
            if pick < weight:
                return str(version)
            pick -= weight
    version = alias.get("FunctionVersion")
    if version is None:
        raise ResourceNotFound("The alias has no version.")
    return str(version)
