"""Start-up time of the CLI with Ray installed and as if it were not: the local engine must not
pay for the optional ray extra.

Each command runs ``--runs`` times in a fresh process, alternating the two settings; "without
Ray" makes ``import ray`` fail (``sys.modules["ray"] = None``, what Python does for a module
that is not there) before silobridge is imported. Reported: the median seconds of each, their
ratio, and which Ray modules each process had imported at exit (none, for the local engine).

    .venv/bin/python benchmarks/bench_startup.py [--runs 7]

Results are printed and written to benchmarks/out/startup.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROGRAM = """
import sys
if {block}:
    sys.modules["ray"] = None
from silobridge.cli import main
sys.argv = ["silobridge", *{args!r}]
try:
    main()
except SystemExit:
    pass
loaded = sorted(m for m, v in sys.modules.items() if m.split(".")[0] == "ray" and v is not None)
sys.stderr.write("RAY_MODULES=" + str(len(loaded)) + "\\n")
"""

COMMANDS = {"--help": ["--help"], "run --help": ["run", "--help"], "sources": ["sources"]}


def once(args: list[str], block: bool) -> tuple[float, int]:
    code = PROGRAM.format(block=block, args=args)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t0
    line = [x for x in done.stderr.splitlines() if x.startswith("RAY_MODULES=")][-1]
    return seconds, int(line.split("=")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    result: dict[str, object] = {}
    for name, argv in COMMANDS.items():
        times: dict[bool, list[float]] = {False: [], True: []}
        modules: dict[bool, int] = {}
        once(argv, False)  # warm the file cache
        for _ in range(args.runs):
            for block in (False, True):
                seconds, loaded = once(argv, block)
                times[block].append(seconds)
                modules[block] = loaded
        with_ray, without = statistics.median(times[False]), statistics.median(times[True])
        result[name] = {
            "ray_installed_s": round(with_ray, 3),
            "ray_missing_s": round(without, 3),
            "ratio": round(with_ray / without, 3),
            "ray_modules_imported": modules[False],
        }
        print(name, json.dumps(result[name]), flush=True)
    args.out.mkdir(exist_ok=True)
    (args.out / "startup.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
