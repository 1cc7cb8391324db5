"""Amazon Resource Names, built and read in one place.

``arn:aws:sqs:us-east-1:000000000000:orders``: partition, service, region, account, resource. The
resource part is the service's own business: a queue's name, ``rule/orders/on-order``,
``stateMachine:checkout``, ``stream/clicks``, ``function:resize:live``. :class:`Arn` splits off the
first five parts and offers the two shapes resources come in (``type/name`` and ``type:name``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """``rule`` of ``rule/orders/on-order``, ``stateMachine`` of ``stateMachine:checkout``; '' when untyped."""
        for separator in ("/", ":"):
            kind, found, _ = self.resource.partition(separator)
            if found and (separator == "/" or "/" not in kind):
                return kind
        return ""

    @property
    def resource_name(self) -> str:
        """What follows the resource type (``orders/on-order``, ``checkout``), or the whole resource."""
        kind = self.resource_type
        return self.resource[len(kind) + 1 :] if kind else self.resource

    def resource_parts(self, separator: str = ":") -> list[str]:
        """The resource split on ``separator``: ``function:resize:live`` -> ``[function, resize, live]``."""
        return self.resource.split(separator)


def parse(text: str) -> Arn | None:
    """The ARN in ``text``, or None when it is not one (too few parts, no ``arn:`` prefix)."""
    if not isinstance(text, str):
        return None
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def build(service: str, region: str, account: str, resource: str, partition: str = "aws") -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def parse_as(text: str, service: str) -> Arn | None:
    """The ARN in ``text`` when it names a resource of ``service``; None otherwise."""
    found = parse(text)
    return found if found is not None and found.service == service else None
