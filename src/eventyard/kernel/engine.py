"""The kernel: one supervised loop that claims due timers and fires them on their jobs, on the Clock.

Every background task of every service is a timer of some job (see :mod:`.timers`): deliveries and
their retries, schedules, replays, message move tasks, retention sweeps, workflow steps. The loop
claims ready timers in one statement (``... FOR UPDATE SKIP LOCKED RETURNING`` on PostgreSQL), runs
each job's ``fire`` under the job's concurrency limit, and records each firing's outcome in one
transaction. A database error backs the loop off and it tries again; it never ends.

Claims belong to the node (``kernel.node``): the loop renews them while their firings run, a
clean stop hands them over at once, and a node that dies simply stops renewing, so its timers come
due again for any other node after :data:`CLAIM_SECONDS`. On an embedded database, which has one
node, a restart releases the previous run's claims at once.

Time: with a virtual clock, :meth:`Kernel.advance` moves the clock from one due timer to the next,
firing each in order and letting it finish before time moves on; :meth:`Kernel.run_until_idle`
fires what is due now until nothing is. A test that waits a day takes milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from eventyard.clock import Clock, VirtualClock
from eventyard.ids import random_hex
from eventyard.kernel import store
from eventyard.kernel.leases import Leases
from eventyard.kernel.metrics import KernelMetrics
from eventyard.kernel.timers import ClaimLost, Firing, Job, Timer
from eventyard.storage.base import Database

log = logging.getLogger("eventyard.kernel")

#: How long a claim lasts without renewal: a dead node's timers come due again after this.
CLAIM_SECONDS = 30.0
#: How often the loop renews the claims of firings still running.
RENEW_SECONDS = 10.0
#: Timers one claim statement takes at most, and timers a node has in flight at most.
CLAIM_BATCH = 256
MAX_IN_FLIGHT = 4096
#: Where several nodes share the database, how often to look for timers other nodes made due.
SHARED_POLL_SECONDS = 1.0
#: The longest the loop sleeps with nothing due (a safety net; wakes come from set timers).
IDLE_SECONDS = 60.0
#: After a failed firing, the next try waits this long times 2**attempts (capped at 5 minutes).
FAILURE_BACKOFF = 1.0


class Kernel:
    """Timers, leases and the jobs that fire them, for one yard (one node)."""

    migrations = store.MIGRATIONS

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.node = random_hex(64)
        self.claim_seconds = CLAIM_SECONDS
        self.jobs: dict[str, Job] = {}
        self.leases = Leases(self)
        self.metrics = KernelMetrics()
        self._owners: tuple[str, ...] = ()
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._firings: set[asyncio.Task[None]] = set()
        self._in_flight: set[tuple[str, str]] = set()
        self._wake = asyncio.Event()
        self._planned: float | None = None  # when the loop means to look next
        self._full = False  # the loop waits for firings to finish before it claims more
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False

    # --- registration and lifecycle ---------------------------------------------------------------

    def register(self, job: Job) -> None:
        """Make ``job`` fire the timers of its owner on this node (services register in ``__init__``)."""
        if job.owner in self.jobs:
            raise ValueError(f"a job already fires the timers of {job.owner!r}")
        self.jobs[job.owner] = job
        self._owners = tuple(sorted(self.jobs))

    async def start(self) -> None:
        if self._running:
            return
        self._loop = asyncio.get_running_loop()
        self._semaphores = {owner: asyncio.Semaphore(job.concurrency) for owner, job in self.jobs.items()}
        if not self.db.shared_by_nodes:
            await self.db.write(_release_previous_run)
        self._running = True
        self._tasks = [
            asyncio.create_task(self._supervise(self._claim_forever), name="kernel-claims"),
            asyncio.create_task(self._supervise(self._renew_forever), name="kernel-renewals"),
        ]

    async def stop(self, grace: float = 2.0) -> None:
        """Stop claiming, give running firings ``grace`` seconds (real time), then hand every claim over."""
        if not self._running:
            return
        self._running = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._firings:
            _, pending = await asyncio.wait(set(self._firings), timeout=grace)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        try:
            await self.db.write(partial(_hand_over, node=self.node))
        except Exception:  # the claims run out by themselves
            log.warning("kernel: could not hand claims over at stop", exc_info=True)

    # --- timers, for services (inside their own write jobs) -----------------------------------------

    def set(self, connection: Any, owner: str, key: str, due: float, payload: str = "") -> None:
        """Arm ``owner``'s timer ``key`` at ``due`` in the caller's transaction (re-arming it if armed)."""
        store.set_timer(connection, owner, key, due, payload, self.clock.now())
        self.poke(due)

    def ensure(self, connection: Any, owner: str, key: str, due: float, payload: str = "") -> None:
        """Arm a timer unless it is armed already (a periodic job's first arming, a restart's check)."""
        if store.ensure_timer(connection, owner, key, due, payload, self.clock.now()):
            self.poke(due)

    def cancel(self, connection: Any, owner: str, key: str) -> None:
        store.cancel_timer(connection, owner, key)

    def add(self, connection: Any, owner: str, items: Sequence[tuple[str, str]], due: float) -> None:
        """New timers (key, payload) due at ``due``, for whichever node claims them first."""
        store.add_timers(connection, owner, items, due)
        self.poke(due)

    def add_claimed(self, connection: Any, owner: str, items: Sequence[tuple[str, str]], due: float) -> list[Timer]:
        """New timers claimed by this node at once: after the caller's commit, :meth:`fire_now` them.

        This is the hot path of work that should start the moment it is accepted (a PutEvents'
        deliveries): no claim round trip, and no other node can take them meanwhile.
        """
        until = self.clock.now() + self.claim_seconds
        return [Timer.from_row(row) for row in store.add_claimed(connection, owner, items, due, self.node, until)]

    def fire_now(self, timers: Sequence[Timer]) -> None:
        """Fire timers this node claimed with :meth:`add_claimed`, once their transaction committed."""
        if timers:
            self._dispatch(list(timers))

    def poke(self, due: float) -> None:
        """A timer is due at ``due``: make the loop look then, if it meant to look later (thread-safe)."""
        loop = self._loop
        if loop is None:
            return
        planned = self._planned
        if planned is not None and due >= planned:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing to wake
            loop.call_soon_threadsafe(self._wake.set)

    # --- virtual time -------------------------------------------------------------------------------

    async def run_until_idle(self) -> None:
        """Fire every timer that is due now, and what those firings make due now, until none is."""
        quiet = 0
        while quiet < 2:
            claimed = await self._claim_once()
            if self._firings:
                await asyncio.gather(*set(self._firings), return_exceptions=True)
                quiet = 0
            elif claimed:
                quiet = 0
            else:
                quiet += 1
                for _ in range(3):  # let what the firings scheduled on the loop run first
                    await asyncio.sleep(0)

    async def advance(self, seconds: float) -> float:
        """Move a virtual clock ``seconds`` forward, stopping at each due timer to fire it, in order."""
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise RuntimeError("this yard runs on wall time; open it with clock=VirtualClock() to advance time")
        target = clock.now() + seconds
        while True:
            await self.run_until_idle()
            upcoming = await self.db.read(partial(store.next_ready, owners=self._owners)) if self._owners else None
            if upcoming is None or upcoming > target:
                break
            clock.set(max(upcoming, clock.now()))
        clock.set(target)
        await self.run_until_idle()
        return clock.now()

    # --- the loop -----------------------------------------------------------------------------------

    async def _supervise(self, work: Any) -> None:
        """Run ``work`` forever: an error is logged and counted, and it starts again after a back-off."""
        delay = 0.1
        while True:
            try:
                await work()
                delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception:
                self.metrics.loop_errors += 1
                log.exception("kernel: %s failed; trying again in %.1f s", getattr(work, "__name__", work), delay)
                await asyncio.sleep(delay)  # real time: the database may need it, whatever the clock says
                delay = min(delay * 2, 5.0)

    async def _claim_forever(self) -> None:
        while True:
            claimed = await self._claim_once()
            if claimed < CLAIM_BATCH:
                await self._sleep_until_next()

    async def _claim_once(self) -> int:
        room = min(CLAIM_BATCH, MAX_IN_FLIGHT - len(self._in_flight))
        if room <= 0 or not self._owners:
            return 0
        now = self.clock.now()
        rows = await self.db.write(
            partial(_claim, owners=self._owners, node=self.node, now=now, until=now + self.claim_seconds, limit=room)
        )
        timers = [Timer.from_row(row) for row in rows]
        self._dispatch(timers)
        return len(timers)

    async def _sleep_until_next(self) -> None:
        clock = self.clock
        self._wake.clear()
        upcoming = await self.db.read(partial(store.next_ready, owners=self._owners)) if self._owners else None
        now = clock.now()
        horizon = SHARED_POLL_SECONDS if self.db.shared_by_nodes else IDLE_SECONDS
        deadline = now + horizon if upcoming is None else min(max(upcoming, now), now + horizon)
        self._full = len(self._in_flight) >= MAX_IN_FLIGHT
        if self._full:
            deadline = now + horizon  # a finishing firing wakes the loop
        self._planned = deadline
        if deadline <= now:
            await asyncio.sleep(0)
            return
        sleeper = asyncio.ensure_future(clock.sleep_until(deadline))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
            self._planned = None

    async def _renew_forever(self) -> None:
        """Renew this node's claims while their firings run; hand back claims no firing holds."""
        rounds = 0
        while True:
            await self.clock.sleep(RENEW_SECONDS)
            now = self.clock.now()
            rounds += 1
            if rounds % 6 == 0:  # about once a minute: claims whose firing vanished go back
                held = await self.db.read(partial(store.claimed_by, claim=self.node))
                orphans = [key for key in held if key not in self._in_flight]
                if orphans:
                    log.warning("kernel: handing back %d claimed timers no firing holds", len(orphans))
                    await self.db.write(partial(store.hand_back, keys=orphans, claim=self.node))
            await self.db.write(partial(_renew, node=self.node, until=now + self.claim_seconds))

    # --- firing -------------------------------------------------------------------------------------

    def _dispatch(self, timers: list[Timer]) -> None:
        by_owner: dict[str, list[Timer]] = {}
        for timer in timers:
            key = (timer.owner, timer.key)
            if key in self._in_flight:  # already firing here (claimed again after a slow renewal)
                continue
            self._in_flight.add(key)
            by_owner.setdefault(timer.owner, []).append(timer)
        for owner, owned in by_owner.items():
            job = self.jobs[owner]
            for start in range(0, len(owned), job.batch):
                task = asyncio.ensure_future(self._fire(job, owned[start : start + job.batch]))
                self._firings.add(task)
                task.add_done_callback(self._firings.discard)

    async def _fire(self, job: Job, timers: list[Timer]) -> None:
        firing = Firing(self, job, self.node, timers)
        try:
            semaphore = self._semaphores.get(job.owner)
            async with semaphore if semaphore is not None else contextlib.nullcontext():
                try:
                    await job.fire(firing)
                except ClaimLost:
                    self.metrics.count(job.owner, "claims_lost", len(timers))
                    return
                except Exception:
                    self.metrics.count(job.owner, "failed", len(timers))
                    log.exception("kernel: %s failed to fire %s", job.owner, [t.key for t in timers][:5])
                    firing = firing.failed(self.clock.now(), _failure_backoff)
                try:
                    await self.db.write(firing.close)
                except ClaimLost:
                    self.metrics.count(job.owner, "claims_lost", len(timers))
                except Exception:  # the claims run out and the timers fire again: at least once
                    self.metrics.count(job.owner, "failed", len(timers))
                    log.exception("kernel: could not record the firing of %s", job.owner)
                else:
                    self.metrics.count(job.owner, "fired", len(timers))
                    try:
                        firing.committed()
                    except Exception:
                        log.exception("kernel: %s failed after its firing committed", job.owner)
        finally:
            for timer in timers:
                self._in_flight.discard((timer.owner, timer.key))
            earliest = firing.earliest_rearm()
            if earliest is not None:
                self.poke(earliest)
            if self._full:
                self._wake.set()


def _failure_backoff(attempts: int) -> float:
    return min(300.0, FAILURE_BACKOFF * 2.0 ** min(attempts, 12))


# --- the kernel's own jobs on the database (run in its thread) ----------------------------------------


def _release_previous_run(c: Any) -> None:
    store.release_every_claim(c)
    store.release_every_lease(c)


def _claim(c: Any, owners: tuple[str, ...], node: str, now: float, until: float, limit: int) -> list[Any]:
    store.renew_claims(c, [node], until)  # first keep our own: a slow firing is never claimed twice here
    return store.claim_ready(c, owners, now, node, until, limit)


def _renew(c: Any, node: str, until: float) -> None:
    store.renew_claims(c, [node], until)


def _hand_over(c: Any, node: str) -> None:
    store.hand_over(c, [node])
