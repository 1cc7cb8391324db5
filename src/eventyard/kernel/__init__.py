"""The kernel: durable timers, leases and the supervised jobs that fire them, on the yard's Clock.

Every background job of every service runs on it (see ``docs/architecture.md``): a service
registers a :class:`Job` per kind of timer, arms timers inside its own transactions with
``yard.kernel.set(connection, owner, key, due)``, and the kernel claims and fires them on whichever
node gets there first. :mod:`.delivery` is the retry/back-off/dead-letter policy deliveries share.
"""

from eventyard.kernel.engine import Kernel
from eventyard.kernel.leases import Leases
from eventyard.kernel.timers import ClaimLost, Firing, Job, Timer

__all__ = ["ClaimLost", "Firing", "Job", "Kernel", "Leases", "Timer"]
