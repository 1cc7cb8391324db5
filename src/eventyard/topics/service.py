"""Amazon SNS: :class:`TopicService` joins the operation groups and owns the service's engines.

Every method takes the request as botocore's model names it (already checked against the model
by the gateway or the in-process client) and returns the response as boto3 shows it. Topic ARNs
are ``arn:aws:sns:{region}:{account}:{name}``, subscriptions ``{topic ARN}:{uuid}``.

Not served (AWS's UnknownOperation-style refusal of the yard): platform applications and endpoints
(mobile push), SMS attributes, sandbox and opt-out numbers. Publishing to a phone number is
accepted and sends nothing.
"""

from __future__ import annotations

from typing import Any

from eventyard.topics.as_target import DedupSweep, TopicTarget
from eventyard.topics.delivery import TopicDeliveries
from eventyard.topics.publishing import Publishing
from eventyard.topics.signing import Signer
from eventyard.topics.store import MIGRATIONS
from eventyard.topics.subscriptions import SubscriptionOperations
from eventyard.topics.topics import TopicOperations


class TopicService(TopicOperations, SubscriptionOperations, Publishing):
    """SNS in-process: topics, subscriptions and publishing of botocore's ``sns`` model."""

    name = "sns"
    migrations = MIGRATIONS

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        self.signer = Signer(yard)
        self._group_locks = {}
        self._batches = {}
        self._flushing = set()
        self.deliveries = TopicDeliveries(self)
        self.dedup_sweep = DedupSweep(self)
        yard.kernel.register(self.deliveries)
        yard.kernel.register(self.dedup_sweep)
        target = TopicTarget(self)
        yard.targets.register("sns", "", target.deliver, stage=target.stage)

    async def start(self) -> None:
        await self.signer.start()
        await self.dedup_sweep.arm()

    async def stop(self) -> None:
        await self.signer.stop()

    async def certificate(self, file_name: str) -> str | None:
        """The PEM certificate served at a SigningCertURL's file name."""
        return await self.signer.certificate(file_name)
