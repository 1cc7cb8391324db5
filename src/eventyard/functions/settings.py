"""A function's settings beside its code: reserved concurrency, the account's limits, tags, resource
policy statements and the event invoke configs of asynchronous invokes.

- Reserved concurrency (PutFunctionConcurrency) caps the invocations running at once on this node;
  past it, Invoke answers 429 TooManyRequestsException ("Rate Exceeded."); 0 throttles every one.
  The account has AWS's default 1000 concurrent executions, 100 of which can't be reserved.
- AddPermission/RemovePermission/GetPolicy keep the statements as AWS writes them; they are recorded,
  not enforced (the yard does not check IAM).
- Event invoke configs: MaximumRetryAttempts (0-2), MaximumEventAgeInSeconds (60-21600) and
  DestinationConfig, per qualifier (``$LATEST`` when none is given).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from eventyard import arn as arns
from eventyard.functions import store
from eventyard.functions.code import MAX_UNZIPPED, MAX_ZIPPED
from eventyard.functions.core import FunctionCore
from eventyard.functions.errors import (
    InvalidParameterValue,
    ResourceConflict,
    ResourceNotFound,
    function_not_found,
    no_event_invoke_config,
)
from eventyard.functions.lifecycle import _stored, check_revision
from eventyard.functions.names import LATEST, FunctionName
from eventyard.service import RequestContext

ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED = 100
DESTINATION_SERVICES = ("sqs", "sns", "lambda", "events")


class SettingsOperations(FunctionCore):
    # --- concurrency --------------------------------------------------------------------------------

    async def put_function_concurrency(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        wanted = int(request["ReservedConcurrentExecutions"])

        def put(c: Any) -> None:
            function = _stored(c, name, for_update=True)
            others = store.reserved_total(c, name.account, name.region) - (function.reserved or 0)
            if others + wanted > ACCOUNT_CONCURRENCY - MIN_UNRESERVED:
                raise InvalidParameterValue(
                    "Specified ReservedConcurrentExecutions for function decreases account's "
                    f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]."
                )
            function.reserved = wanted
            store.update_function(c, function)

        await self.write(put)
        return {"ReservedConcurrentExecutions": wanted}

    async def get_function_concurrency(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function = await self.function(self.name_of(context, request["FunctionName"]))
        return {} if function.reserved is None else {"ReservedConcurrentExecutions": function.reserved}

    async def delete_function_concurrency(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])

        def delete(c: Any) -> None:
            function = _stored(c, name, for_update=True)
            function.reserved = None
            store.update_function(c, function)

        await self.write(delete)
        return {}

    async def get_account_settings(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        account, region = context.account, context.region
        count, size = await self.read(lambda c: store.usage(c, account, region))
        reserved = await self.read(lambda c: store.reserved_total(c, account, region))
        return {
            "AccountLimit": {
                "TotalCodeSize": 80_530_636_800,
                "CodeSizeUnzipped": MAX_UNZIPPED,
                "CodeSizeZipped": MAX_ZIPPED,
                "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
                "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - reserved,
            },
            "AccountUsage": {"TotalCodeSize": size, "FunctionCount": count + len(self.registry.of(account, region))},
        }

    # --- tags ---------------------------------------------------------------------------------------

    def _tagged(self, context: RequestContext, resource: str) -> FunctionName:
        name = self.name_of(context, resource)
        if name.qualifier is not None:
            raise InvalidParameterValue(
                "Tags on function aliases and versions are not supported. Please specify a function ARN."
            )
        return name

    async def tag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._tagged(context, request["Resource"])

        def tag(c: Any) -> None:
            function = _stored(c, name, for_update=True)
            function.tags.update(request["Tags"])
            if len(function.tags) > 50:
                raise InvalidParameterValue("Number of tags exceeds resource tag limit.")
            store.update_function(c, function)

        await self.write(tag)
        return {}

    async def untag_resource(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._tagged(context, request["Resource"])

        def untag(c: Any) -> None:
            function = _stored(c, name, for_update=True)
            for key in request["TagKeys"]:
                function.tags.pop(key, None)
            store.update_function(c, function)

        await self.write(untag)
        return {}

    async def list_tags(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self._tagged(context, request["Resource"])
        return {"Tags": dict((await self.function(name)).tags)}

    # --- resource policy ----------------------------------------------------------------------------

    async def add_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"], request.get("Qualifier"))
        if name.qualifier == LATEST:
            raise InvalidParameterValue("We currently do not support adding policies for $LATEST.")
        resource = name.qualified_arn
        statement: dict[str, Any] = {
            "Sid": request["StatementId"],
            "Effect": "Allow",
            "Principal": _principal(request["Principal"]),
            "Action": request["Action"],
            "Resource": resource,
        }
        condition: dict[str, Any] = {}
        if request.get("SourceArn"):
            condition["ArnLike"] = {"AWS:SourceArn": request["SourceArn"]}
        if request.get("SourceAccount"):
            condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = request["SourceAccount"]
        if request.get("PrincipalOrgID"):
            condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = request["PrincipalOrgID"]
        if condition:
            statement["Condition"] = condition

        def add(c: Any) -> None:
            function = _stored(c, name, for_update=True)
            check_revision(request.get("RevisionId"), function.config.get("RevisionId"))
            if any(s["Sid"] == statement["Sid"] for s in function.policy):
                raise ResourceConflict(
                    f"The statement id ({statement['Sid']}) provided already exists. Please provide a new statement"
                    " id, or remove the existing statement."
                )
            function.policy.append(statement)
            store.update_function(c, function)

        await self.write(add)
        return {"Statement": orjson.dumps(statement).decode()}

    async def remove_permission(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"], request.get("Qualifier"))
        sid = request["StatementId"]

        def remove(c: Any) -> None:
            function = _stored(c, name, for_update=True)
            kept = [s for s in function.policy if s["Sid"] != sid]
            if len(kept) == len(function.policy):
                raise ResourceNotFound(f"Statement {sid} is not found in resource policy.")
            function.policy = kept
            store.update_function(c, function)

        await self.write(remove)
        return {}

    async def get_policy(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"], request.get("Qualifier"))
        function = await self.function(name)
        statements = [s for s in function.policy if s["Resource"] == name.qualified_arn]
        if not statements:
            raise ResourceNotFound("The resource you requested does not exist.")
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        return {"Policy": orjson.dumps(policy).decode(), "RevisionId": function.config.get("RevisionId")}

    # --- event invoke configs -----------------------------------------------------------------------

    async def _event_config_target(self, context: RequestContext, request: dict[str, Any]) -> FunctionName:
        name = self.name_of(context, request["FunctionName"], request.get("Qualifier"))
        name = name.with_qualifier(name.qualifier or LATEST)
        if self.in_process(name) is not None:  # in-process functions take settings for $LATEST only
            if name.qualifier != LATEST:
                raise function_not_found(name.qualified_arn)
            return name
        function = await self.function(name.with_qualifier(None))
        if name.qualifier != LATEST:
            try:
                await self.version_config(name, function, name.qualifier)
            except ResourceNotFound:
                raise function_not_found(name.qualified_arn)
        return name

    def _check_destinations(self, name: FunctionName, destinations: dict[str, Any] | None) -> None:
        for part in ("OnSuccess", "OnFailure"):
            target = ((destinations or {}).get(part) or {}).get("Destination")
            if not target:
                continue
            parts = arns.parse(target)
            if parts is None or parts.service not in DESTINATION_SERVICES:
                raise InvalidParameterValue(f"The destination ARN {target} is invalid.")
            pieces = parts.resource.split(":")
            if (
                parts.service == "lambda"
                and len(pieces) > 1
                and f"{name.arn}" == arns.build("lambda", parts.region, parts.account, f"function:{pieces[1]}")
            ):
                raise InvalidParameterValue("You can't specify the function as a destination for itself.")

    def _event_config_answer(self, name: FunctionName, doc: dict[str, Any]) -> dict[str, Any]:
        answer = {"FunctionArn": name.qualified_arn, "LastModified": doc["LastModified"]}
        for member in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            if member in doc:
                answer[member] = doc[member]
        answer["DestinationConfig"] = doc.get("DestinationConfig") or {"OnSuccess": {}, "OnFailure": {}}
        return answer

    async def _save_event_config(self, name: FunctionName, request: dict[str, Any], merge: bool) -> dict[str, Any]:
        settings: dict[str, Any] = {
            k: request[k]
            for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
            if k in request
        }
        if not settings:
            raise InvalidParameterValue("You must specify at least one of error handling or destination setting.")
        self._check_destinations(name, settings.get("DestinationConfig"))
        now = self.now()
        qualifier = str(name.qualifier)

        def save(c: Any) -> dict[str, Any]:
            old = store.get_event_config(c, name.account, name.region, name.name, qualifier)
            if merge and old is None:
                raise no_event_invoke_config(name.qualified_arn)
            doc: dict[str, Any] = {**(old or {}), **settings} if merge else dict(settings)
            doc["LastModified"] = now
            store.put_event_config(c, name.account, name.region, name.name, qualifier, doc)
            return doc

        return self._event_config_answer(name, await self.write(save))

    async def put_function_event_invoke_config(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = await self._event_config_target(context, request)
        return await self._save_event_config(name, request, merge=False)

    async def update_function_event_invoke_config(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = await self._event_config_target(context, request)
        return await self._save_event_config(name, request, merge=True)

    async def get_function_event_invoke_config(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = await self._event_config_target(context, request)
        qualifier = str(name.qualifier)
        doc = await self.read(lambda c: store.get_event_config(c, name.account, name.region, name.name, qualifier))
        if doc is None:
            raise no_event_invoke_config(name.qualified_arn)
        return self._event_config_answer(name, doc)

    async def delete_function_event_invoke_config(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = await self._event_config_target(context, request)
        qualifier = str(name.qualifier)
        deleted = await self.write(
            lambda c: store.delete_event_config(c, name.account, name.region, name.name, qualifier)
        )
        if not deleted:
            raise no_event_invoke_config(name.qualified_arn)
        return {}

    async def list_function_event_invoke_configs(
        self, context: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        name = self.name_of(context, request["FunctionName"])
        await self.function(name)
        rows = await self.read(lambda c: _configs_with_qualifiers(c, name))
        answers = [self._event_config_answer(name.with_qualifier(q), doc) for q, doc in rows]
        size = int(request.get("MaxItems") or 50)
        start = int(request["Marker"]) if str(request.get("Marker") or "").isdigit() else 0
        answer: dict[str, Any] = {"FunctionEventInvokeConfigs": answers[start : start + size]}
        if start + size < len(answers):
            answer["NextMarker"] = str(start + size)
        return answer


def _configs_with_qualifiers(c: Any, name: FunctionName) -> list[tuple[str, dict[str, Any]]]:
    docs = store.event_configs_of(c, name.account, name.region, name.name)
    qualifiers = store.event_config_qualifiers(c, name.account, name.region, name.name)
    return list(zip(qualifiers, docs, strict=True))


def _principal(text: str) -> Any:
    if text == "*":
        return "*"
    if re.fullmatch(r"\d{12}", text):
        return {"AWS": f"arn:aws:iam::{text}:root"}
    if text.startswith("arn:"):
        return {"AWS": text}
    if "." in text:
        return {"Service": text}
    raise InvalidParameterValue("The provided principal was invalid. Please check the principal and try again.")
