"""EventBridge's resource names and ARNs: buses, rules, archives, replays, connections, destinations."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BUS = "default"


@dataclass(frozen=True, slots=True)
class Where:
    """The (account, region) namespace a resource lives in."""

    account: str
    region: str

    def arn(self, resource: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:{resource}"

    def bus_arn(self, bus: str) -> str:
        return self.arn(f"event-bus/{bus}")

    def rule_arn(self, bus: str, rule: str) -> str:
        return self.arn(f"rule/{rule}" if bus == DEFAULT_BUS else f"rule/{bus}/{rule}")


def bus_name(name_or_arn: str | None) -> str:
    """``EventBusName`` takes a name or an ARN: ``arn:aws:events:...:event-bus/orders`` -> ``orders``."""
    if not name_or_arn:
        return DEFAULT_BUS
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":event-bus/", 1)[-1]
    return name_or_arn
