"""Step Functions' ARNs and names, built and read in one place.

- a state machine: ``arn:aws:states:us-east-1:000000000000:stateMachine:orders``;
- one of its versions: ``...:stateMachine:orders:3`` (the qualifier is a number);
- one of its aliases: ``...:stateMachine:orders:live`` (an alias name always holds a character
  that is not a digit, which is how the two qualified forms tell apart);
- an activity: ``arn:aws:states:us-east-1:000000000000:activity:approve``.

Reading an ARN the caller gave answers AWS's ``InvalidArn`` texts: ``Invalid Arn: 'Invalid ARN
prefix: <text>'`` for text that is not a Step Functions ARN at all, ``Invalid Arn: 'Resource type
not valid in this context: <type>'`` for an ARN of another kind of resource (AWS-recorded for both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eventyard import arn as arns
from eventyard.workflows.api_errors import InvalidArn, invalid_name

SERVICE = "states"

# AWS refuses names holding white space, brackets, wildcards, these special characters, control
# characters and surrogates (botocore's documentation of every ``name`` member).
_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class MachineRef:
    """A state machine ARN as the caller gave it, taken apart.

    ``machine_arn`` is the unqualified ARN; ``version`` is set for a version ARN, ``alias`` for an
    alias ARN (never both).
    """

    arn: str
    machine_arn: str
    name: str
    region: str
    account: str
    version: int | None = None
    alias: str | None = None


def check_name(name: str) -> str:
    """``name`` when AWS accepts it for a state machine or an activity, else InvalidName."""
    if not name or _FORBIDDEN.search(name):
        raise invalid_name(name)
    return name


def machine_arn(region: str, account: str, name: str) -> str:
    return arns.build(SERVICE, region, account, f"stateMachine:{name}")


def version_arn(machine: str, number: int) -> str:
    return f"{machine}:{number}"


def alias_arn(machine: str, alias: str) -> str:
    return f"{machine}:{alias}"


def activity_arn(region: str, account: str, name: str) -> str:
    return arns.build(SERVICE, region, account, f"activity:{name}")


def _resource(text: str, expected: str) -> tuple[arns.Arn, list[str]]:
    """The ARN and its resource parts, or InvalidArn unless it is a Step Functions ARN of ``expected``."""
    parsed = arns.parse(text)
    if parsed is None or parsed.service != SERVICE or not parsed.region or not parsed.account:
        raise InvalidArn(f"Invalid Arn: 'Invalid ARN prefix: {text}'")
    parts = parsed.resource_parts(":")
    if parts[0] != expected:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {parts[0].lower()}'")
    if len(parts) < 2 or not parts[1]:
        raise InvalidArn(f"Invalid Arn: '{text}'")
    return parsed, parts


def parse_machine(text: str) -> MachineRef:
    """A state machine, version or alias ARN; InvalidArn (AWS's texts) for anything else."""
    parsed, parts = _resource(text, "stateMachine")
    if len(parts) > 3 or (len(parts) == 3 and not parts[2]):
        raise InvalidArn(f"Invalid Arn: '{text}'")
    base = arns.build(SERVICE, parsed.region, parsed.account, f"stateMachine:{parts[1]}", parsed.partition)
    ref = MachineRef(text, base, parts[1], parsed.region, parsed.account)
    if len(parts) == 2:
        return ref
    qualifier = parts[2]
    if qualifier.isdigit():
        return MachineRef(text, base, parts[1], parsed.region, parsed.account, version=int(qualifier))
    return MachineRef(text, base, parts[1], parsed.region, parsed.account, alias=qualifier)


def parse_activity(text: str) -> tuple[str, str, str]:
    """(region, account, name) of an activity ARN; InvalidArn (AWS's texts) for anything else."""
    parsed, parts = _resource(text, "activity")
    if len(parts) != 2:
        raise InvalidArn(f"Invalid Arn: '{text}'")
    return parsed.region, parsed.account, parts[1]


def resource_kind(text: str) -> str:
    """``stateMachine`` or ``activity`` (the taggable kinds), else InvalidArn."""
    parsed = arns.parse(text)
    if parsed is None or parsed.service != SERVICE:
        raise InvalidArn(f"Invalid Arn: 'Invalid ARN prefix: {text}'")
    kind = parsed.resource_parts(":")[0]
    if kind not in ("stateMachine", "activity"):
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {kind.lower()}'")
    return kind
