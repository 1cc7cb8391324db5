"""What every Step Functions operation group shares: the catalogue, the clock, and two hooks.

The operation groups (``machines.py``, ``versions.py``, ``aliases.py``, ``activities.py``,
``tagging.py``, ``test_state.py``, and the execution side's) are mixins over :class:`WorkflowBase`;
``service.py`` joins them into one service.
"""

from __future__ import annotations

from typing import Any

from eventyard import arn as arns
from eventyard.errors import ValidationException
from eventyard.service import RequestContext, Service
from eventyard.workflows.api_errors import InvalidArn
from eventyard.workflows.catalogue import Catalogue, ResolvedMachine

MAX_TAGS = 50


class WorkflowBase(Service):
    name = "stepfunctions"

    def __init__(self, yard: Any) -> None:
        super().__init__(yard)
        #: State machines, versions and aliases as the execution side resolves them (see catalogue.py).
        self.catalogue = Catalogue(yard.db)

    def now(self) -> float:
        return float(self.yard.clock.now())

    async def resolve(self, context: RequestContext, arn: str) -> ResolvedMachine:
        """The configuration a state machine, version or alias ARN names (see :mod:`.catalogue`)."""
        return await self.catalogue.resolve(context, arn)

    def running_executions(self, c: Any, state_machine_arn: str) -> bool:
        """Whether executions of the machine still run (inside a db job); while they do, a deleted
        machine stays DELETING. The execution side overrides this; the catalogue alone has none."""
        return False


def check_role_arn(text: str) -> str:
    """An IAM role ARN, as CreateStateMachine and TestState take it; InvalidArn otherwise."""
    parsed = arns.parse(text)
    if parsed is None or parsed.service != "iam":
        raise InvalidArn(f"Invalid Arn: 'Invalid ARN prefix: {text}'")
    if parsed.resource_type != "role" or not parsed.resource_name:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {parsed.resource_type.lower()}'")
    return text


def tag_map(tags: list[dict[str, Any]] | None) -> dict[str, str]:
    """A request's tag list as a map in order; a later duplicate key wins, as for TagResource. The
    model leaves a tag's members optional; a tag without a key is refused as Coral refuses a null."""
    found: dict[str, str] = {}
    for index, tag in enumerate(tags or [], start=1):
        if "key" not in tag:
            raise ValidationException(
                f"1 validation error detected: Value null at 'tags.{index}.member.key' failed to satisfy constraint: "
                "Member must not be null"
            )
        found[str(tag["key"])] = str(tag.get("value", ""))
    return found


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in tags.items()]
