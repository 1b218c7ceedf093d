"""Throughput of ``sadpath check`` on the real-world corpus, side by side with ast.parse, ruff, bandit and pylint.

    python bench/check_corpus.py [--cache-dir DIR] [--runs 3] [--json out.json] [--skip-peers] [--pylint-subset]
                                [--freeze-sadpath] [--rss-corpus DIR [--rss-only]]

Builds the pinned corpus with ../shared/bench/build_corpus.sh (once; kept in --cache-dir), installs the peers at
the versions pinned in PEERS into their own venv (reused while the versions match), then times every command on
the same files: median wall time of --runs runs (a peer slower than 20 s runs once), lines/s and peak RSS. The RSS
is ru_maxrss from wait4: for a multiprocess tool it is the largest single process, not the sum. sadpath runs in a
scratch working directory, so its ``.sadpath_cache/`` starts empty and is cleared before every cold run. The cache
key covers sadpath's own files: a row during which they change is marked UNRELIABLE (a warm row is measured once
more); --freeze-sadpath runs a copy of the package taken at the start instead. The machines are noisy: compare
rows of one run, not numbers across days.

--rss-corpus DIR adds a row of its own: the peak RSS of one run of ``sadpath check --jobs 1 --no-cache`` over a
second corpus (issue 17's services corpus, e.g. /opt/corpora/services), against the RSS_TARGET_MIB target; its
"× floor" is n/a, the floor being measured on the pinned corpus. --rss-only measures that row alone (the pinned
corpus is neither built nor timed, the peers not installed).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS = {"ruff": "0.17.6", "bandit": "1.9.4", "pylint": "4.1.4"}
RUFF_SELECT = "TRY,BLE,S110,S112,S113,E722,B904,LOG,G,ASYNC,RUF006"
# every message of pylint 4.1's `exceptions` and `logging` checkers
PYLINT_IDS = (
    "E0701,E0702,E0704,E0705,E0710,E0711,E0712,W0702,W0705,W0706,W0707,W0711,W0715,W0716,W0718,W0719,"
    "E1200,E1201,E1205,E1206,W1201,W1202,W1203"
)
PYLINT_SUBSET = ("celery", "kombu", "redis")
CACHE_NAME = ".sadpath_cache"
SLOW_PEER_S = 20.0
RSS_TARGET_MIB = 200  # issue 17: peak RSS of `sadpath check --jobs 1` over the services corpus
TIMEOUT_S = 1800.0
FLOOR = """import ast, sys
from pathlib import Path
bad = 0
for path in sorted(Path(sys.argv[1]).rglob("*.py")):
    if "_wheels" not in path.parts:
        try:
            ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            bad += 1
if bad:
    print(f"{bad} files did not parse", file=sys.stderr)
"""
VERSIONS = """import importlib.metadata as m, json, sys
print(json.dumps({n: next((d.version for d in m.distributions(name=n)), None) for n in sys.argv[1:]}))"""


class BenchError(Exception):
    """A missing tool or a failed setup step: reported as one line, exit 2."""


def tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def setup_step(cmd: list[str], what: str, **kwargs) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    except OSError as exc:
        raise BenchError(f"{what}: cannot run {cmd[0]}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what}: no answer after {exc.timeout:.0f} s") from exc
    if done.returncode != 0:
        raise BenchError(f"{what} failed (exit {done.returncode}):\n{tail(done.stderr or done.stdout)}")
    return done.stdout


def build_corpus(builder: Path, corpus: Path) -> None:
    if (corpus / "_bigfiles.txt").is_file():
        return
    if not builder.is_file():
        raise BenchError(f"corpus builder not found: {builder} (pass --corpus-builder)")
    print(f"building the corpus in {corpus} ...", file=sys.stderr)
    corpus.mkdir(parents=True, exist_ok=True)
    setup_step(["bash", str(builder), str(corpus)], "building the corpus")


def count(roots: list[Path]) -> tuple[int, int]:
    """(files, physical lines) of the *.py files under roots, as build_corpus.sh counts them."""
    files = lines = 0
    for root in roots:
        for path in root.rglob("*.py"):
            if "_wheels" not in path.parts and path.is_file():
                files += 1
                lines += path.read_bytes().count(b"\n")
    return files, lines


def ensure_peers(venv: Path) -> Path:
    """The venv's bin directory, with exactly the PEERS versions installed."""
    python = venv / "bin" / "python"
    if python.exists() and json.loads(setup_step([str(python), "-c", VERSIONS, *PEERS], "probing the peers venv")) == PEERS:
        return python.parent
    print(f"installing {', '.join(f'{k}=={v}' for k, v in PEERS.items())} into {venv} ...", file=sys.stderr)
    if not python.exists():
        setup_step([sys.executable, "-m", "venv", str(venv)], "creating the peers venv")
    setup_step([str(python), "-m", "pip", "install", "-q", *(f"{k}=={v}" for k, v in PEERS.items())], "installing the peers")
    return python.parent


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """(wall s, ru_maxrss KiB, exit code, output tail) of one run; wait4 gives the rusage of this child alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True)
        except OSError as exc:
            return 0.0, 0, 127, f"cannot run {cmd[0]}: {exc}"
        timer = threading.Timer(TIMEOUT_S, _kill_group, (proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        message = err.read().decode("utf-8", "replace")
        if not message.strip():
            out.seek(0)
            message = out.read().decode("utf-8", "replace")
        return wall, usage.ru_maxrss, proc.returncode, tail(message)


def measure(name: str, cmd: list[str], cwd: Path, lines: int, runs: int, *, peer: bool = False, notes: list[str] | None = None,
            setup: Callable[[], None] | None = None, before_each: Callable[[int], None] | None = None,
            guard: Callable[[], object] | None = None, env: dict[str, str] | None = None) -> dict:
    """Median of `runs` timed runs; `guard` is a fingerprint of the tool's own files, compared before and after."""
    print(f"  {name} ...", file=sys.stderr, flush=True)
    row = {"measure": name, "command": " ".join(cmd), "lines": lines, "notes": list(notes or []), "failed": None}
    fingerprint = guard() if guard is not None else None
    if setup is not None:
        setup()
    walls: list[float] = []
    peaks: list[int] = []
    for index in range(runs):
        if before_each is not None:
            before_each(index)
        wall, rss, code, message = timed(cmd, cwd, env)
        if code != 0:
            row["failed"] = f"exit {code}: {message}" if message else f"exit {code}"
            return row
        walls.append(wall)
        peaks.append(rss)
        if peer and wall > SLOW_PEER_S and runs > 1:
            row["notes"].append(f"1 run (> {SLOW_PEER_S:.0f} s)")
            break
    row["runs"] = len(walls)
    row["wall_s"] = statistics.median(walls)
    row["lines_per_s"] = lines / row["wall_s"]
    row["peak_rss_mib"] = max(peaks) / 1024
    if guard is not None and guard() != fingerprint:
        row["notes"].append("UNRELIABLE: sadpath's own files changed during this row (the runs may time different code; "
                            "a warm cache is discarded)")
    return row


def clear_cache(cwd: Path) -> None:
    shutil.rmtree(cwd / CACHE_NAME, ignore_errors=True)


def locate_package(python: Path, env: dict[str, str] | None = None) -> Path:
    return Path(setup_step([str(python), "-c", "import sadpath; print(sadpath.__file__)"], "locating sadpath", env=env).strip()).parent


def freeze_sadpath(python: Path, into: Path) -> dict[str, str]:
    """Copy the sadpath package as it is now; the returned environment makes the sadpath script import the copy."""
    try:
        shutil.copytree(locate_package(python), into / "sadpath")
    except (OSError, shutil.Error) as exc:
        raise BenchError(f"cannot copy the sadpath package: {exc}") from exc
    return {**os.environ, "PYTHONPATH": str(into)}


def no_cache_flag(sadpath: Path, notes: list[str], env: dict[str, str] | None) -> list[str]:
    """["--no-cache"], or [] (with a note, once) for a sadpath CLI without the flag."""
    if "--no-cache" in setup_step([str(sadpath), "check", "--help"], "sadpath check --help", env=env):
        return ["--no-cache"]
    note = ("this sadpath CLI does not accept --no-cache: the flag is omitted from the cold rows, which "
            "still start from an empty .sadpath_cache/; without a cache the warm rows are cold runs too")
    if note not in notes:
        notes.append(note)
    return []


def source_snapshot(package: Path):
    """A guard for ``measure``: the mtime of every sadpath module. The cache key covers them, so an edit made
    meanwhile makes warm runs cold and the figures unreliable."""
    def sources() -> object:
        try:
            return sorted((str(p), p.stat().st_mtime_ns) for p in package.rglob("*") if p.suffix in (".py", ".toml"))
        except OSError as exc:
            return str(exc)
    return sources


def rss_row(sadpath: Path, corpus: Path, cwd: Path, notes: list[str], env: dict[str, str] | None) -> dict:
    """Peak RSS of one cold `sadpath check --jobs 1` over a second corpus, against RSS_TARGET_MIB."""
    files, lines = count([corpus])
    if not files:
        raise BenchError(f"--rss-corpus {corpus}: no Python files under it")
    command = [str(sadpath), "check", "--exit-zero", *no_cache_flag(sadpath, notes, env), "--jobs", "1", str(corpus)]
    sources = source_snapshot(locate_package(sadpath.parent / "python", env))
    row = measure(f"sadpath peak RSS, --jobs 1, {corpus.name} corpus", command, cwd, lines, 1,
                  notes=[f"{corpus} ({files:,} files, {lines:,} lines), 1 run"],
                  before_each=lambda _: clear_cache(cwd), guard=sources, env=env)
    row["corpus"] = str(corpus)
    row["target_rss_mib"] = RSS_TARGET_MIB
    if not row["failed"]:
        over = row["peak_rss_mib"] - RSS_TARGET_MIB
        verdict = f"within by {-over:.0f} MiB" if over <= 0 else f"NOT MET: over by {over:.0f} MiB"
        row["notes"].append(f"target ≤ {RSS_TARGET_MIB} MiB (issue 17): {verdict}")
    return row


def sadpath_rows(sadpath: Path, corpus: Path, lines: int, cwd: Path, runs: int, notes: list[str],
                 env: dict[str, str] | None) -> list[dict]:
    no_cache = no_cache_flag(sadpath, notes, env)
    sources = source_snapshot(locate_package(sadpath.parent / "python", env))

    base = [str(sadpath), "check", "--exit-zero"]
    multi = ["peak RSS of the largest process"]
    rows = [
        measure("sadpath cold, --jobs 1", [*base, *no_cache, "--jobs", "1", str(corpus)], cwd, lines, runs,
                before_each=lambda _: clear_cache(cwd), guard=sources, env=env),
        measure("sadpath cold, default jobs", [*base, *no_cache, str(corpus)], cwd, lines, runs, notes=multi,
                before_each=lambda _: clear_cache(cwd), guard=sources, env=env),
    ]
    warm = [*base, str(corpus)]

    def refresh() -> None:
        timed(warm, cwd, env)

    def fill() -> None:
        clear_cache(cwd)
        refresh()

    def warm_row(name: str, notes: list[str], setup: Callable[[], None], before_each: Callable[[int], None] | None = None) -> dict:
        """Measured a second time if sadpath was edited meanwhile (an edit starts a fresh cache)."""
        for _ in range(2):
            row = measure(name, warm, cwd, lines, runs, notes=notes, setup=setup, before_each=before_each, guard=sources,
                          env=env)
            if not any(note.startswith("UNRELIABLE") for note in row["notes"]):
                break
        return row

    rows.append(warm_row("sadpath warm, default jobs", multi, fill))
    touched = corpus / (corpus / "_bigfiles.txt").read_text(encoding="utf-8").split()[0]
    original, stat = touched.read_bytes(), touched.stat()
    newline = b"" if original.endswith(b"\n") else b"\n"

    def touch(index: int) -> None:
        touched.write_bytes(original + newline + f"# bench touch {index}\n".encode())

    try:
        rows.append(warm_row("sadpath warm, one file touched", [*multi, f"touched {touched.relative_to(corpus)}"], refresh, touch))
    finally:
        touched.write_bytes(original)
        os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return rows


def peer_rows(bin_dir: Path, corpus: Path, lines: int, cwd: Path, runs: int, subset: bool) -> list[dict]:
    ruff = [str(bin_dir / "ruff"), "check", "--isolated", "--select", RUFF_SELECT, "--no-cache", "--exit-zero", str(corpus)]
    bandit = [str(bin_dir / "bandit"), "-r", "-q", "--exit-zero", str(corpus)]
    roots = [corpus / name for name in PYLINT_SUBSET] if subset else [corpus]
    pylint_lines = count(roots)[1] if subset else lines
    notes = ["-j 2: peak RSS of the largest process"]
    if subset:
        notes.append(f"subset {'+'.join(PYLINT_SUBSET)}: {pylint_lines:,} lines")
    pylint = [str(bin_dir / "pylint"), "-j", "2", "--recursive=y", "--disable=all", f"--enable={PYLINT_IDS}",
              "--exit-zero", "--score=n", *map(str, roots)]
    return [
        measure(f"ruff {PEERS['ruff']}", ruff, cwd, lines, runs, peer=True),
        measure(f"bandit {PEERS['bandit']}", bandit, cwd, lines, runs, peer=True),
        measure(f"pylint {PEERS['pylint']}", pylint, cwd, pylint_lines, runs, peer=True, notes=notes),
    ]


def machine(sadpath: Path) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = setup_step([str(sadpath), "--version"], "sadpath --version").strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "sadpath": version,
            "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes"), "load_before": os.getloadavg()[0]}


def ratios(rows: list[dict]) -> list[dict]:
    """Peer time / sadpath time for the same number of lines (from lines/s, so a subset stays comparable)."""
    by_name = {r["measure"]: r for r in rows if not r["failed"]}
    found = []
    for peer in (r for r in rows if r["measure"].split()[0] in PEERS and not r["failed"]):
        for label, name in (("cold", "sadpath cold, default jobs"), ("warm", "sadpath warm, default jobs")):
            if name in by_name:
                found.append({"peer": peer["measure"], "sadpath": label,
                              "ratio": by_name[name]["lines_per_s"] / peer["lines_per_s"]})
    return found


def report(info: dict, corpus: dict, rows: list[dict], found: list[dict], notes: list[str]) -> str:
    machine_line = (f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['sadpath']}; "
                    f"{info['date']}; 1-min load average {info['load_before']:.1f} before, {info['load_after']:.1f} after")
    out = [machine_line,
           f"Corpus: {corpus['files']:,} files, {corpus['lines']:,} lines ({corpus['path']})", "",
           "| measure | runs | median wall s | lines/s | peak RSS MiB | × floor | notes |", "|---|---:|---:|---:|---:|---:|---|"]
    floor = rows[0] if rows and rows[0]["measure"].startswith("floor") and not rows[0]["failed"] else None
    for r in rows:
        if r["failed"]:
            out.append(f"| {r['measure']} | | failed | | | | see below |")
            continue
        times = f"{floor['lines_per_s'] / r['lines_per_s']:.2f}×" if floor and "corpus" not in r else "n/a"
        out.append(f"| {r['measure']} | {r['runs']} | {r['wall_s']:.2f} | {r['lines_per_s']:,.0f} | "
                   f"{r['peak_rss_mib']:.0f} | {times} | {'; '.join(r['notes'])} |")
    if found:
        out += ["", "| peer / sadpath (default jobs), same lines | ratio |", "|---|---:|"]
        out += [f"| {f['peer']} / sadpath {f['sadpath']} | {f['ratio']:.3g}× |" for f in found]
    for r in (r for r in rows if r["failed"]):
        out += ["", f"{r['measure']} failed: `{r['command']}`", "```", r["failed"], "```"]
    out += ["", *(f"Note: {n}" for n in notes)] if notes else []
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cache = Path.home() / ".cache" / "sadpath-bench"
    parser.add_argument("--cache-dir", type=Path, default=cache / "corpus", help="where the corpus is built")
    parser.add_argument("--peers-venv", type=Path, default=cache / "peers-venv")
    parser.add_argument("--corpus-builder", type=Path, default=Path(__file__).resolve().parents[2] / "shared/bench/build_corpus.sh")
    parser.add_argument("--sadpath", type=Path, default=REPO / ".venv" / "bin" / "sadpath")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--pylint-subset", action="store_true", help=f"pylint on {'+'.join(PYLINT_SUBSET)} only")
    parser.add_argument("--freeze-sadpath", action="store_true", help="time a copy of the sadpath package taken at the start")
    parser.add_argument("--rss-corpus", type=Path, metavar="DIR",
                        help=f"also measure the peak RSS of `sadpath check --jobs 1 --no-cache DIR` (target {RSS_TARGET_MIB} MiB)")
    parser.add_argument("--rss-only", action="store_true", help="measure the --rss-corpus row alone")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.rss_only and args.rss_corpus is None:
        parser.error("--rss-only needs --rss-corpus DIR")
    rss_corpus = args.rss_corpus.expanduser().resolve() if args.rss_corpus else None
    if rss_corpus is not None and not rss_corpus.is_dir():
        parser.error(f"--rss-corpus {args.rss_corpus}: not a directory")
    corpus_dir = args.cache_dir.expanduser().resolve()
    # the cache must be .sadpath_cache/ in the scratch working directory, where the cold runs clear it
    os.environ.pop("SADPATH_CACHE_DIR", None)
    try:
        if not args.sadpath.is_file():
            raise BenchError(f"sadpath not found at {args.sadpath} (run scripts/bootstrap.sh or pass --sadpath)")
        if args.rss_only:
            corpus_dir = rss_corpus
        else:
            build_corpus(args.corpus_builder, corpus_dir)
        files, lines = count([corpus_dir])
        if not files:
            raise BenchError(f"no Python files under {corpus_dir}")
        bin_dir = None if args.skip_peers or args.rss_only else ensure_peers(args.peers_venv.expanduser())
        info = machine(args.sadpath)
        notes: list[str] = []
        with tempfile.TemporaryDirectory(prefix="sadpath-bench-") as scratch:
            cwd = Path(scratch)
            python = args.sadpath.parent / "python"
            env = None
            if args.freeze_sadpath:
                env = freeze_sadpath(python, cwd / "frozen")
                notes.append("sadpath rows time a copy of the package taken at the start (--freeze-sadpath)")
            rows = []
            if not args.rss_only:
                rows.append(measure("floor: ast.parse, one process", [str(python), "-c", FLOOR, str(corpus_dir)], cwd, lines, args.runs))
                rows += sadpath_rows(args.sadpath, corpus_dir, lines, cwd, args.runs, notes, env)
            if bin_dir is not None:
                rows += peer_rows(bin_dir, corpus_dir, lines, cwd, args.runs, args.pylint_subset)
            if rss_corpus is not None:
                rows.append(rss_row(args.sadpath, rss_corpus, cwd, notes, env))
    except BenchError as exc:
        print(f"check_corpus: {exc}", file=sys.stderr)
        return 2
    info["load_after"] = os.getloadavg()[0]
    corpus = {"path": str(corpus_dir), "files": files, "lines": lines}
    found = ratios(rows)
    print(report(info, corpus, rows, found, notes))
    if args.json:
        data = {"machine": info, "corpus": corpus, "peers": None if args.skip_peers else PEERS, "rows": rows,
                "ratios": found, "notes": notes}
        try:
            args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
        except OSError as exc:
            print(f"check_corpus: cannot write {args.json}: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
