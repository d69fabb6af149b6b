"""A separate OS process that pushes records at the same moment as its twin (multiprocessing)."""

from __future__ import annotations

from typing import Any

import httpx


def push_at_barrier(
    url: str, credential: str, bodies: list[dict[str, Any]], barrier: Any, results: Any
) -> None:
    """For each body: wait for the twin, then push; put (client_id, status) on `results`."""
    headers = {"Lengkap-Protocol": "1", "Authorization": f"Bearer {credential}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
        client.get("/v1/limits")  # connect before the race starts
        for body in bodies:
            barrier.wait(timeout=60)
            answer = client.post("/v1/push", json=body)
            answer.raise_for_status()
            for result in answer.json()["results"]:
                results.put((result["client_id"], result["status"]))
