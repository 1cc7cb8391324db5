"""The REST-JSON locations Lambda does not use, proven with models that do (botocore's serializer in,
botocore's parser out): a ``headers`` prefix map and a query-string map (Data Exchange's
SendApiAsset), a string payload, and timestamps in response headers (DataZone's GetLineageEvent)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

import eventyard
from eventyard.gateway.app import Gateway
from eventyard.models import model_for
from eventyard.service import RequestContext, Service
from tests.gateway.asgi import botocore_call

CREATED = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class FakeDataExchange(Service):
    name = "dataexchange"

    def __init__(self, yard: eventyard.Yard) -> None:
        super().__init__(yard)
        self.requests: list[dict[str, Any]] = []

    async def send_api_asset(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        return {"Body": "échoed: " + request.get("Body", ""), "ResponseHeaders": {"X-Upstream": "yes"}}


class FakeDataZone(Service):
    name = "datazone"

    async def get_lineage_event(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"id": request["identifier"], "domainId": request["domainIdentifier"], "event": b"{\"e\": 1}",
                "createdAt": CREATED, "eventTime": _dt.datetime.fromtimestamp(CREATED + 60, _dt.UTC)}  # fmt: skip


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[Gateway, FakeDataExchange]]:
    async with eventyard.open("memory://") as yard:
        exchange = FakeDataExchange(yard)
        yard.services["dataexchange"] = exchange
        yard.services["datazone"] = FakeDataZone(yard)
        yield Gateway(yard), exchange


async def test_prefixed_headers_query_maps_and_string_payloads_round_trip(gateway) -> None:
    gateway, exchange = gateway
    operation = model_for("dataexchange").operations["SendApiAsset"]
    params = {
        "AssetId": "a", "DataSetId": "d", "RevisionId": "r", "Method": "POST", "Path": "/x",
        "Body": "hello", "QueryStringParameters": {"page": "2", "sort": "asc"},
        "RequestHeaders": {"trace": "t-1"},
    }  # fmt: skip
    response, parsed = await botocore_call(gateway, "rest-json", operation, params, "dataexchange")
    assert response.status == 200, response.body
    assert exchange.requests[0] == params
    assert parsed["Body"] == "échoed: hello"
    assert parsed["ResponseHeaders"]["x-upstream"] == "yes"


async def test_timestamps_in_response_headers_are_http_dates(gateway) -> None:
    gateway, _ = gateway
    operation = model_for("datazone").operations["GetLineageEvent"]
    params = {"domainIdentifier": "dzd_1", "identifier": "abcdefgh012345"}
    response, parsed = await botocore_call(gateway, "rest-json", operation, params, "datazone")
    assert response.status == 200, response.body
    assert response.headers["created-at"] == "Thu, 01 Jan 2026 00:00:00 GMT"
    assert parsed["createdAt"] == _dt.datetime.fromtimestamp(CREATED, _dt.UTC)
    assert parsed["eventTime"] == _dt.datetime.fromtimestamp(CREATED + 60, _dt.UTC)
    assert (parsed["id"], parsed["domainId"]) == ("abcdefgh012345", "dzd_1")
    assert parsed["event"].read() == b'{"e": 1}'
