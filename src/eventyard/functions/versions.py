"""PublishVersion, ListVersionsByFunction and aliases (Create/Get/List/Update/DeleteAlias, routing).

A version freezes ``$LATEST``'s configuration and code (numbers count up from 1 and are never
reused); publishing with nothing changed since the last version answers that version. An alias
points at a version, optionally sending a share of invocations to one more version
(``RoutingConfig.AdditionalVersionWeights``).
"""

from __future__ import annotations

from typing import Any

from eventyard.functions import config as configs
from eventyard.functions import store
from eventyard.functions.errors import (
    InvalidParameterValue,
    PreconditionFailed,
    ResourceConflict,
    alias_not_found,
    function_not_found,
)
from eventyard.functions.lifecycle import LifecycleOperations, _stored, check_revision
from eventyard.functions.names import LATEST, FunctionName
from eventyard.service import RequestContext


def _alias_answer(name: FunctionName, doc: dict[str, Any]) -> dict[str, Any]:
    answer = {
        "AliasArn": f"{name.arn}:{doc['Name']}",
        "Name": doc["Name"],
        "FunctionVersion": doc["FunctionVersion"],
        "Description": doc.get("Description", ""),
        "RevisionId": doc["RevisionId"],
    }
    if doc.get("RoutingConfig"):
        answer["RoutingConfig"] = doc["RoutingConfig"]
    return answer


def _page(items: list[Any], marker: str | None, limit: int | None) -> tuple[list[Any], str | None]:
    start = int(marker) if marker and marker.isdigit() else 0
    size = int(limit or 50)
    chunk = items[start : start + size]
    return chunk, (str(start + size) if start + size < len(items) else None)


class VersionOperations(LifecycleOperations):
    async def publish_version(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        now = self.now()

        def publish(c: Any) -> dict[str, Any]:
            function = _stored(c, name, for_update=True)
            sha = request.get("CodeSha256")
            if sha is not None and sha != function.config["CodeSha256"]:
                raise InvalidParameterValue(
                    f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST "
                    f"({function.config['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST."
                )
            if request.get("RevisionId") is not None and request["RevisionId"] != function.config.get("RevisionId"):
                raise PreconditionFailed(
                    "The Revision Id provided does not match the latest Revision Id. "
                    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
                )
            return self._publish_in(c, name, request.get("Description"), now)

        return configs.shown(await self.write(publish))

    async def list_versions_by_function(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        found = self.in_process(name)
        if found is not None:
            every = [configs.shown(found.config())]
        else:
            function = await self.function(name)
            versions = await self.read(lambda c: store.versions_of(c, name.account, name.region, name.name))
            latest = dict(function.config, FunctionArn=f"{name.arn}:{LATEST}")
            every = [configs.shown(latest)] + [configs.shown(v) for v in versions]
        page, marker = _page(every, request.get("Marker"), request.get("MaxItems"))
        answer: dict[str, Any] = {"Versions": page}
        if marker:
            answer["NextMarker"] = marker
        return answer

    # --- aliases ------------------------------------------------------------------------------------

    def _check_target(self, c: Any, name: FunctionName, version: str, routing: dict[str, Any] | None) -> None:
        if version != LATEST and store.get_version(c, name.account, name.region, name.name, int(version)) is None:
            raise function_not_found(f"{name.arn}:{version}")
        weights = (routing or {}).get("AdditionalVersionWeights") or {}
        if len(weights) > 1:
            raise InvalidParameterValue("Number of items in AdditionalVersionWeights cannot be greater than 1")
        for extra in weights:
            if extra == version:
                raise InvalidParameterValue(
                    f"Invalid function version {version}. Function version {version} is already included in "
                    "routing configuration."
                )
            if store.get_version(c, name.account, name.region, name.name, int(extra)) is None:
                raise function_not_found(f"{name.arn}:{extra}")

    async def create_alias(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        alias = request["Name"]
        doc = {
            "Name": alias,
            "FunctionVersion": request["FunctionVersion"],
            "Description": request.get("Description", ""),
            "RoutingConfig": request.get("RoutingConfig"),
            "RevisionId": configs.revision_id(),
        }

        def create(c: Any) -> None:
            _stored(c, name)
            if store.get_alias(c, name.account, name.region, name.name, alias) is not None:
                raise ResourceConflict(f"Alias already exists: {name.arn}:{alias}")
            self._check_target(c, name, doc["FunctionVersion"], doc["RoutingConfig"])
            store.put_alias(c, name.account, name.region, name.name, alias, doc)

        await self.write(create)
        return _alias_answer(name, doc)

    async def get_alias(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        await self.function(name)
        return _alias_answer(name, await self.alias(name, request["Name"]))

    async def list_aliases(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        await self.function(name)
        docs = await self.read(lambda c: store.aliases_of(c, name.account, name.region, name.name))
        wanted = request.get("FunctionVersion")
        every = [_alias_answer(name, d) for d in docs if wanted is None or d["FunctionVersion"] == wanted]
        page, marker = _page(every, request.get("Marker"), request.get("MaxItems"))
        answer: dict[str, Any] = {"Aliases": page}
        if marker:
            answer["NextMarker"] = marker
        return answer

    async def update_alias(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        alias = request["Name"]

        def update(c: Any) -> dict[str, Any]:
            _stored(c, name)
            doc = store.get_alias(c, name.account, name.region, name.name, alias)
            if doc is None:
                raise alias_not_found(f"{name.arn}:{alias}")
            check_revision(request.get("RevisionId"), doc.get("RevisionId"))
            for member in ("FunctionVersion", "Description", "RoutingConfig"):
                if member in request:
                    doc[member] = request[member]
            self._check_target(c, name, doc["FunctionVersion"], doc.get("RoutingConfig"))
            doc["RevisionId"] = configs.revision_id()
            store.put_alias(c, name.account, name.region, name.name, alias, doc)
            return doc

        return _alias_answer(name, await self.write(update))

    async def delete_alias(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        alias = request["Name"]
        await self.write(lambda c: store.delete_alias(c, name.account, name.region, name.name, alias))
        return {}
