"""Map runs: the runs of Distributed Map states, as ListMapRuns, DescribeMapRun and UpdateMapRun show them.

The engine records a map run when its Distributed Map starts and when it ends, with its settings
(MaxConcurrency, tolerated failures) and item counts. UpdateMapRun changes the recorded settings;
the run itself keeps the concurrency and tolerance it started with (its items run in one firing).
"""

from __future__ import annotations

from typing import Any

from eventyard.service import RequestContext, Service
from eventyard.workflows import execution_store as store
from eventyard.workflows.api_errors import ResourceNotFound


class MapRunOperations(Service):
    async def list_map_runs(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        execution = request["executionArn"]
        await self._row(execution)  # type: ignore[attr-defined]  # ExecutionDoesNotExist
        runs = await self.yard.db.read(lambda c: store.map_runs_of(c, execution))
        listed = []
        for map_run_arn, started, stopped in runs:
            item: dict[str, Any] = {
                "executionArn": execution,
                "mapRunArn": map_run_arn,
                "stateMachineArn": map_run_arn.replace(":mapRun:", ":stateMachine:", 1).rsplit(":", 1)[0],
                "startDate": started,
            }
            if stopped is not None:
                item["stopDate"] = stopped
            listed.append(item)
        return {"mapRuns": listed}

    async def describe_map_run(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["mapRunArn"]
        found = await self.yard.db.read(lambda c: store.map_run(c, arn))
        if found is None:
            raise ResourceNotFound(f"Resource not found: '{arn}'")
        _, execution, status, started, stopped, settings = found
        total = int(settings.get("total", 0))
        succeeded, failed = int(settings.get("succeeded", 0)), int(settings.get("failed", 0))
        running = total - succeeded - failed if status == "RUNNING" else 0
        counts = {
            "pending": 0, "running": running, "succeeded": succeeded, "failed": failed, "timedOut": 0,
            "aborted": 0, "total": total, "resultsWritten": succeeded + failed if status != "RUNNING" else 0,
            "failuresNotRedrivable": 0, "pendingRedrive": 0,
        }  # fmt: skip
        answer: dict[str, Any] = {
            "mapRunArn": arn,
            "executionArn": execution,
            "status": status,
            "startDate": started,
            "maxConcurrency": int(settings.get("max_concurrency") or 0),
            "toleratedFailurePercentage": float(settings.get("tolerated_percent") or 0.0),
            "toleratedFailureCount": int(settings.get("tolerated_count") or 0),
            "itemCounts": counts,
            "executionCounts": dict(counts),
            "redriveCount": 0,
        }
        if stopped is not None:
            answer["stopDate"] = stopped
        return answer

    async def update_map_run(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["mapRunArn"]
        changes = {
            key: request[member]
            for member, key in (
                ("maxConcurrency", "max_concurrency"),
                ("toleratedFailurePercentage", "tolerated_percent"),
                ("toleratedFailureCount", "tolerated_count"),
            )
            if member in request
        }
        if not await self.yard.db.write(lambda c: store.update_map_run(c, arn, changes)):
            raise ResourceNotFound(f"Resource not found: '{arn}'")
        return {}
