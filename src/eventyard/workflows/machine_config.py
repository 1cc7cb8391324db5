"""A state machine's configurations besides its definition: logging, tracing, encryption.

Each is stored as DescribeStateMachine shows it, so two requests compare equal exactly when AWS
would see the same configuration (CreateStateMachine's idempotency check, UpdateStateMachine's
"did anything change"):

- logging (AWS-recorded): ``level`` defaults to OFF and ``includeExecutionData`` to false;
  ``destinations`` is shown only when given (an empty list too). A level other than OFF needs
  exactly one destination, and no level takes more than one: ``InvalidLoggingConfiguration:
  Invalid Logging Configuration: Must specify exactly one Log Destination.``
- tracing: ``{"enabled": false}`` unless given.
- encryption: shown only when given; a customer-managed key needs its ``kmsKeyId``, AWS's own key
  takes none. Eventyard has no KMS, so a key id is kept, not checked.
"""

from __future__ import annotations

from typing import Any

from eventyard.workflows.api_errors import InvalidEncryptionConfiguration, InvalidLoggingConfiguration

DEFAULT_LOGGING: dict[str, Any] = {"level": "OFF", "includeExecutionData": False}
DEFAULT_TRACING: dict[str, Any] = {"enabled": False}
AWS_OWNED_KEY: dict[str, Any] = {"type": "AWS_OWNED_KEY"}


def logging(given: dict[str, Any] | None) -> dict[str, Any]:
    """The logging configuration as stored and shown; InvalidLoggingConfiguration as AWS refuses it."""
    if given is None:
        return dict(DEFAULT_LOGGING)
    shown: dict[str, Any] = {
        "level": given.get("level", "OFF"),
        "includeExecutionData": bool(given.get("includeExecutionData", False)),
    }
    if "destinations" in given:
        destinations = [_destination(d) for d in given["destinations"]]
        shown["destinations"] = destinations
    count = len(shown.get("destinations", []))
    if count > 1 or (shown["level"] != "OFF" and count != 1):
        raise InvalidLoggingConfiguration("Invalid Logging Configuration: Must specify exactly one Log Destination.")
    return shown


def _destination(given: dict[str, Any]) -> dict[str, Any]:
    group = given.get("cloudWatchLogsLogGroup") or {}
    if not group.get("logGroupArn"):
        raise InvalidLoggingConfiguration("Invalid Logging Configuration: Must specify exactly one Log Destination.")
    return {"cloudWatchLogsLogGroup": {"logGroupArn": group["logGroupArn"]}}


def tracing(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is None:
        return dict(DEFAULT_TRACING)
    return {"enabled": bool(given.get("enabled", False))}


def encryption(given: dict[str, Any] | None) -> dict[str, Any] | None:
    """The encryption configuration as shown (None when not given); InvalidEncryptionConfiguration when
    the key type and the key id disagree."""
    if given is None:
        return None
    kind = given["type"]
    shown: dict[str, Any] = {"type": kind}
    if kind == "CUSTOMER_MANAGED_KMS_KEY":
        if not given.get("kmsKeyId"):
            raise InvalidEncryptionConfiguration(
                "Invalid Encryption Configuration: kmsKeyId must be specified for CUSTOMER_MANAGED_KMS_KEY."
            )
        shown["kmsKeyId"] = given["kmsKeyId"]
        shown["kmsDataKeyReusePeriodSeconds"] = int(given.get("kmsDataKeyReusePeriodSeconds", 300))
    elif given.get("kmsKeyId") or given.get("kmsDataKeyReusePeriodSeconds") is not None:
        raise InvalidEncryptionConfiguration(
            "Invalid Encryption Configuration: kmsKeyId and kmsDataKeyReusePeriodSeconds are only valid "
            "for CUSTOMER_MANAGED_KMS_KEY."
        )
    return shown
