"""Run every benchmark in order, then rewrite the README's table from bench/results/.

.venv/bin/python -m bench                    # all nine at full size (make bench)
.venv/bin/python -m bench lifecycle fanout   # some of them
.venv/bin/python -m bench --quick            # small sizes; results are not written
.venv/bin/python -m bench --table            # only rewrite the table
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import RESULTS

BENCHMARKS = (
    "lifecycle",
    "fanout",
    "queries",
    "api_load",
    "memory",
    "reminders",
    "signin_burst",
    "pdf",
    "evidence",
)
README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def run(name: str, quick: bool) -> int | None:
    """Run `python -m bench.<name>` in a process of its own; None when there is no such module."""
    if importlib.util.find_spec(f"bench.{name}") is None:
        print(f"[bench] {name}: no module bench/{name}.py yet, skipped", flush=True)
        return None
    print(f"[bench] {name} ...", flush=True)
    return subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *(["--quick"] if quick else [])]
    ).returncode


def results() -> list[dict[str, Any]]:
    """Every result file, in the benchmarks' order, each benchmark's variants (runs of
    another shape, `lifecycle-postgres`) after it, any others last."""
    found = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in RESULTS.glob("*.json")}
    order = [v for n in BENCHMARKS for v in sorted(found) if v == n or v.startswith(f"{n}-")]
    order += sorted(set(found) - set(order))
    return [found[n] for n in order]


def shown(value: Any) -> str:
    """A figure as the table shows it."""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def named_figure(name: str, key: str, value: Any) -> str:
    """A named figure; one made of several numbers is left to its result file."""
    if isinstance(value, dict | list):
        return f"{key}: see bench/results/{name}.json"
    return f"{key} = {shown(value)}"


def machine_line(machine: dict[str, Any]) -> str:
    """The machine in one line."""
    return (
        f"Measured on {machine.get('platform')}, {machine.get('cpus')} CPUs, "
        f"{machine.get('ram_gb')} GB RAM, Python {machine.get('python')}, "
        f"{machine.get('temporal')}; other work may have shared the machine, so "
        "figures are ratios or percentiles within one run."
    )


def table(documents: Sequence[dict[str, Any]]) -> str:
    """The README's benchmark table: one row per target of each result."""
    if not documents:
        return "No benchmark has been run yet: `make bench`."
    newest = max(documents, key=lambda d: d.get("measured", ""))
    lines = [
        machine_line(newest.get("machine", {})),
        "",
        "| benchmark | figure | target | result | measured |",
        "|---|---|---|---|---|",
    ]
    for document in documents:
        for figure, target, passed in judged(document):
            lines.append(
                f"| {document['name']} | {figure} | {target} | {'met' if passed else 'missed'} "
                f"| {str(document.get('measured', '?'))[:10]} |"
            )
    return "\n".join(lines)


def judged(document: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(figure, target, met) for each target of a result.

    The convention is `targets: {name: {"target": ..., "pass": ...}}` judging
    `figures[name]`; a result with one top-level `target` and `pass` is shown too.
    """
    if "targets" in document:
        figures = document.get("figures", {})
        return [
            (
                named_figure(document["name"], key, figures.get(key, "?")),
                str(t["target"]),
                bool(t["pass"]),
            )
            for key, t in document["targets"].items()
        ]
    if "pass" in document:
        target = document.get("target", "?")
        if isinstance(target, dict):
            target = ", ".join(f"{k} {shown(v)}" for k, v in target.items())
        figure = f"see bench/results/{document['name']}.json"
        return [(figure, str(target), bool(document["pass"]))]
    return []


def rewrite_readme(text: str) -> bool:
    """Put `text` between the README's benchmark markers; False when they are missing."""
    readme = README.read_text(encoding="utf-8")
    if BEGIN not in readme or END not in readme:
        return False
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks asked for (all by default) and rewrite the README's table."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="small sizes, nothing written")
    parser.add_argument("--table", action="store_true", help="only rewrite the README table")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}; choose from the list")
    failed = []
    if not args.table:
        for name in args.names or BENCHMARKS:
            status = run(name, args.quick)
            if status:
                failed.append(f"{name} (exit status {status})")
    if rewrite_readme(table(results())):
        print("[bench] README.md table rewritten from bench/results/", flush=True)
    else:
        print(f"[bench] README.md has no {BEGIN} ... {END} markers; table not written")
    if failed:
        print(f"[bench] missed a target or failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
