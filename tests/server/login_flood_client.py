"""Wrong logins as fast as they are answered, in a process of its own (not a test).

    python -m tests.server.login_flood_client BASE_URL SECONDS [CLIENTS]

Run apart from the process that measures ingest latency, so the measurement's own
event loop is not the one busy sending the flood. Prints ``{status: count}`` as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp


async def flood(base: str, seconds: float, clients: int) -> dict[int, int]:
    answers: dict[int, int] = {}
    data = json.dumps({"username": "admin", "password": "not-the-password"})
    headers = {"Content-Type": "application/json"}
    stop = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def client() -> None:
            while time.monotonic() < stop:
                async with http.post(base + "/api/v1/login", data=data, headers=headers) as r:
                    await r.read()
                    answers[r.status] = answers.get(r.status, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return answers


if __name__ == "__main__":
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    print(json.dumps(asyncio.run(flood(sys.argv[1], float(sys.argv[2]), count))))
