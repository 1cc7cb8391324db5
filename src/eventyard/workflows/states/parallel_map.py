"""Parallel and Map: states that run nested state machines and collect their outputs in order.

ASL (AWS "Parallel workflow state", "Map workflow state"):

- Parallel runs every branch on a copy of its input (after InputPath/Parameters or Arguments);
  its result is the array of branch outputs in branch order. If any branch fails, the others are
  stopped and the state fails with that branch's error (then Retry/Catch apply).
- Map runs ``ItemProcessor`` (legacy: ``Iterator``) once per item. Items come from ``ItemsPath``
  (default ``$``; JSONata: ``Items``) over the effective input, which must be an array, or from
  an ``ItemReader`` (read through the task invoker). ``ItemSelector`` (legacy: ``Parameters``)
  builds each iteration's input, seeing ``$$.Map.Item.Index`` and ``$$.Map.Item.Value``.
  ``MaxConcurrency`` (0 = no limit) bounds how many iterations run at once. The result is the
  array of iteration outputs in item order.
- Distributed mode (``ProcessorConfig.Mode: DISTRIBUTED``) runs each item (or ``ItemBatcher``
  batch ``{"Items": [...], ...BatchInput}``) as a child workflow that sees no outer variables;
  ``ToleratedFailureCount``/``ToleratedFailurePercentage`` say how many may fail before the state
  fails with ``States.ExceedToleratedFailureThreshold``.
- Branches and iterations read outer variables but assign only their own (see variables.py).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import orjson

from eventyard.workflows import dataflow, jsonata
from eventyard.workflows.errors import StatesError
from eventyard.workflows.history import History, error_details
from eventyard.workflows.model import ABSENT, StateMachine
from eventyard.workflows.paths import to_json
from eventyard.workflows.retry import choose_retry
from eventyard.workflows.runtime import Outcome, StateRun, Thread
from eventyard.workflows.tasks import Resource, TaskNotImplemented, TaskRequest, parse_resource
from eventyard.workflows.variables import Scope

# --- Parallel ------------------------------------------------------------------------------------


async def run_parallel(run: StateRun) -> Outcome:
    state = run.state
    if state.jsonata:
        branch_input = (
            dataflow.evaluate(run, state.arguments, "Arguments") if state.arguments is not ABSENT else run.raw_input
        )
    else:
        effective = dataflow.effective_input(run)
        branch_input = (
            dataflow.resolve(run, state.parameters, effective) if state.parameters is not ABSENT else effective
        )
    started = _started(run, "ParallelStateStarted")
    jobs = [(str(index), branch, branch_input) for index, branch in enumerate(state.branches)]
    try:
        results = await _run_children(run, jobs, started, limit=0)
    except StatesError as exc:
        _state_failed(run, "ParallelStateFailed", exc)
        raise
    _state_succeeded(run, "ParallelStateSucceeded")
    return _finish(run, results)


def _state_failed(run: StateRun, event_type: str, exc: StatesError) -> None:
    """``ParallelStateFailed``/``MapStateFailed``, unless a retrier takes the error.

    AWS records a retried Parallel or Map as ``...Started`` again with no ``...Failed`` in between
    (test_base_scenarios test_map_state_retry, test_parallel_state_retry); the failed event comes
    only when the error leaves the state, caught or not.
    """
    if choose_retry(run.state.retry, run.thread.retries, exc) is None:
        run.emit(event_type)


def _failed_before_start(run: StateRun, exc: StatesError) -> None:
    """A Map whose JSONata (``Items``...) fails before it starts: ``EvaluationFailed``, then
    ``MapStateFailed`` (test_base_scenarios test_map_state_items_eval_jsonata_fail); a path error
    (States.Runtime) ends the execution with neither (test_max_concurrency_path)."""
    if exc.error == jsonata.QUERY_EVALUATION_ERROR:
        dataflow.record_evaluation_failure(run, exc)
        _state_failed(run, "MapStateFailed", exc)


def _state_succeeded(run: StateRun, event_type: str) -> None:
    """``ParallelStateSucceeded``/``MapStateSucceeded``/``MapRunSucceeded``: AWS links the next event
    (``...StateExited``) to the same event this one follows, not to this one."""
    run.history.add(event_type, run.thread.last_event)


# --- Map -----------------------------------------------------------------------------------------


async def run_map(run: StateRun) -> Outcome:
    state = run.state
    processor = state.processor
    assert processor is not None
    if processor.processor_config.get("Mode") == "DISTRIBUTED":
        return await _run_distributed(run, processor)
    try:
        if "ItemReader" in state.raw:
            effective = run.raw_input if state.jsonata else dataflow.effective_input(run)
            reader = state.raw["ItemReader"]
            items = await _read_items(run, reader, effective, _max_items(run, reader, effective))
        else:
            items, effective = await _items(run)
        limit = _max_concurrency(run, effective)
        inputs = [_item_input(run, index, item, effective) for index, item in enumerate(items)]
    except StatesError as exc:
        _failed_before_start(run, exc)
        raise
    started = _started(run, "MapStateStarted", {"length": len(inputs)})
    jobs = [(str(index), processor, value) for index, value in enumerate(inputs)]
    try:
        results = await _run_children(run, jobs, started, limit=limit, iterations=True)
    except StatesError as exc:
        _state_failed(run, "MapStateFailed", exc)
        raise
    _state_succeeded(run, "MapStateSucceeded")
    return _finish(run, results)


async def _items(run: StateRun) -> tuple[list[Any], Any]:
    state = run.state
    raw = state.raw
    if state.jsonata:
        effective = run.raw_input
        if "Items" not in raw:
            if not isinstance(effective, list):
                raise StatesError(
                    "States.QueryEvaluationError",
                    run.runtime_prefix() + f"Map state input must be an array but was: {to_json(effective)}",
                )
            return effective, effective
        items = dataflow.evaluate(run, raw["Items"], "Items")
        if not isinstance(items, list):
            raise StatesError(
                "States.QueryEvaluationError",
                run.runtime_prefix() + f"The JSONata expression '{jsonata.expression_body(raw['Items'])}' specified "
                f"for the field 'Items' {_unexpected_result(items)}",
            )
        return items, effective
    effective = dataflow.effective_input(run)
    path = raw.get("ItemsPath", "$")
    items = dataflow.select(run, path, effective)
    if not isinstance(items, list):
        raise StatesError(
            "States.Runtime",
            run.runtime_prefix() + f"Invalid path '{path}' : The ItemsPath field must resolve to a JSON array.",
        )
    return items, effective


async def _read_items(run: StateRun, reader: dict[str, Any], effective: Any, max_items: int | None = None) -> list[Any]:
    """Items an ItemReader names (an S3 object or listing), fetched through the task invoker.

    Eventyard serves no S3: unless the invoker has a reader for the resource (an in-process test's
    CallableTasks may), the read fails as AWS reports a reader that cannot read its source,
    ``States.ItemReaderFailed``, with a cause that says why.
    """
    if run.state.jsonata:
        parameters = dataflow.evaluate(run, reader.get("Arguments", {}), "ItemReader/Arguments")
    else:
        parameters = dataflow.resolve(run, reader.get("Parameters", {}), effective)
    if max_items is not None and max_items < 0:  # AWS-recorded: test_map_item_reader_csv_max_items_paths[-1]
        raise StatesError("States.ItemReaderFailed", "field MaxItems must be positive")
    resource = parse_resource(str(reader.get("Resource", "")))
    request = TaskRequest(resource, parameters, run.state.name, run.execution.info.execution_arn)
    request.parameters = {"ReaderConfig": reader.get("ReaderConfig", {}), **(parameters or {})}
    try:
        items = await run.execution.tasks.invoke(request)
    except StatesError as exc:
        raise _s3_failure(run, "States.ItemReaderFailed", "ItemReader", resource, exc) from None
    if not isinstance(items, list):
        raise StatesError("States.ItemReaderFailed", "Attempting to map over non-iterable node.")
    return items[:max_items] if max_items else items


def _item_input(run: StateRun, index: int, item: Any, effective: Any) -> Any:
    state = run.state
    selector = state.raw.get("ItemSelector", state.raw.get("Parameters", ABSENT) if not state.jsonata else ABSENT)
    if selector is ABSENT:
        return item
    run.map_item = (index, item)
    try:
        if state.jsonata:
            return dataflow.evaluate(run, selector, "ItemSelector")
        return dataflow.resolve(run, selector, effective)
    finally:
        run.map_item = None


def _max_concurrency(run: StateRun, effective: Any) -> int:
    raw = run.state.raw
    if "MaxConcurrencyPath" in raw and not run.state.jsonata:
        value = _path_number(run, "MaxConcurrencyPath", effective, integer=True)
    elif run.state.jsonata and isinstance(raw.get("MaxConcurrency"), str):
        value = dataflow.evaluate(run, raw["MaxConcurrency"], "MaxConcurrency")
    else:
        value = raw.get("MaxConcurrency", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise StatesError("States.Runtime", run.runtime_prefix() + f"The MaxConcurrency value {value} is not valid.")
    return value


def _path_number(run: StateRun, field: str, effective: Any, *, integer: bool, raw: Any = None) -> Any:
    """The number a ``*Path`` limit (MaxConcurrencyPath, ToleratedFailureCountPath, MaxItemsPath...)
    selects. AWS reads the value's text, so ``"2"`` will do; anything else fails the state
    (test_base_scenarios test_max_concurrency_path, test_map_state_tolerated_failure_*_path)."""
    path = (run.state.raw if raw is None else raw)[field]
    value = dataflow.select(run, path, effective)
    text = value if isinstance(value, str) else to_json(value)
    try:
        if isinstance(value, (bool, dict, list)) or value is None:
            raise ValueError
        if integer:
            number: Any = value if isinstance(value, int) else int(text.strip())
        else:
            number = float(text)
    except ValueError:
        kind = "integer" if integer else "float"
        raise StatesError(
            "States.Runtime",
            run.runtime_prefix() + f'The {field} field refers to value "{text}" which is not a valid {kind}: {path}',
        ) from None
    return number


def _unexpected_result(value: Any) -> str:
    """How AWS words a JSONata result that is not the array a field needs."""
    if not isinstance(value, (dict, list, str, int, float, bool)) and value is not None:
        return "returned an unsupported result type."
    kind = _json_type(value)
    return f"returned an unexpected result type. Expected 'array', but was '{kind}' for value: {to_json(value)}"


def _started(run: StateRun, event: str, details: dict[str, Any] | None = None) -> int:
    """Emit the state's ``*Started`` event once: a resumed execution finds its id in the thread's frame."""
    marker = run.thread.task
    if marker and marker.get("started"):
        return int(marker["started"])
    event_id = run.emit(event, details)
    run.thread.task = {"started": event_id}
    return event_id


def _finish(run: StateRun, results: list[Any]) -> Outcome:
    if run.state.jsonata:
        output, assigned = dataflow.finish_jsonata(run, results)
    else:
        output, assigned = dataflow.finish_jsonpath(run, results)
    return Outcome(output, run.state.next, assigned)


# --- running children ----------------------------------------------------------------------------


async def _run_children(
    run: StateRun, jobs: list[tuple[str, StateMachine, Any]], started: int, *, limit: int, iterations: bool = False
) -> list[Any]:
    """Run branches/iterations, at most ``limit`` at once (0: all); outputs in job order.

    Finished children are recorded in the thread's frame so that a resumed execution does not run
    them again; the first failure stops the rest.
    """
    parent = run.thread
    run_thread = _thread_runner(run)
    resume = run.resume or {}
    history = run.history
    results: list[Any] = [None] * len(jobs)
    gate = asyncio.Semaphore(limit) if limit else None
    # AWS's previousEventId links of an inline Map: one iteration at a time (MaxConcurrency 1), an
    # iteration starts from the last state event of the one before it, not from its
    # MapIterationSucceeded (test_base_scenarios test_map_state, test_map_state_nested); at once,
    # each starts from MapStateStarted (test_timeouts test_service_lambda_map_timeout). A failed
    # state's MapStateFailed/ParallelStateFailed follows the failing child's last state event.
    cursor = started
    failed_at: int | None = None

    async def one(position: int, key: str, machine: StateMachine, child_input: Any) -> None:
        nonlocal cursor, failed_at
        saved = resume.get(key)
        if saved is not None and "output" in saved:
            results[position] = saved["output"]
            parent.children[key] = saved
            return
        if gate is not None:
            await gate.acquire()
        try:
            child = Thread(machine, parent.scope.child(), last_event=started, history=parent.history)
            frame = None
            if saved is not None:
                child.scope = Scope(saved.get("variables"), parent=parent.scope)
                child.last_event = saved.get("lastEvent", started)
                frame = saved
            parent.live_children[key] = child
            if iterations and frame is None:
                follows = cursor if limit == 1 else started
                child.last_event = history.add(
                    "MapIterationStarted", follows, {"name": run.state.name, "index": position}
                )
            start = frame["state"] if frame else machine.start_at
            try:
                output = await run_thread(child, start, frame["input"] if frame else child_input, frame)
            except StatesError:
                if failed_at is None:
                    failed_at = child.last_event
                if iterations:
                    history.add("MapIterationFailed", child.last_event, {"name": run.state.name, "index": position})
                if child.state is not None and machine.states[child.state].type == "Task":
                    # AWS reports the Task a branch or iteration failed in as aborted too (test_callback
                    # test_sqs_failure_in_wait_for_task_tok_no_error_field[SQS_PARALLEL_WAIT_FOR_TASK_TOKEN],
                    # test_timeouts test_service_lambda_map_timeout)
                    history.add("TaskStateAborted", child.last_event)
                raise
            except asyncio.CancelledError:
                if iterations and not run.execution.hooks.suspending:
                    history.add("MapIterationAborted", child.last_event, {"name": run.state.name, "index": position})
                raise
            cursor = child.last_event
            if iterations:
                history.add("MapIterationSucceeded", child.last_event, {"name": run.state.name, "index": position})
            results[position] = output
            parent.children[key] = {"output": output}
            del parent.live_children[key]
        finally:
            if gate is not None:
                gate.release()

    hooks = run.execution.hooks
    hooks.waiting_on_children(True)
    finished = False
    try:
        if limit == 1:
            for position, (key, machine, child_input) in enumerate(jobs):
                await one(position, key, machine, child_input)
        else:
            tasks = [asyncio.ensure_future(one(p, k, m, i)) for p, (k, m, i) in enumerate(jobs)]
            try:
                await _first_failure(tasks)
            finally:
                for task in tasks:
                    task.cancel()
        finished = True
    finally:
        hooks.waiting_on_children(False)
        if finished:
            parent.last_event = history.last_id if jobs else started
        elif failed_at is not None:
            parent.last_event = failed_at
        else:
            last = max([started, *(c.last_event for c in parent.live_children.values())])
            parent.last_event = max(parent.last_event, last, history.last_id if jobs else started)
        parent.children = {}
        parent.live_children = {}
    return results


async def _first_failure(tasks: Sequence[asyncio.Future[None]]) -> None:
    """Wait for every task; on the first failure cancel the rest and re-raise it."""
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                for other in pending:
                    other.cancel()
                if pending:
                    await asyncio.wait(pending)
                raise task.exception()  # type: ignore[misc]


# --- Distributed Map -----------------------------------------------------------------------------


async def _run_distributed(run: StateRun, processor: StateMachine) -> Outcome:
    """A Map run: items (read by its ItemReader inside the run), child workflows, tolerated failures.

    AWS (test_base_scenarios test_map_item_reader_*, test_map_state_tolerated_failure_*_path):
    ``MapStateStarted`` comes first (``length: 0`` with an ItemReader); a bad tolerance or
    ``MaxItemsPath`` then fails the state at once; after ``MapRunStarted`` the items are read and
    the children run, and a failure ends the run with ``MapRunFailed`` and ``MapStateFailed``.
    """
    raw = run.state.raw
    reader = raw.get("ItemReader")
    items: list[Any] = []
    try:
        if reader is None:
            items, effective = await _items(run)
        else:
            effective = run.raw_input if run.state.jsonata else dataflow.effective_input(run)
        limit = _max_concurrency(run, effective) or 1000
    except StatesError as exc:
        _failed_before_start(run, exc)
        raise
    label = raw.get("Label", run.state.name)
    map_run_arn = _map_run_arn(run, label)
    marker = run.thread.task
    resumed = bool(marker and marker.get("started"))  # a resumed execution emitted the started events before
    if not resumed:
        run.thread.task = {"started": run.emit("MapStateStarted", {"length": len(items)})}
    tolerance = _tolerance(run, effective)
    max_items = _max_items(run, reader, effective) if reader is not None else None
    if not resumed:
        run.emit("MapRunStarted", {"mapRunArn": map_run_arn})
    report = partial(
        run.execution.hooks.map_run,
        run.execution,
        map_run_arn,
        max_concurrency=_max_concurrency(run, effective),
        tolerated_count=tolerance[0],
        tolerated_percent=tolerance[1],
    )
    counts = {"total": 0, "succeeded": 0, "failed": 0}
    try:
        if reader is not None:
            items = await _read_items(run, reader, effective, max_items)
        inputs = [_item_input(run, index, item, effective) for index, item in enumerate(items)]
        batches = _batches(run, inputs, effective)
        counts["total"] = len(batches)
        report("RUNNING", **counts)
        outputs = await _run_map_run(run, processor, batches, tolerance, limit, counts)
        if "ResultWriter" in raw:
            outputs = await _write_results(run, raw["ResultWriter"], outputs, effective, map_run_arn)
    except StatesError as exc:
        report("FAILED", **counts)
        run.emit("MapRunFailed", error_details(exc.error, exc.cause))
        _state_failed(run, "MapStateFailed", exc)
        raise
    report("SUCCEEDED", **counts)
    run.emit("MapRunSucceeded")
    _state_succeeded(run, "MapStateSucceeded")
    return _finish(run, outputs)


def _max_items(run: StateRun, reader: dict[str, Any], effective: Any) -> int | None:
    config = reader.get("ReaderConfig") or {}
    if "MaxItemsPath" in config and not run.state.jsonata:
        value: Any = _path_number(run, "MaxItemsPath", effective, integer=True, raw=config)
    elif run.state.jsonata and isinstance(config.get("MaxItems"), str):
        value = dataflow.evaluate(run, config["MaxItems"], "ItemReader/ReaderConfig/MaxItems")
    else:
        value = config.get("MaxItems")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _write_results(run: StateRun, writer: dict[str, Any], outputs: list[Any], effective: Any, arn: str) -> Any:
    """A ResultWriter's S3 write through the task invoker; what it returns becomes the Map's result.

    Without a writer behind the resource (Eventyard serves no S3) the Map run fails with
    ``States.ResultWriterFailed``, AWS's error for results it could not write.
    """
    if run.state.jsonata:
        parameters = dataflow.evaluate(run, writer.get("Arguments", {}), "ResultWriter/Arguments")
    else:
        parameters = dataflow.resolve(run, writer.get("Parameters", {}), effective)
    resource = parse_resource(str(writer.get("Resource", "arn:aws:states:::s3:putObject")))
    request = TaskRequest(resource, parameters, run.state.name, run.execution.info.execution_arn)
    request.parameters = {
        "WriterConfig": writer.get("WriterConfig", {}),
        **(parameters or {}),
        "MapRunArn": arn,
        "Results": outputs,
    }
    try:
        return await run.execution.tasks.invoke(request)
    except StatesError as exc:
        raise _s3_failure(run, "States.ResultWriterFailed", "ResultWriter", resource, exc) from None


def _s3_failure(run: StateRun, error: str, field: str, resource: Resource, exc: StatesError) -> StatesError:
    """A reader or writer call that failed, as AWS names it (States.ItemReaderFailed/ResultWriterFailed).

    Nothing behind the resource (an in-process invoker without it, or the service's "does not serve"
    States.Runtime) says that Eventyard serves no S3; another failure keeps its cause.
    """
    if exc.error == error:
        return exc
    if isinstance(exc, TaskNotImplemented) or exc.error == "States.Runtime":
        return StatesError(
            error,
            f"Eventyard serves no S3: the {field} of state '{run.state.name}' cannot call "
            f"{resource.resource_type}:{resource.resource} ({resource.arn}).",
        )
    return StatesError(error, exc.cause or exc.error)


async def _run_map_run(
    run: StateRun,
    processor: StateMachine,
    batches: list[Any],
    tolerance: tuple[int, float | None],
    limit: int,
    counts: dict[str, int],
) -> list[Any]:
    """Every child workflow of a Map run; raises States.ExceedToleratedFailureThreshold past the tolerance.

    ``counts`` ends with how many children succeeded and failed."""
    tolerated_count, tolerated_percent = tolerance
    gate = asyncio.Semaphore(limit)
    execution = run.execution
    parent = run.thread
    resume = run.resume or {}
    run_thread = _thread_runner(run)
    outputs: list[Any] = [None] * len(batches)
    failures = 0

    async def child(index: int, child_input: Any) -> None:
        """One child workflow (its own history, no outer variables); finished ones are kept in the
        parent's frame so that a resumed execution does not run them again."""
        nonlocal failures
        key = str(index)
        saved = resume.get(key)
        if saved is not None and "output" in saved:
            outputs[index] = saved["output"]
            failures += 1 if saved.get("failed") else 0
            parent.children[key] = saved
            return
        async with gate:
            thread = Thread(processor, Scope(), last_event=0, distributed=True, history=History(execution.clock.now))
            frame = None
            if saved is not None:
                thread.scope = Scope(saved.get("variables"))
                frame = saved
            parent.live_children[key] = thread
            try:
                start = frame["state"] if frame else processor.start_at
                outputs[index] = await run_thread(thread, start, frame["input"] if frame else child_input, frame)
                parent.children[key] = {"output": outputs[index]}
            except StatesError as exc:
                failures += 1
                outputs[index] = {"Error": exc.error, "Cause": exc.cause}
                parent.children[key] = {"output": outputs[index], "failed": True}
            finally:
                parent.live_children.pop(key, None)

    hooks = execution.hooks
    hooks.waiting_on_children(True)
    try:
        await asyncio.gather(*(child(i, value) for i, value in enumerate(batches)))
    finally:
        hooks.waiting_on_children(False)
        parent.children, parent.live_children = {}, {}
    counts["succeeded"], counts["failed"] = len(batches) - failures, failures
    allowed = tolerated_count
    if tolerated_percent is not None and batches:
        allowed = max(allowed, math.floor(len(batches) * tolerated_percent / 100))
    if failures > allowed:
        raise StatesError(
            "States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded"
        )
    return outputs


def _map_run_arn(run: StateRun, label: str) -> str:
    """``arn:...:mapRun:<machine>/<label>:<id>``, the same id for the same entry into the state."""
    info = run.execution.info
    prefix = info.execution_arn.split(":execution:", 1)[0]
    seed = f"{info.execution_arn}/{run.state.name}/{run.entered_id}"
    return f"{prefix}:mapRun:{info.state_machine_name}/{label}:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def _thread_runner(run: StateRun) -> Callable[[Thread, str, Any, dict[str, Any] | None], Awaitable[Any]]:
    runner = run.execution.run_thread
    if runner is None:
        raise RuntimeError("the execution has no thread runner (build it with Interpreter.execution)")
    return runner


def _batches(run: StateRun, inputs: list[Any], effective: Any) -> list[Any]:
    batcher = run.state.raw.get("ItemBatcher")
    if not isinstance(batcher, dict):
        return inputs
    max_items = batcher.get("MaxItemsPerBatch")
    if "MaxItemsPerBatchPath" in batcher:
        max_items = dataflow.select(run, batcher["MaxItemsPerBatchPath"], effective)
    max_bytes = batcher.get("MaxInputBytesPerBatch")
    if "MaxInputBytesPerBatchPath" in batcher:
        max_bytes = dataflow.select(run, batcher["MaxInputBytesPerBatchPath"], effective)
    batch_input = batcher.get("BatchInput")
    if isinstance(batch_input, dict) and not run.state.jsonata:
        batch_input = dataflow.resolve(run, batch_input, effective)
    elif batch_input is not None and run.state.jsonata:
        batch_input = dataflow.evaluate(run, batch_input, "ItemBatcher/BatchInput")
    batches: list[list[Any]] = []
    current: list[Any] = []
    size = 0
    for item in inputs:
        item_size = len(orjson.dumps(item))
        full = (max_items and len(current) >= max_items) or (max_bytes and current and size + item_size > max_bytes)
        if full:
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        batches.append(current)
    return [{**(batch_input or {}), "Items": batch} for batch in batches]


def _tolerance(run: StateRun, effective: Any) -> tuple[int, float | None]:
    """ToleratedFailureCount and ToleratedFailurePercentage, from a value, a Path or an expression."""
    raw = run.state.raw
    count = raw.get("ToleratedFailureCount", 0)
    if "ToleratedFailureCountPath" in raw:
        count = _path_number(run, "ToleratedFailureCountPath", effective, integer=True)
    percent = raw.get("ToleratedFailurePercentage")
    if "ToleratedFailurePercentagePath" in raw:
        percent = _path_number(run, "ToleratedFailurePercentagePath", effective, integer=False)
    if run.state.jsonata:
        if isinstance(count, str):
            count = dataflow.evaluate(run, count, "ToleratedFailureCount")
        if isinstance(percent, str):
            percent = dataflow.evaluate(run, percent, "ToleratedFailurePercentage")
    count = count or 0
    if not isinstance(count, (int, float)) or isinstance(count, bool) or count < 0:
        raise StatesError("States.Runtime", run.runtime_prefix() + "ToleratedFailureCount cannot be negative.")
    if percent is not None and (
        not isinstance(percent, (int, float)) or isinstance(percent, bool) or not 0 <= percent <= 100
    ):
        raise StatesError(
            "States.Runtime", run.runtime_prefix() + "ToleratedFailurePercentage must be between 0 and 100."
        )
    return int(count), None if percent is None else float(percent)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__
