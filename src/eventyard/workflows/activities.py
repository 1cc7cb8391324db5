"""Activities' catalogue: CreateActivity, DescribeActivity, DeleteActivity, ListActivities.

(GetActivityTask, the workers' side, belongs to the execution side; it finds an activity with
:func:`activity_in`.)

AWS (botocore's documentation; AWS-recorded answers where noted):

- CreateActivity is idempotent on the name: a second create answers the same ARN and creation
  date, ignoring other tags (recorded); another encryption configuration is
  ``ActivityAlreadyExists``. Names follow the state machine rules (``InvalidName: Invalid Name:
  '<name>'``, recorded).
- DescribeActivity shows ``encryptionConfiguration``, ``{"type": "AWS_OWNED_KEY"}`` unless another
  was given (recorded); a missing activity is ``ActivityDoesNotExist: Activity Does Not Exist:
  '<arn>'`` (recorded). DeleteActivity of a missing activity succeeds (recorded).
- ListActivities lists in name order, 100 a page unless ``maxResults`` says otherwise.
"""

from __future__ import annotations

from typing import Any

from eventyard.service import RequestContext
from eventyard.workflows import arns, machine_config
from eventyard.workflows import catalogue_store as store
from eventyard.workflows.api_errors import ActivityAlreadyExists, ActivityDoesNotExist, TooManyTags, invalid_token
from eventyard.workflows.paging import make_token, page_size, read_token
from eventyard.workflows.service_base import MAX_TAGS, WorkflowBase, tag_map


def activity_not_found(arn: str) -> ActivityDoesNotExist:
    return ActivityDoesNotExist(f"Activity Does Not Exist: '{arn}'")


def activity_in(c: Any, account: str, region: str, arn: str) -> store.ActivityRow:
    """The activity ``arn`` names in this namespace (inside a db job); InvalidArn or ActivityDoesNotExist."""
    found_region, found_account, _ = arns.parse_activity(arn)
    activity = store.activity(c, arn) if (found_account, found_region) == (account, region) else None
    if activity is None:
        raise activity_not_found(arn)
    return activity


class ActivityOperations(WorkflowBase):
    async def create_activity(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = arns.check_name(request["name"])
        arn = arns.activity_arn(context.region, context.account, name)
        encryption = machine_config.encryption(request.get("encryptionConfiguration")) or machine_config.AWS_OWNED_KEY
        tags = tag_map(request.get("tags"))
        if len(tags) > MAX_TAGS:
            raise TooManyTags(f"Too many tags: a resource takes at most {MAX_TAGS}, {len(tags)} were given: '{arn}'")
        wanted = store.ActivityRow(arn, context.account, context.region, name, encryption, tags, self.now())

        def job(c: Any) -> store.ActivityRow:
            if store.insert_activity(c, wanted):
                return wanted
            existing = store.activity(c, arn)
            if existing is None or existing.encryption != encryption:
                raise ActivityAlreadyExists(f"Activity Already Exists: '{arn}'")
            return existing

        activity = await self.yard.db.write(job)
        return {"activityArn": activity.arn, "creationDate": activity.created_at}

    async def describe_activity(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["activityArn"]
        activity = await self.yard.db.read(lambda c: activity_in(c, context.account, context.region, arn))
        return {
            "activityArn": activity.arn,
            "name": activity.name,
            "creationDate": activity.created_at,
            "encryptionConfiguration": activity.encryption,
        }

    async def delete_activity(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["activityArn"]
        region, account, _ = arns.parse_activity(arn)
        if (account, region) == (context.account, context.region):
            await self.yard.db.write(lambda c: store.delete_activity(c, arn))
        return {}

    async def list_activities(self, context: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        listing = "activities"
        after = read_token(request, listing)
        size = page_size(request)
        if after is not None and not isinstance(after, str):
            raise invalid_token()
        start = after or ""
        rows = await self.yard.db.read(
            lambda c: store.activities_page(c, context.account, context.region, start, size + 1)
        )
        answer: dict[str, Any] = {
            "activities": [{"activityArn": a.arn, "name": a.name, "creationDate": a.created_at} for a in rows[:size]]
        }
        if len(rows) > size:
            answer["nextToken"] = make_token(listing, rows[size - 1].name)
        return answer
