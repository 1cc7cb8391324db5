"""CreateFunction, GetFunction(Configuration), ListFunctions, Update*, DeleteFunction on every store."""

from __future__ import annotations

import pytest

from eventyard.errors import ValidationException
from eventyard.functions.errors import InvalidParameterValue, PreconditionFailed, ResourceConflict, ResourceNotFound
from tests.functions.helpers import ECHO, ROLE, create, zipped


async def test_create_answers_pending_then_the_function_is_active_with_aws_defaults(yard) -> None:
    lam = yard.client("lambda")
    created = await create(lam, "orders", ECHO)
    assert created["State"] == "Pending"
    assert created["StateReasonCode"] == "Creating"
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:orders"
    config = await lam.get_function_configuration(FunctionName="orders")
    assert config["State"] == "Active" and config["LastUpdateStatus"] == "Successful"
    assert (config["Timeout"], config["MemorySize"], config["Description"]) == (3, 128, "")
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/orders"}
    assert config["CodeSha256"] == created["CodeSha256"] and config["CodeSize"] == created["CodeSize"] > 0


async def test_create_twice_is_a_conflict_and_bad_zips_and_runtimes_are_refused(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "dup", ECHO)
    with pytest.raises(ResourceConflict):
        await create(lam, "dup", ECHO)
    with pytest.raises(InvalidParameterValue, match="Could not unzip uploaded file"):
        await lam.create_function(
            FunctionName="z", Runtime="python3.12", Handler="a.b", Role=ROLE, Code={"ZipFile": b"not a zip"}
        )
    with pytest.raises(InvalidParameterValue, match=r"Value PYTHON3\.9 at 'runtime' failed to satisfy constraint"):
        await lam.create_function(
            FunctionName="z", Runtime="PYTHON3.9", Handler="a.b", Role=ROLE, Code={"ZipFile": zipped(a="")}
        )
    with pytest.raises(InvalidParameterValue, match="Python handlers only"):
        await lam.create_function(
            FunctionName="z", Runtime="nodejs20.x", Handler="a.b", Role=ROLE, Code={"ZipFile": zipped(a="")}
        )
    with pytest.raises(ValidationException, match="Value 'r1' at 'role' failed to satisfy constraint"):
        await lam.create_function(
            FunctionName="z", Runtime="python3.12", Handler="a.b", Role="r1", Code={"ZipFile": zipped(a="")}
        )


async def test_missing_functions_are_named_in_the_error(yard) -> None:
    lam = yard.client("lambda")
    with pytest.raises(ResourceNotFound, match="Function not found: arn:aws:lambda:us-east-1:000000000000:function:no"):
        await lam.get_function(FunctionName="no")
    await create(lam, "f", ECHO)
    with pytest.raises(ResourceNotFound, match=r"function:f:7$"):
        await lam.get_function(FunctionName="f", Qualifier="7")
    with pytest.raises(InvalidParameterValue, match="derived qualifier"):
        await lam.get_function(FunctionName="f:1", Qualifier="2")


async def test_list_functions_pages_in_name_order(yard) -> None:
    lam = yard.client("lambda")
    for name in ("c", "a", "b"):
        await create(lam, name, ECHO)
    first = await lam.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["a", "b"]
    rest = await lam.list_functions(MaxItems=2, Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in rest["Functions"]] == ["c"] and "NextMarker" not in rest


async def test_update_configuration_and_code_change_what_runs(yard) -> None:
    lam = yard.client("lambda")
    created = await create(lam, "f", "import os\ndef handler(e, c):\n    return os.environ.get('GREETING')\n")
    updated = await lam.update_function_configuration(
        FunctionName="f", Environment={"Variables": {"GREETING": "hi"}}, Timeout=9
    )
    assert updated["LastUpdateStatus"] == "InProgress" and updated["RevisionId"] != created["RevisionId"]
    assert (await lam.invoke(FunctionName="f"))["Payload"] == b'"hi"'
    code = await lam.update_function_code(FunctionName="f", ZipFile=zipped(app="def handler(e, c):\n    return 2\n"))
    assert code["CodeSha256"] != created["CodeSha256"]
    assert (await lam.invoke(FunctionName="f"))["Payload"] == b"2"
    assert (await lam.get_function_configuration(FunctionName="f"))["Timeout"] == 9
    with pytest.raises(PreconditionFailed):
        await lam.update_function_configuration(FunctionName="f", Timeout=4, RevisionId=created["RevisionId"])


async def test_delete_function_forgets_it(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "gone", ECHO)
    assert (await lam.delete_function(FunctionName="gone"))["StatusCode"] == 204
    with pytest.raises(ResourceNotFound):
        await lam.invoke(FunctionName="gone")
    with pytest.raises(ResourceNotFound):
        await lam.delete_function(FunctionName="gone")
    assert (await lam.list_functions())["Functions"] == []


async def test_get_function_shows_code_location_tags_and_concurrency(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "f", ECHO, Tags={"team": "orders"})
    await lam.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=5)
    found = await lam.get_function(FunctionName="f")
    assert found["Code"]["RepositoryType"] == "S3" and found["Code"]["Location"]
    assert found["Tags"] == {"team": "orders"}
    assert found["Concurrency"] == {"ReservedConcurrentExecutions": 5}


async def test_an_arn_of_another_region_is_not_reachable(yard) -> None:
    lam = yard.client("lambda")
    await create(lam, "f", ECHO)
    with pytest.raises(
        ResourceNotFound, match=r"Functions from 'eu-west-1' are not reachable in this region \('us-east-1'\)"
    ):
        await lam.invoke(FunctionName="arn:aws:lambda:eu-west-1:000000000000:function:f")
