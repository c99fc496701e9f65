"""Peak memory and time of ingesting one hostile file of about 20 MB, per kind of hostility.

Each case writes one file into a scratch folder and ingests it in a fresh child process (so each
peak RSS is that file's alone), then checks the bound the readers promise: peak RSS <= 20 x the
file's size + 300 MB, with every good record stored and the hostile ones quarantined as few rows.

    .venv/bin/python benchmarks/hostile_ingest.py [--mb 20] [--only csv_quoted_field]

Prints one line per case and writes benchmarks/out/hostile_ingest.json. The import of the
pipeline alone (the floor every case pays) is measured the same way, as ``import_only``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = """
import json, sys, time
from pathlib import Path
from silobridge.config import make_source
from silobridge.pipeline.ingest import run_ingest
def peak_mb():  # VmHWM: ru_maxrss would keep the parent's high-water mark across exec
    status = open("/proc/self/status").read()
    return next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM:")) / 1024
path, body = Path(sys.argv[1]), json.loads(sys.argv[2])
if body is None:
    print(json.dumps({"peak_mb": peak_mb()}))
    raise SystemExit
source = make_source("hostile", {"path": str(path), **body}, base_dir=path.parent)
t0 = time.perf_counter()
counts = run_ingest(path.parent / "store", [source]).totals
seconds = time.perf_counter() - t0
again = run_ingest(path.parent / "store", [source]).totals
print(json.dumps({
    "seconds": round(seconds, 2), "read": counts.read, "new": counts.new,
    "quarantined": counts.quarantined, "skipped": counts.skipped,
    "reread_next_run": again.files_read > 0,
    "peak_mb": peak_mb(),
}))
"""

CSV = {"connector": "csv", "channel": "survey", "mapping": {"native_id": "id", "text": "comment"}}
JSON = {"connector": "json", "channel": "ticket", "mapping": {"native_id": "id", "text": "body"}}
JSONL = {**JSON, "connector": "jsonl"}


def _rows(n: int, start: int = 0) -> str:
    return "".join(f"{i},good comment number {i} about slow exports\n" for i in range(start, n))


def _records(n: int, start: int = 0) -> list[str]:
    return [
        json.dumps({"id": str(i), "body": f"good record {i} about exports"})
        for i in range(start, n)
    ]


def csv_quoted_field(size: int) -> tuple[str, str, dict]:
    """The issue's case: one quoted cell of ~20 MB over 500,000 lines, good rows around it."""
    cell = "lorem ipsum dolor sit amet, consectetur\n" * (size // 40)
    return "csv", f'id,comment\n1,ok\n2,"{cell}"\n3,fine\n', CSV


def csv_stray_quote(size: int) -> tuple[str, str, dict]:
    """A quote that never closes, then ~20 MB of good rows (read on after the bad line)."""
    rows = _rows(size // 48, start=3)
    return "csv", f'id,comment\n1,ok\n2,"never closed\n{rows}', CSV


def csv_cut_in_quote(size: int) -> tuple[str, str, dict]:
    """~20 MB of good rows, then a quoted cell the file ends inside (truncated export)."""
    return "csv", f'id,comment\n{_rows(size // 48)}x,"cut short\nin the mid', CSV


def csv_good_rows(size: int) -> tuple[str, str, dict]:
    """~20 MB of ordinary rows: what the bound costs a good file."""
    return "csv", "id,comment\n" + _rows(size // 48), CSV


def json_deep(size: int) -> tuple[str, str, dict]:
    """~20 MB of records, one of them nested 10,000 deep, one with a 5,000-digit integer."""
    records = _records(size // 50)
    records[10] = '{"id": "x", "body": "deep", "extra": ' + "[" * 10_000 + "]" * 10_000 + "}"
    records[20] = '{"id": "y", "body": "big", "n": ' + "7" * 5_000 + "}"
    return "json", "[" + ",\n".join(records) + "]", JSON


def json_cut_at_boundary(size: int) -> tuple[str, str, dict]:
    """~20 MB of records with no closing ] (cut at a record boundary)."""
    return "json", "[" + ",\n".join(_records(size // 50)), JSON


def json_one_huge_record(size: int) -> tuple[str, str, dict]:
    """One record of ~20 MB (over the 20,000,000-character record limit) among good ones."""
    huge = json.dumps({"id": "h", "body": "x" * (size + 10)})
    return "json", "[" + ",\n".join([*_records(100), huge, *_records(200, 100)]) + "]", JSON


def jsonl_every_line_bad(size: int) -> tuple[str, str, dict]:
    """~20 MB of lines that all lack the mapped text field: every one is quarantined."""
    lines = (
        json.dumps({"id": str(i), "other": f"no body in record {i}"}) for i in range(size // 50)
    )
    return "jsonl", "\n".join(lines) + "\n", JSONL


def jsonl_nul_and_huge_line(size: int) -> tuple[str, str, dict]:
    """~20 MB of lines: a NUL byte in one, one line of 21 MB, the rest good."""
    lines = _records(size // 100)
    lines[5] = lines[5].replace("good", "go\x00od")
    lines.append(json.dumps({"id": "h", "body": "x" * (size + 10)}))
    return "jsonl", "\n".join(lines) + "\n", JSONL


CASES: dict[str, Callable[[int], tuple[str, str, dict]]] = {
    f.__name__: f
    for f in (
        csv_quoted_field,
        csv_stray_quote,
        csv_cut_in_quote,
        csv_good_rows,
        json_deep,
        json_cut_at_boundary,
        json_one_huge_record,
        jsonl_nul_and_huge_line,
        jsonl_every_line_bad,
    )
}


def run_child(path: Path, body: dict | None) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), json.dumps(body)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of each file in MB")
    parser.add_argument("--only", action="append", choices=sorted(CASES), help="run this case")
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    results: dict[str, dict] = {}
    scratch = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        results["import_only"] = run_child(scratch / "none", None)
        print(f"{'import_only':24} peak {results['import_only']['peak_mb']:7.0f} MB")
        for name in args.only or CASES:
            folder = scratch / name
            folder.mkdir()
            suffix, text, body = CASES[name](size)
            path = folder / f"hostile.{suffix}"
            path.write_text(text, encoding="utf-8")
            del text
            result = run_child(path, body)
            file_mb = path.stat().st_size / 1_000_000
            bound = 20 * file_mb * 1_000_000 / 2**20 + 300
            result.update(
                file_mb=round(file_mb, 1), bound_mb=round(bound), ok=result["peak_mb"] <= bound
            )
            results[name] = result
            print(
                f"{name:24} {file_mb:5.1f} MB  {result['seconds']:6.1f} s  peak "
                f"{result['peak_mb']:6.0f} MB (bound {bound:5.0f})  read {result['read']:>7,} "
                f"new {result['new']:>7,} quarantined {result['quarantined']:>3} "
                f"re-read next run: {'yes' if result['reread_next_run'] else 'no'}"
                f"{'' if result['ok'] else '  OVER THE BOUND'}"
            )
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "hostile_ingest.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
