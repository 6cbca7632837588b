"""Run one day in this process and SIGKILL it right after a chosen call: a real crash for tests.

Usage: python crash_point.py '{"run_id": ..., "day": ..., "base_url": ..., "warehouse": ...,
"landing": ..., "kill": "module:Qualified.name", "nth": 1}'
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import os
import signal
import sys
from typing import Any


def kill_after(target: str, nth: int) -> None:
    """Wrap `module:Qualified.name` so that its nth call returns, then the process dies."""
    module_name, _, qualified = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = qualified.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapped)


def main() -> None:
    spec = json.loads(sys.argv[1])
    from wire_ingest import plan, steps

    kill_after(spec["kill"], int(spec.get("nth", 1)))
    ctx = plan.plan_run(
        run_id=spec["run_id"],
        target_day=dt.date.fromisoformat(spec["day"]),
        base_url=spec["base_url"],
        warehouse_url=spec["warehouse"],
        landing_url=spec["landing"],
    )
    steps.run_day(ctx)
    print("the run finished: the kill point was never reached", file=sys.stderr)
    sys.exit(3)


if __name__ == "__main__":
    main()
