"""``DestinationConfig.OnFailure``: where a stream batch given up on is recorded (an SQS queue or
an SNS topic), through that service's own operation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from eventyard.functions.mappings.sqs_poller import queue_url
from eventyard.service import RequestContext

if TYPE_CHECKING:
    from eventyard.functions.mappings.store import Mapping
    from eventyard.yard import Yard


async def send_on_failure(yard: Yard, mapping: Mapping, record: dict[str, Any]) -> bool:
    """Send ``record`` to the mapping's on-failure destination; False when it has none."""
    destination = ((mapping.config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if not destination:
        return False
    parts = str(destination).split(":")
    context = RequestContext(account=parts[4], region=parts[3], endpoint=yard.endpoint)
    body = orjson.dumps(record).decode()
    if parts[2] == "sqs":
        await yard.call("sqs", "SendMessage", {"QueueUrl": queue_url(yard, destination), "MessageBody": body}, context)
    elif parts[2] == "sns":
        await yard.call("sns", "Publish", {"TopicArn": destination, "Message": body}, context)
    else:
        return False
    return True
