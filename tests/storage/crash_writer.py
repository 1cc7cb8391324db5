"""A process that writes through group commit and prints each key once its write returned.

Run by the crash test, which SIGKILLs it mid-stream and checks every printed key is in the database.
"""

from __future__ import annotations

import asyncio
import sys

from eventyard.storage import open_database
from tests.storage.test_database import KV


async def main(url: str) -> None:
    db = open_database(url)
    await asyncio.to_thread(db.start, [KV])
    counter = 0

    async def writer(lane: int) -> None:
        nonlocal counter
        while True:
            counter += 1
            key = f"{lane}-{counter}"
            await db.write(lambda c, k=key: c.execute("INSERT INTO kv VALUES (?, ?)", (k, "acked")))
            sys.stdout.write(key + "\n")
            sys.stdout.flush()

    await asyncio.gather(*(writer(lane) for lane in range(32)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
