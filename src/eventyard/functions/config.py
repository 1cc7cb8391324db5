"""FunctionConfiguration documents: made from CreateFunction's request with AWS's defaults, changed by
UpdateFunctionConfiguration/UpdateFunctionCode, frozen by PublishVersion.

AWS-recorded defaults (``test_function_state``): Timeout 3, MemorySize 128, Description '',
Architectures [x86_64], EphemeralStorage 512, TracingConfig PassThrough, LoggingConfig Text with
``/aws/lambda/<name>``, SnapStart None/Off, PackageType Zip. CreateFunction answers State
``Pending`` ("The function is being created.", ``Creating``) and the function is ``Active`` from then
on; an update answers LastUpdateStatus ``InProgress`` and is ``Successful`` from then on (Eventyard
unpacks code on first use, so nothing is really in progress).
"""

from __future__ import annotations

import datetime as _dt
import uuid
from typing import Any

from eventyard.functions.errors import InvalidParameterValue
from eventyard.functions.names import LATEST, function_arn

#: Runtimes Eventyard runs (with this interpreter, whatever the minor version asked for).
PYTHON_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
DEPRECATED = ("python2.7", "python3.6", "python3.7")
#: Members UpdateFunctionConfiguration changes as given.
UPDATABLE = (
    "Role", "Handler", "Description", "Timeout", "MemorySize", "VpcConfig", "Environment", "Runtime",
    "DeadLetterConfig", "KMSKeyArn", "TracingConfig", "Layers", "FileSystemConfigs", "EphemeralStorage",
    "SnapStart", "LoggingConfig",
)  # fmt: skip
#: What AWS reports for a change that is (nominally) under way.
CREATING = {"StateReason": "The function is being created.", "StateReasonCode": "Creating"}
UPDATING = {"LastUpdateStatusReason": "The function is being created.", "LastUpdateStatusReasonCode": "Creating"}
#: Members of the stored document that are never part of the answer.
_PRIVATE = ("InProcess",)


def last_modified(now: float) -> str:
    """AWS's LastModified: ``2024-05-01T12:00:00.000+0000``."""
    moment = _dt.datetime.fromtimestamp(now, _dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def revision_id() -> str:
    return str(uuid.uuid4())


def check_runtime(runtime: str | None) -> None:
    if runtime is None:
        raise InvalidParameterValue("Runtime and Handler are mandatory parameters for functions created with Zip.")
    if runtime in DEPRECATED:
        raise InvalidParameterValue(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions."
            " We recommend you use a supported runtime while creating or updating functions."
        )
    if runtime not in PYTHON_RUNTIMES:
        raise InvalidParameterValue(
            f"Eventyard runs Python handlers only (python3.x runtimes): {runtime} is not served."
        )


def check_environment(environment: dict[str, Any] | None) -> None:
    variables = (environment or {}).get("Variables") or {}
    size = sum(len(k) + len(v) for k, v in variables.items())
    if size > 4096:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the environment variables you have"
            " provided exceeded the 4KB limit."
        )
    reserved = [k for k in variables if k in RESERVED_VARIABLES]
    if reserved:
        raise InvalidParameterValue(
            "Lambda was unable to configure your environment variables because the environment variables you have"
            f" provided contains reserved keys that are currently not supported for modification. Reserved keys used"
            f" in this request: {', '.join(reserved)}"
        )


RESERVED_VARIABLES = frozenset(
    {"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
     "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
     "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
     "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
     "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}
)  # fmt: skip


def new_config(account: str, region: str, request: dict[str, Any], sha: str, size: int, now: float) -> dict[str, Any]:
    """The ``$LATEST`` configuration of a new function."""
    name = request["FunctionName"]
    config: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": function_arn(account, region, name),
        "Runtime": request.get("Runtime"),
        "Role": request["Role"],
        "Handler": request.get("Handler"),
        "CodeSize": size,
        "Description": request.get("Description", ""),
        "Timeout": request.get("Timeout", 3),
        "MemorySize": request.get("MemorySize", 128),
        "LastModified": last_modified(now),
        "CodeSha256": sha,
        "Version": LATEST,
        "TracingConfig": request.get("TracingConfig") or {"Mode": "PassThrough"},
        "RevisionId": revision_id(),
        "PackageType": "Zip",
        "Architectures": request.get("Architectures") or ["x86_64"],
        "EphemeralStorage": request.get("EphemeralStorage") or {"Size": 512},
        "SnapStart": {"ApplyOn": (request.get("SnapStart") or {}).get("ApplyOn", "None"), "OptimizationStatus": "Off"},
        "LoggingConfig": {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{name}",
            **(request.get("LoggingConfig") or {}),
        },
        "RuntimeVersionConfig": {"RuntimeVersionArn": f"arn:aws:lambda:{region}::runtime:eventyard-python"},
        "State": "Active",
        "LastUpdateStatus": "Successful",
    }
    for member in ("Environment", "DeadLetterConfig", "VpcConfig", "KMSKeyArn", "FileSystemConfigs"):
        if request.get(member) is not None:
            config[member] = request[member]
    if request.get("Layers"):
        config["Layers"] = [{"Arn": arn, "CodeSize": 0} for arn in request["Layers"]]
    return config


def updated(config: dict[str, Any], changes: dict[str, Any], now: float) -> dict[str, Any]:
    """``config`` with UpdateFunctionConfiguration's ``changes``, a new RevisionId and LastModified."""
    fresh = dict(config)
    for member in UPDATABLE:
        if member in changes:
            if member == "Layers":
                fresh["Layers"] = [{"Arn": arn, "CodeSize": 0} for arn in changes["Layers"]]
            elif member == "LoggingConfig":
                fresh["LoggingConfig"] = {**config.get("LoggingConfig", {}), **changes["LoggingConfig"]}
            elif member == "SnapStart":
                fresh["SnapStart"] = {
                    "ApplyOn": changes["SnapStart"].get("ApplyOn", "None"),
                    "OptimizationStatus": "Off",
                }
            else:
                fresh[member] = changes[member]
    fresh["LastModified"] = last_modified(now)
    fresh["RevisionId"] = revision_id()
    return fresh


def version_config(config: dict[str, Any], version: int, description: str | None, now: float) -> dict[str, Any]:
    """The configuration PublishVersion freezes as version ``version``."""
    frozen = dict(config)
    frozen["Version"] = str(version)
    frozen["FunctionArn"] = f"{config['FunctionArn']}:{version}"
    frozen["RevisionId"] = revision_id()
    frozen["LastModified"] = last_modified(now)
    if description is not None:
        frozen["Description"] = description
    return frozen


def shown(config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The configuration as an answer shows it."""
    answer = {k: v for k, v in config.items() if k not in _PRIVATE}
    answer.update(extra)
    return answer


def as_created(config: dict[str, Any]) -> dict[str, Any]:
    """CreateFunction's answer: the function is Pending, being created (AWS-recorded)."""
    answer = shown(config, State="Pending", **CREATING)
    answer.pop("LastUpdateStatus", None)
    return answer


def as_updating(config: dict[str, Any]) -> dict[str, Any]:
    """An update's answer: LastUpdateStatus InProgress (AWS-recorded)."""
    return shown(config, LastUpdateStatus="InProgress", **UPDATING)
