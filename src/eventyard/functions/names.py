"""Function names as Lambda takes them: a name, a partial ARN or a full ARN, each with an optional
version or alias (``orders``, ``orders:live``, ``123456789012:function:orders:3``,
``arn:aws:lambda:us-east-1:123456789012:function:orders``), plus the separate ``Qualifier`` member."""

from __future__ import annotations

from dataclasses import dataclass

from eventyard.functions.errors import InvalidParameterValue, ResourceNotFound
from eventyard.service import RequestContext

LATEST = "$LATEST"


@dataclass(frozen=True, slots=True)
class FunctionName:
    account: str
    region: str
    name: str
    qualifier: str | None = None  # a version number, an alias, $LATEST, or None (unqualified)

    @property
    def arn(self) -> str:
        """The unqualified function ARN."""
        return function_arn(self.account, self.region, self.name)

    @property
    def qualified_arn(self) -> str:
        """The ARN with the qualifier when there is one (what "Function not found" messages name)."""
        return f"{self.arn}:{self.qualifier}" if self.qualifier else self.arn

    def with_qualifier(self, qualifier: str | None) -> FunctionName:
        return FunctionName(self.account, self.region, self.name, qualifier)


def function_arn(account: str, region: str, name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def parse(text: str, context: RequestContext, qualifier: str | None = None) -> FunctionName:
    """The function ``text`` names (in the caller's namespace unless an ARN says otherwise)."""
    account, region = context.account, context.region
    parts = text.split(":")
    derived: str | None = None
    if parts[0] == "arn" and len(parts) >= 7 and parts[5] == "function":
        region, account, name = parts[3], parts[4], parts[6]
        derived = parts[7] if len(parts) > 7 else None
    elif len(parts) >= 3 and parts[1] == "function":
        account, name = parts[0], parts[2]
        derived = parts[3] if len(parts) > 3 else None
    elif len(parts) == 2:
        name, derived = parts
    else:
        name = text
    if region != context.region:
        raise ResourceNotFound(f"Functions from '{region}' are not reachable in this region ('{context.region}')")
    if derived is not None and qualifier is not None and derived != qualifier:
        raise InvalidParameterValue(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return FunctionName(account, region, name, qualifier if qualifier is not None else derived)
