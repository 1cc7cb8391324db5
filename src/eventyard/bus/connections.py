"""Connections and API destinations: HTTP endpoints as targets, with the connection's auth.

Secrets given in AuthParameters are kept (the deliverer needs them) but never returned, as AWS
keeps them in Secrets Manager and describes a connection without them.
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any

from eventyard.arn import parse as parse_arn
from eventyard.bus import store
from eventyard.bus.base import BusBase
from eventyard.bus.errors import ResourceAlreadyExistsException
from eventyard.bus.names import Where
from eventyard.errors import ResourceNotFoundException
from eventyard.service import RequestContext

_SECRET_KEYS = {"Password", "ApiKeyValue", "ClientSecret"}
#: What Create/Update/Delete/DeauthorizeConnection answer with (AWS-recorded), when the connection has it.
CONNECTION_SUMMARY = ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime", "LastAuthorizedTime")
#: ListApiDestinations leaves the description out (AWS-recorded).
DESTINATION_LISTED = (
    "ApiDestinationArn",
    "Name",
    "ApiDestinationState",
    "ConnectionArn",
    "InvocationEndpoint",
    "HttpMethod",
    "InvocationRateLimitPerSecond",
    "CreationTime",
    "LastModifiedTime",
)
DESTINATION_SETTINGS = (
    "Description",
    "ConnectionArn",
    "InvocationEndpoint",
    "HttpMethod",
    "InvocationRateLimitPerSecond",
)


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in _SECRET_KEYS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


class ConnectionOperations(BusBase):
    # --- connections ------------------------------------------------------------------------------

    async def create_connection(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["Name"]
        now = self.yard.clock.now()
        connection = {
            "Name": name,
            "ConnectionArn": where.arn(f"connection/{name}/{uuid.uuid4()}"),
            "Description": request.get("Description"),
            "AuthorizationType": request["AuthorizationType"],
            "AuthParameters": request["AuthParameters"],
            "ConnectionState": "AUTHORIZED",
            "SecretArn": f"arn:aws:secretsmanager:{where.region}:{where.account}:secret:"
            f"events!connection/{name}/{uuid.uuid4()}-{_secret_suffix()}",
            "CreationTime": now,
            "LastModifiedTime": now,
            "LastAuthorizedTime": now,
        }
        if not await self.yard.db.write(
            lambda c: store.insert(c, where.account, where.region, "connection", "", name, connection)
        ):
            raise ResourceAlreadyExistsException(f"Connection {name} already exists.")
        answer = {k: connection[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime")}
        if connection["AuthorizationType"] == "OAUTH_CLIENT_CREDENTIALS":
            # AWS answers AUTHORIZING while it asks the authorization endpoint for a token; ours asks
            # at delivery time, so the stored connection is AUTHORIZED straight away.
            answer["ConnectionState"] = "AUTHORIZING"
        return answer

    async def describe_connection(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where, name = Where(context.account, context.region), request["Name"]
        connection = await self._find(
            where, "connection", "", name, lambda: _no_connection(name, "Failed to describe the connection(s). ")
        )
        public = {k: v for k, v in connection.items() if k != "Tags" and v is not None}
        public["AuthParameters"] = _without_secrets(connection["AuthParameters"])
        return public

    async def update_connection(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["Name"]

        def change(connection: dict[str, Any]) -> None:
            for key in ("Description", "AuthorizationType"):
                if key in request:
                    connection[key] = request[key]
            if "AuthParameters" in request:
                connection["AuthParameters"] = _merge(connection["AuthParameters"], request["AuthParameters"])
            connection["LastModifiedTime"] = self.yard.clock.now()
            connection["ConnectionState"] = "AUTHORIZED"

        connection = await self._change(where, "connection", "", name, change, lambda: _no_connection(name))
        return _summary(connection)

    async def delete_connection(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        connection = await self._connection(where, request["Name"])
        await self.yard.db.write(
            lambda c: store.delete(c, where.account, where.region, "connection", "", request["Name"])
        )
        return _summary(connection) | {"ConnectionState": "DELETING"}

    async def deauthorize_connection(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["Name"]

        connection = await self._change(
            where, "connection", "", name, lambda found: found.update(ConnectionState="DEAUTHORIZED"),
            lambda: _no_connection(name),
        )  # fmt: skip
        return _summary(connection) | {"ConnectionState": "DEAUTHORIZING"}

    async def list_connections(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        found = await self.yard.db.read(
            lambda c: store.listing(c, where.account, where.region, "connection", "", request.get("NamePrefix", ""))
        )
        if request.get("ConnectionState"):
            found = [c for c in found if c["ConnectionState"] == request["ConnectionState"]]
        fields = ("ConnectionArn", "Name", "ConnectionState", "StateReason", "AuthorizationType", "CreationTime",
                  "LastModifiedTime", "LastAuthorizedTime")  # fmt: skip
        return self._listed("Connections", [{k: c[k] for k in fields if c.get(k) is not None} for c in found], request)

    async def _connection(self, where: Where, name: str) -> dict[str, Any]:
        return await self._find(where, "connection", "", name, lambda: _no_connection(name))

    # --- API destinations -------------------------------------------------------------------------

    async def create_api_destination(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["Name"]
        connection_name = request["ConnectionArn"].split(":connection/", 1)[-1].split("/")[0]
        await self._connection(where, connection_name)
        now = self.yard.clock.now()
        destination = {
            "Name": name,
            "ApiDestinationArn": where.arn(f"api-destination/{name}/{uuid.uuid4()}"),
            "Description": request.get("Description"),
            "ConnectionArn": request["ConnectionArn"],
            "InvocationEndpoint": request["InvocationEndpoint"],
            "HttpMethod": request["HttpMethod"],
            "InvocationRateLimitPerSecond": request.get("InvocationRateLimitPerSecond", 300),
            "ApiDestinationState": "ACTIVE",
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        if not await self.yard.db.write(
            lambda c: store.insert(c, where.account, where.region, "api-destination", "", name, destination)
        ):
            raise ResourceAlreadyExistsException(f"An api-destination '{name}' already exists.")
        keys = ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")
        return {k: destination[k] for k in keys}

    async def describe_api_destination(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where, name = Where(context.account, context.region), request["Name"]
        found = await self._find(
            where,
            "api-destination",
            "",
            name,
            lambda: _no_destination(name, "Failed to describe the api-destination(s). "),
        )
        return {k: v for k, v in found.items() if k != "Tags" and v is not None}

    async def update_api_destination(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        name = request["Name"]

        def change(found: dict[str, Any]) -> None:
            for key in DESTINATION_SETTINGS:
                if key in request:
                    found[key] = request[key]
            found["LastModifiedTime"] = self.yard.clock.now()

        found = await self._change(where, "api-destination", "", name, change, lambda: _no_destination(name))
        keys = ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")
        return {k: found[k] for k in keys}

    async def delete_api_destination(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        await self._destination(where, request["Name"])
        await self.yard.db.write(
            lambda c: store.delete(c, where.account, where.region, "api-destination", "", request["Name"])
        )
        return {}

    async def list_api_destinations(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        where = Where(context.account, context.region)
        found = await self.yard.db.read(
            lambda c: store.listing(
                c, where.account, where.region, "api-destination", "", request.get("NamePrefix", "")
            )
        )
        if request.get("ConnectionArn"):
            found = [d for d in found if d["ConnectionArn"] == request["ConnectionArn"]]
        public = [{k: d[k] for k in DESTINATION_LISTED if d.get(k) is not None} for d in found]
        return self._listed("ApiDestinations", public, request)

    async def _destination(self, where: Where, name: str) -> dict[str, Any]:
        return await self._find(where, "api-destination", "", name, lambda: _no_destination(name))

    async def destination_and_connection(self, arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """For the HTTP deliverer: the destination an ARN names, and its connection (with secrets)."""
        parts = parse_arn(arn)
        if parts is None:
            raise ResourceNotFoundException(f"Resource {arn} does not exist.")
        where = Where(parts.account, parts.region)
        destination = await self._destination(where, parts.resource_name.split("/")[0])
        connection = await self._connection(
            where, destination["ConnectionArn"].split(":connection/", 1)[-1].split("/")[0]
        )
        return destination, connection


def _no_connection(name: str, context: str = "") -> ResourceNotFoundException:
    """``context`` is the operation's preamble AWS puts first, e.g. "Failed to describe the connection(s). "."""
    return ResourceNotFoundException(f"{context}Connection '{name}' does not exist.")


def _no_destination(name: str, context: str = "") -> ResourceNotFoundException:
    return ResourceNotFoundException(f"{context}An api-destination '{name}' does not exist.")


def _summary(connection: dict[str, Any]) -> dict[str, Any]:
    return {k: connection[k] for k in CONNECTION_SUMMARY if connection.get(k) is not None}


def _secret_suffix() -> str:
    """The six characters Secrets Manager appends to a secret's name in its ARN."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        merged[key] = _merge(merged.get(key) or {}, value) if isinstance(value, dict) else value
    return merged
