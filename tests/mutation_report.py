"""`make mutate`'s verdict: mutmut's results per module, and exit 1 when a module lets more than
SURVIVAL_GOAL of its mutants live (survived, or no test ran it). A timeout counts as killed: the
mutant made a test hang, which the suite's timeout fails.

    python -m tests.mutation_report      # after `mutmut run`; the table goes in docs/tests.md
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys

SURVIVAL_GOAL = 0.10
ALIVE = ("survived", "no tests")


def per_module(results: str) -> dict[str, collections.Counter]:
    """`mutmut results --all true` lines ("  pwc.evaluation.gate.x_decide__mutmut_3:
    killed") by module."""
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in results.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            counts[re.sub(r"\.x[_ǁ].*$", "", name)][status] += 1
    return dict(counts)


def survival(counts: collections.Counter) -> float:
    return sum(counts[s] for s in ALIVE) / max(sum(counts.values()), 1)


def table(modules: dict[str, collections.Counter]) -> str:
    lines = [
        "| module | mutants | killed | timeout | survived | no test | survival |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, c in sorted(modules.items()):
        lines.append(
            f"| `{name}` | {sum(c.values())} | {c['killed']} | {c['timeout']} | "
            f"{c['survived']} | {c['no tests']} | {survival(c):.1%} |"
        )
    return "\n".join(lines)


def main() -> int:
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    modules = per_module(out)
    if not modules:
        print("no mutmut results: run `mutmut run` first", file=sys.stderr)
        return 2
    unfinished = sum(c["not checked"] for c in modules.values())
    if unfinished:
        print(f"{unfinished} mutants not checked yet: let `mutmut run` finish", file=sys.stderr)
        return 2
    print(table(modules))
    over = [m for m, c in modules.items() if survival(c) > SURVIVAL_GOAL]
    if over:
        print(f"survival above {SURVIVAL_GOAL:.0%}: {', '.join(sorted(over))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
