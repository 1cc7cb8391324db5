"""CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions, DeleteFunction,
UpdateFunctionCode and UpdateFunctionConfiguration.

Only zip packages with Python runtimes are served (``ZipFile`` inline; S3 locations are refused
because the yard serves no S3). Stored and in-process functions share one listing, in name order;
``Marker`` is the last name of the previous page.
"""

from __future__ import annotations

import base64
from functools import partial
from typing import Any

from eventyard.functions import config as configs
from eventyard.functions import store
from eventyard.functions.code import check_zip, code_sha256
from eventyard.functions.core import FunctionCore
from eventyard.functions.errors import (
    REVISION_MISMATCH,
    InvalidParameterValue,
    PreconditionFailed,
    ResourceConflict,
    function_not_found,
)
from eventyard.functions.inprocess import InProcessFunction
from eventyard.functions.names import LATEST, FunctionName
from eventyard.functions.store import Function
from eventyard.service import RequestContext

DEFAULT_PAGE = 50


def _archive(code: dict[str, Any]) -> bytes:
    archive = code.get("ZipFile")
    if archive is None:
        if code.get("S3Bucket") or code.get("S3Key"):
            raise InvalidParameterValue("Eventyard serves no S3: give the deployment package as ZipFile.")
        if code.get("ImageUri"):
            raise InvalidParameterValue("Eventyard runs zip packages only (no container images).")
        raise InvalidParameterValue("Please provide a source for function code.")
    check_zip(archive)
    return bytes(archive)


def check_revision(given: str | None, current: str | None) -> None:
    if given is not None and given != current:
        raise PreconditionFailed(REVISION_MISMATCH)


class LifecycleOperations(FunctionCore):
    async def create_function(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("PackageType", "Zip") != "Zip":
            raise InvalidParameterValue("Eventyard runs zip packages only (no container images).")
        name = self.name_of(context, request["FunctionName"])
        if name.qualifier is not None:
            raise InvalidParameterValue("The function name can't have a version or alias.")
        configs.check_runtime(request.get("Runtime"))
        if not request.get("Handler"):
            raise InvalidParameterValue("Runtime and Handler are mandatory parameters for functions created with Zip.")
        configs.check_environment(request.get("Environment"))
        archive = _archive(request["Code"])
        sha = code_sha256(archive)
        now = self.now()
        config = configs.new_config(
            name.account, name.region, {**request, "FunctionName": name.name}, sha, len(archive), now
        )
        function = Function(name.account, name.region, name.name, config, dict(request.get("Tags") or {}))
        if self.in_process(name) is not None:
            raise ResourceConflict(f"Function already exist: {name.name}")
        publish = bool(request.get("Publish"))

        def create(c: Any) -> dict[str, Any]:
            if not store.insert_function(c, function, now):
                raise ResourceConflict(f"Function already exist: {name.name}")
            store.put_code(c, name.account, name.region, name.name, sha, archive)
            if publish:
                return self._publish_in(c, name, None, now)
            return config

        created = await self.write(create)
        return configs.as_created(created)

    async def get_function(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"], request.get("Qualifier"))
        found = await self.stored_or_in_process(name)
        if isinstance(found, InProcessFunction):
            if name.qualifier not in (None, LATEST):
                raise function_not_found(name.qualified_arn)
            return {"Configuration": configs.shown(found.config()), "Code": {"RepositoryType": "Eventyard"}}
        config = await self.version_config(name, found, name.qualifier)
        answer: dict[str, Any] = {
            "Configuration": configs.shown(config),
            "Code": {
                "RepositoryType": "S3",
                "Location": f"{context.endpoint}/_eventyard/functions/{name.account}/{name.region}/{name.name}"
                f"/code/{base64.b64decode(config['CodeSha256']).hex()}",
            },
        }
        if found.tags:
            answer["Tags"] = dict(found.tags)
        if found.reserved is not None:
            answer["Concurrency"] = {"ReservedConcurrentExecutions": found.reserved}
        return answer

    async def code_archive(self, account: str, region: str, name: str, sha_hex: str) -> bytes | None:
        """A function's zip by its SHA-256 in hex (GetFunction's ``Code.Location``), or None."""
        try:
            sha = base64.b64encode(bytes.fromhex(sha_hex)).decode()
        except ValueError:
            return None
        return await self.read(lambda c: store.get_code(c, account, region, name, sha))

    async def get_function_configuration(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"], request.get("Qualifier"))
        found = await self.stored_or_in_process(name)
        if isinstance(found, InProcessFunction):
            if name.qualifier not in (None, LATEST):
                raise function_not_found(name.qualified_arn)
            return configs.shown(found.config())
        return configs.shown(await self.version_config(name, found, name.qualifier))

    async def list_functions(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        limit = int(request.get("MaxItems") or DEFAULT_PAGE)
        after = str(request.get("Marker") or "")
        every_version = request.get("FunctionVersion") == "ALL"
        account, region = context.account, context.region
        stored = await self.read(lambda c: store.page_functions(c, account, region, after, limit + 1))
        entries: list[tuple[str, Any]] = [(f.name, f) for f in stored]
        entries += [(f.name, f) for f in self.registry.of(account, region) if f.name > after]
        entries.sort(key=lambda entry: entry[0])
        page, more = entries[:limit], len(entries) > limit
        functions: list[dict[str, Any]] = []
        for _, found in page:
            if isinstance(found, InProcessFunction):
                functions.append(configs.shown(found.config()))
                continue
            functions.append(configs.shown(found.config))
            if every_version:
                versions = await self.read(partial(store.versions_of, account=account, region=region, name=found.name))
                functions += [configs.shown(v) for v in versions]
        answer: dict[str, Any] = {"Functions": functions}
        if more:
            answer["NextMarker"] = page[-1][0]
        return answer

    async def delete_function(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"], request.get("Qualifier"))
        if self.in_process(name) is not None and name.qualifier is None:
            self.registry.remove(name.account, name.region, name.name)
            return {"StatusCode": 204}
        qualifier = name.qualifier
        if qualifier is not None and qualifier != LATEST:
            if not qualifier.isdigit():
                raise InvalidParameterValue("Deletion of aliases is not currently supported.")
            await self._delete_version(name, int(qualifier))
            return {"StatusCode": 204}
        if qualifier == LATEST:
            raise InvalidParameterValue("$LATEST version cannot be deleted without deleting the function.")
        deleted = await self.write(lambda c: store.delete_function(c, name.account, name.region, name.name))
        if not deleted:
            raise function_not_found(name.qualified_arn)
        self.runner.pools.forget(name.arn)
        return {"StatusCode": 204}

    async def _delete_version(self, name: FunctionName, version: int) -> None:
        def delete(c: Any) -> None:
            function = store.get_function(c, name.account, name.region, name.name)
            if function is None or not store.delete_version(c, name.account, name.region, name.name, version):
                raise function_not_found(name.qualified_arn)
            keep = {function.config["CodeSha256"]}
            keep |= {v["CodeSha256"] for v in store.versions_of(c, name.account, name.region, name.name)}
            store.drop_unused_code(c, name.account, name.region, name.name, keep)

        await self.write(delete)

    async def update_function_code(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        archive = _archive(request)
        sha = code_sha256(archive)
        now = self.now()
        dry_run = bool(request.get("DryRun"))
        publish = bool(request.get("Publish"))

        def update(c: Any) -> dict[str, Any]:
            function = _stored(c, name)
            check_revision(request.get("RevisionId"), function.config.get("RevisionId"))
            config = dict(function.config, CodeSha256=sha, CodeSize=len(archive))
            config["LastModified"] = configs.last_modified(now)
            config["RevisionId"] = configs.revision_id()
            if request.get("Architectures"):
                config["Architectures"] = request["Architectures"]
            if dry_run:
                return config
            store.put_code(c, name.account, name.region, name.name, sha, archive)
            function.config = config
            store.update_function(c, function)
            keep = {sha} | {v["CodeSha256"] for v in store.versions_of(c, name.account, name.region, name.name)}
            store.drop_unused_code(c, name.account, name.region, name.name, keep)
            return self._publish_in(c, name, None, now) if publish else config

        return configs.as_updating(await self.write(update))

    async def update_function_configuration(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        if "Runtime" in request:
            configs.check_runtime(request["Runtime"])
        if "Environment" in request:
            configs.check_environment(request["Environment"])
        now = self.now()

        def update(c: Any) -> dict[str, Any]:
            function = _stored(c, name)
            check_revision(request.get("RevisionId"), function.config.get("RevisionId"))
            function.config = configs.updated(function.config, request, now)
            store.update_function(c, function)
            return function.config

        return configs.as_updating(await self.write(update))

    def _publish_in(self, c: Any, name: FunctionName, description: str | None, now: float) -> dict[str, Any]:
        """Publish ``$LATEST`` as the next version inside a transaction (or answer the last version when
        nothing changed since, as AWS does)."""
        function = _stored(c, name, for_update=True)
        if function.last_version:
            last = store.get_version(c, name.account, name.region, name.name, function.last_version)
            if last is not None and _same_version(last, function.config):
                return last
        version = function.last_version + 1
        frozen = configs.version_config(function.config, version, description, now)
        store.insert_version(c, name.account, name.region, name.name, version, frozen)
        function.last_version = version
        store.update_function(c, function)
        return frozen


def _same_version(version: dict[str, Any], latest: dict[str, Any]) -> bool:
    ignored = {"Version", "FunctionArn", "RevisionId", "LastModified", "Description"}
    return {k: v for k, v in version.items() if k not in ignored} == {
        k: v for k, v in latest.items() if k not in ignored
    }


def _stored(c: Any, name: FunctionName, *, for_update: bool = False) -> Function:
    function = store.get_function(c, name.account, name.region, name.name, for_update=for_update)
    if function is None:
        raise function_not_found(name.qualified_arn)
    return function
