"""The durable execution engine: Standard executions as kernel timers, resumable on any node.

An execution is a row (``execution_store``) plus its history, and one kernel timer (key: its ARN)
while it has something to do. A firing of the timer loads the execution and runs the interpreter
from where the execution was committed (its ``snapshot``) until it ends or every thread waits:

- it ends: the last events, the status and the output commit together with the timer's deletion;
- every thread waits (a Wait, a retry's back-off, a callback, an activity, a ``.sync`` child): the
  snapshot of every thread and the events so far commit together with the timer re-armed at the
  earliest moment one of them can go on (none: only a callback can wake it, which sets the timer);
- along the way a checkpoint commits progress where it matters: before a call whose effect is
  outside the yard (a function, an HTTP request) and with its outcome after it, and in the very
  transaction of an effect inside the yard (a message sent, an execution started), so that effect
  happens exactly once (``integrations``).

An execution of a machine that only computes (Pass, Choice, Succeed, Fail: ``run_inline``) has no
firing at all: it runs to its end before its start commits, and StartExecution writes it ended.

No execution lives in a coroutine across a suspension: the coroutines of a firing end with it, and
the next firing (on this node or another, after a crash) rebuilds the execution from the row.
Events are appended, never rewritten: a crash between two commits loses only events that were
never committed, which the next firing produces again, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

import orjson

from eventyard.kernel import Firing, Job
from eventyard.workflows import execution_store as store
from eventyard.workflows.history import History, payload
from eventyard.workflows.hooks import ExecutionHooks
from eventyard.workflows.interpreter import ExecutionResult, finish_execution, run_thread
from eventyard.workflows.model import StateMachine, parse_definition
from eventyard.workflows.runtime import Execution, ExecutionInfo, Thread
from eventyard.workflows.variables import Scope

if TYPE_CHECKING:
    from eventyard.workflows.service import WorkflowService

log = logging.getLogger("eventyard.workflows")

OWNER = "states.execution"
#: On wall time, a wait shorter than this is slept in the firing instead of suspending for it.
SHORT_WAIT = 0.05
#: Started executions whose first firing is remembered at most (see ``ExecutionEngine.started``).
MAX_FRESH = 10_000


class ExecutionStopped(Exception):
    """The execution ended meanwhile (StopExecution, or another node finished it): drop this firing."""


@lru_cache(maxsize=512)
def parsed(digest: str, definition: str) -> StateMachine:
    """A definition parsed once per node (executions of one machine share its digest)."""
    return parse_definition(definition)


class ExecutionEngine(Job):
    owner = OWNER
    concurrency = 64

    def __init__(self, service: WorkflowService) -> None:
        self.service = service
        self.yard = service.yard
        self.kernel = service.yard.kernel
        #: Executions started on this node and not fired yet: (row, definition, attempts) as written.
        self.fresh: dict[str, tuple[store.ExecutionRow, str, list[store.Attempt]]] = {}

    async def fire(self, firing: Firing) -> None:
        await DurableRun(self, firing).run()

    def started(self, row: store.ExecutionRow, definition: str) -> None:
        """An execution this node just committed, about to be fired: its first firing needs no read.

        The row is exactly what the start wrote; should anything have changed it since (a
        StopExecution in between), the firing's commits find it so and drop the run."""
        if len(self.fresh) >= MAX_FRESH:  # firings that never came (the yard stopping): forget them
            self.fresh.clear()
        self.fresh[row.execution_arn] = (row, definition, [])

    async def load(self, execution_arn: str) -> tuple[store.ExecutionRow, str, list[store.Attempt]] | None:
        fresh = self.fresh.pop(execution_arn, None)
        if fresh is not None:
            return fresh
        return await self.yard.db.read(partial(_load, execution_arn=execution_arn))

    def wake(self, connection: Any, execution_arn: str) -> None:
        """Inside a job that changed what an execution waits for: fire it now."""
        self.kernel.set(connection, OWNER, execution_arn, self.kernel.clock.now())


class DurableHooks(ExecutionHooks):
    """Counts the threads that can make progress; when none can, the run suspends (see the module doc)."""

    def __init__(self, run: DurableRun) -> None:
        self.run = run
        self.running = 0
        self.parked: list[float | None] = []
        self.quiet = asyncio.Event()

    def _changed(self) -> None:
        if self.running == 0 and self.parked:
            self.quiet.set()

    def thread_started(self) -> None:
        self.running += 1

    def thread_ended(self) -> None:
        self.running -= 1
        self._changed()

    def waiting_on_children(self, waiting: bool) -> None:
        self.running += -1 if waiting else 1
        self._changed()

    def new_attempt_id(self, execution: Execution) -> str:
        from eventyard.ids import random_hex

        return random_hex(256)

    def map_run(self, execution: Execution, map_run_arn: str, status: str, **counts: Any) -> None:
        self.run.map_runs[map_run_arn] = (status, self.run.clock.now(), counts)

    async def sleep_until(self, execution: Execution, moment: float) -> None:
        await self.park(moment)

    async def park(self, until: float | None) -> None:
        """Wait until ``until`` (None: until the run is suspended, a callback wakes it later)."""
        clock = self.run.clock
        if until is not None and until <= clock.now():
            await asyncio.sleep(0)
            return
        short = until is not None and not getattr(clock, "virtual", False) and until - clock.now() < SHORT_WAIT
        self.parked.append(until)
        self.running -= 1
        if not short:
            self._changed()
        try:
            if until is None:
                await asyncio.Event().wait()  # only the suspension ends this
            else:
                await clock.sleep_until(until)
        finally:
            self.running += 1
            self.parked.remove(until)


class DurableRun:
    """One firing of one execution: load, run until it ends or waits, commit."""

    def __init__(self, engine: ExecutionEngine, firing: Firing) -> None:
        self.engine = engine
        self.firing = firing
        self.yard = engine.yard
        self.clock = engine.yard.clock
        self.arn = firing.timer.key
        self.hooks = DurableHooks(self)
        self.attempts: dict[str, store.Attempt] = {}
        self.written = 0  # events of this firing's history already committed
        self.map_runs: dict[str, tuple[str, float, dict[str, Any]]] = {}  # to record at the next commit
        self.execution: Execution | None = None
        self.row: store.ExecutionRow | None = None

    # --- the run ------------------------------------------------------------------------------------

    async def run(self) -> None:
        loaded = await self.engine.load(self.arn)
        if loaded is None:
            return
        row, definition, attempts = loaded
        if row.status != "RUNNING":
            return
        self.row = row
        self.attempts = {a.token: a for a in attempts}
        machine = parsed(row.definition_hash, definition)
        execution = self.execution = self._execution(row, machine)
        if row.snapshot:
            snapshot = orjson.loads(row.snapshot)
            frame = snapshot["root"]
            root = Thread(machine, Scope(frame.get("variables")), last_event=frame.get("lastEvent", 0))
            start, value = frame["state"], frame["input"]
        else:
            root, frame = Thread(machine, Scope(), last_event=0), None  # AWS: the first state follows event 0
            start, value = machine.start_at, orjson.loads(row.input)
        execution.root = root
        work = asyncio.ensure_future(finish_execution(execution, start, value, frame))
        try:
            result = await self._until_done_or_quiet(work)
        except ExecutionStopped:
            await _cancelled(work, self.hooks)
            return
        if result is None:  # every thread waits
            snapshot_text = orjson.dumps(execution.snapshot()).decode()
            wake = self._wake_at()
            await _cancelled(work, self.hooks)
            self.firing.also(self._commit_job(snapshot_text))
            if wake is not None:
                self.firing.rearm(self.firing.timer, wake)
            return
        now = self.clock.now()
        output = payload(result.output) if result.status == "SUCCEEDED" else None
        result = described(result)
        status_event = await self.engine.service.status_event_for(
            row, result.status, stopped_at=now, output=output, error=result.error, cause=result.cause
        )
        redrive = None if result.status == "SUCCEEDED" else _redrive_point(execution)
        self.firing.also(self._finish_job(result, now, output, redrive, status_event))
        if status_event is not None:
            self.firing.after(status_event.committed)

    async def _until_done_or_quiet(self, work: asyncio.Future[ExecutionResult]) -> ExecutionResult | None:
        hooks = self.hooks
        while True:
            quiet = asyncio.ensure_future(hooks.quiet.wait())
            try:
                waits: set[asyncio.Future[Any]] = {work, quiet}
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                quiet.cancel()
            if work.done():
                return work.result()
            if hooks.running == 0 and hooks.parked:
                return None
            hooks.quiet.clear()

    def _wake_at(self) -> float | None:
        moments = [moment for moment in self.hooks.parked if moment is not None]
        return min(moments) if moments else None

    def _execution(self, row: store.ExecutionRow, machine: StateMachine) -> Execution:
        from eventyard.workflows.integrations import ServiceTasks

        info = execution_info(row)
        tasks: Any = ServiceTasks(self)
        case = orjson.loads(row.details).get("testCase") if "testCase" in row.details else None
        mocks = getattr(self.engine.service, "mocks", None)
        if case is not None and mocks is not None:
            from eventyard.workflows.mocks import MockedTasks

            tasks = MockedTasks(mocks, info.state_machine_name, case, tasks)
        execution = Execution(
            machine=machine,
            info=info,
            clock=self.clock,
            tasks=tasks,
            history=History(self.clock.now, start=row.history_length),
            hooks=self.hooks,
        )
        execution.run_thread = lambda thread, name, value, frame: run_thread(execution, thread, name, value, frame)
        timeout = machine.timeout_seconds
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            execution.deadline = max(row.started_at, row.redrive_at or 0.0) + timeout
        return execution

    # --- commits ------------------------------------------------------------------------------------

    def _new_events(self) -> tuple[list[dict[str, Any]], int]:
        assert self.execution is not None
        history = self.execution.history
        fresh = history.events[self.written :]
        self.written = len(history.events)
        return fresh, history.last_id

    def _map_runs_job(self) -> Callable[[Any], None]:
        runs, self.map_runs = self.map_runs, {}
        arn = self.arn

        def job(c: Any) -> None:
            for map_run_arn, (status, moment, counts) in runs.items():
                store.put_map_run(c, map_run_arn, arn, status, moment, counts)

        return job

    def _commit_job(self, snapshot: str, effect: Callable[[Any], Any] | None = None) -> Callable[[Any], Any]:
        """The progress so far (new events, the snapshot), and ``effect`` in the same transaction."""
        fresh, length = self._new_events()
        arn = self.arn
        map_runs = self._map_runs_job()

        def job(c: Any) -> Any:
            current = store.execution(c, arn, for_update=True)
            if current is None or current.status != "RUNNING":
                raise ExecutionStopped(arn)
            store.add_events(c, arn, fresh)
            store.save_progress(c, arn, snapshot, length)
            map_runs(c)
            return effect(c) if effect is not None else None

        return job

    async def checkpoint(self, effect: Callable[[Any], Any] | None = None) -> Any:
        """Commit the progress so far now (with ``effect``, whose result is returned), the claim checked."""
        assert self.execution is not None
        snapshot = orjson.dumps(self.execution.snapshot()).decode()
        return await self.firing.checkpoint(self._commit_job(snapshot, effect))

    def _finish_job(
        self, result: ExecutionResult, now: float, output: str | None, redrive: str | None, status_event: Any
    ) -> Callable[[Any], None]:
        fresh, length = self._new_events()
        arn = self.arn
        service = self.engine.service
        map_runs = self._map_runs_job()

        def job(c: Any) -> None:
            current = store.execution(c, arn, for_update=True)
            if current is None or current.status != "RUNNING":
                return  # stopped meanwhile: what StopExecution wrote stands
            store.add_events(c, arn, fresh)
            map_runs(c)
            store.finish_execution(c, arn, result.status, output, result.error, result.cause, now, length, redrive)
            service.execution_ended(c, current, result.status, output, result.error, result.cause, now)
            if status_event is not None:
                status_event.write(c)

        return job

    # --- attempts (for the integrations) -------------------------------------------------------------

    async def refresh(self, token: str) -> store.Attempt | None:
        found = await self.yard.db.read(partial(store.attempt, token=token))
        if found is not None:
            self.attempts[token] = found
        return found


def execution_info(row: store.ExecutionRow) -> ExecutionInfo:
    return ExecutionInfo(
        execution_arn=row.execution_arn,
        name=row.name,
        state_machine_arn=row.version_arn or row.state_machine_arn,
        state_machine_name=row.state_machine_arn.rsplit(":", 1)[-1],
        role_arn=row.role_arn,
        start_time=row.started_at,
        input=orjson.loads(row.input),
        redrive_count=row.redrive_count,
    )


# --- inline runs: a machine that only computes ends in the transaction that starts it ----------------

#: States that neither wait nor call anything: an execution of them runs to its end at once.
COMPUTING = frozenset({"Pass", "Choice", "Succeed", "Fail"})
#: An inline run that grows past this many events (a Choice looping) is dropped and runs as usual.
INLINE_EVENTS = 500


class _TooLongInline(Exception):
    """The inline run went past INLINE_EVENTS: start the execution the usual way instead."""


class _NoTasks:
    """The task invoker of an inline run, which has no Task state (see ``COMPUTING``)."""

    async def invoke(self, request: Any) -> Any:
        raise RuntimeError("an inline run has no Task state")


@dataclasses.dataclass(slots=True)
class InlineEnd:
    """How an inline run ended: what the start writes instead of arming the execution's timer."""

    result: ExecutionResult
    events: list[dict[str, Any]]
    stopped_at: float
    output: str | None
    redrive: str | None


@lru_cache(maxsize=512)
def computes_only(digest: str, definition: str) -> bool:
    """Whether every state of the machine is one of ``COMPUTING`` (no Task, Wait, Parallel or Map)."""
    return all(state.type in COMPUTING for state in parsed(digest, definition).states.values())


async def run_inline(row: store.ExecutionRow, definition: str, clock: Any) -> InlineEnd | None:
    """Run a new execution of a computing-only machine to its end in memory, before its start commits.

    StartExecution then writes the execution ended, with its whole history, in its own transaction:
    one transaction instead of three (start, load, finish), and the answer still comes only once it
    is durable. None when the run grew past ``INLINE_EVENTS`` (it starts the usual way then)."""
    machine = parsed(row.definition_hash, definition)

    def bounded(event: dict[str, Any]) -> None:
        if event["id"] > INLINE_EVENTS:
            raise _TooLongInline

    execution = Execution(
        machine=machine,
        info=execution_info(row),
        clock=clock,
        tasks=_NoTasks(),
        history=History(clock.now, bounded, start=row.history_length),
    )
    execution.run_thread = lambda thread, name, value, frame: run_thread(execution, thread, name, value, frame)
    execution.root = Thread(machine, Scope(), last_event=0)
    try:
        result = await finish_execution(execution, machine.start_at, orjson.loads(row.input), None)
    except _TooLongInline:
        return None
    output = payload(result.output) if result.status == "SUCCEEDED" else None
    redrive = None if result.status == "SUCCEEDED" else _redrive_point(execution)
    return InlineEnd(described(result), execution.history.events, clock.now(), output, redrive)


def described(result: ExecutionResult) -> ExecutionResult:
    """The outcome as DescribeExecution reports it: an execution that ran out of its TimeoutSeconds is
    TIMED_OUT with no error and no cause (AWS-recorded: test_timeouts, test_global_timeout); its
    history's ExecutionTimedOut event names States.Timeout."""
    if result.status != "TIMED_OUT":
        return result
    return dataclasses.replace(result, error=None, cause=None)


def _redrive_point(execution: Execution) -> str:
    """Where a redrive continues: the state that failed, to be entered again with its retries reset."""
    data = execution.snapshot()
    root = data.get("root") or {}
    for key in ("entered", "retryAt", "task"):
        root.pop(key, None)
    root["retries"] = []
    root["children"] = {}
    return orjson.dumps(data).decode()


def _load(c: Any, execution_arn: str) -> tuple[store.ExecutionRow, str, list[store.Attempt]] | None:
    row = store.execution(c, execution_arn)
    if row is None:
        return None
    definition = store.definition(c, row.definition_hash) or "{}"
    return row, definition, store.attempts_of(c, execution_arn)


async def _cancelled(work: asyncio.Future[Any], hooks: DurableHooks) -> None:
    """End the coroutines of a suspended run without taking it for an abort."""
    hooks.suspending = True
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await work
