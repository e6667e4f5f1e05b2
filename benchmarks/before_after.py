"""Run the same benchmarks on two checkouts, one after the other, and print both tables.

For a restructuring that must not change speed (issue 14): the same machine, the same
minute, the same arguments; only the tree differs. Each tree runs with its own Python
(its ``.venv``), so each measures its own code.

    git worktree add ../before <commit>   # and make its .venv
    python benchmarks/before_after.py --before ../before [--rounds 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

#: The figures the issue names: ingest, fan-out, GO to frame, action to frame.
RUNS: tuple[tuple[str, ...], ...] = (
    ("ingest.py", "--seconds", "4"),
    ("fanout.py", "--clients", "500", "--seconds", "6"),
    ("go_to_frame.py", "--gos", "60"),
    ("action_to_frame.py", "--seconds", "6"),
)


def run(tree: Path, args: tuple[str, ...]) -> str:
    python = tree / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python if python.exists() else sys.executable), f"benchmarks/{args[0]}", *args[1:]],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout.strip() or done.stderr.strip()[-2000:]
    return out if done.returncode == 0 else f"(exit {done.returncode})\n{out}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (with its own .venv)")
    parser.add_argument("--rounds", type=int, default=1, help="alternate before/after this many times")
    ns = parser.parse_args()
    for args in RUNS:
        for round_ in range(1, ns.rounds + 1):
            # Alternate the order each round, so neither tree always runs on a warmer machine.
            trees = [("before", ns.before.resolve()), ("after", HERE)]
            if round_ % 2 == 0:
                trees.reverse()
            for label, tree in trees:
                print(f"\n### {' '.join(args)} | {label} (round {round_})", flush=True)
                print(run(tree, args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
