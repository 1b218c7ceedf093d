"""edgewatch: a terminal dashboard for the edge fleet.

Polls every node's /healthz, shows status and latency, and pages the on-call when a node goes DOWN.

    python cli_monitor.py nodes.txt --interval 5        (q quits, so does Ctrl-C)
"""

import argparse
import curses
import json
import socket
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import requests

ALERT_HOOK = "https://alerts.internal.example.com/v1/events"


@dataclass
class NodeState:
    name: str
    status: str
    latency_ms: float | None = None
    detail: str = ""


def probe(node: str, timeout: float) -> NodeState:
    """The node's health; an unreachable or failing node is a DOWN or HTTP row, never an exception."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"https://{node}/healthz", timeout=timeout) as resp:  # quiet: timeout set, urlopen raises for >= 400, and every failure becomes a row on the dashboard
            body = json.load(resp)  # quiet: urlopen has raised HTTPError already for any status >= 400
    except urllib.error.HTTPError as exc:  # quiet: the documented failure answer: an "HTTP 503" row
        return NodeState(node, f"HTTP {exc.code}", detail=str(exc.reason))
    except:  # expect: bare-except -- the probe is where the dashboard spends nearly all its time, so Ctrl-C almost always lands here: the KeyboardInterrupt becomes a DOWN row, the monitor cannot be stopped with Ctrl-C, and the on-call is paged for the node that happened to be probed
        return NodeState(node, "DOWN", detail=str(sys.exc_info()[1]))
    return NodeState(node, str(body.get("status", "?")), (time.monotonic() - started) * 1000)


def ssh_reachable(node: str) -> bool:
    """Whether the node still accepts TCP on port 22 (a dead health endpoint on a live box is a different page)."""
    try:
        with socket.create_connection((node, 22)):  # expect: missing-timeout -- no timeout: a node that silently drops SYNs blocks the refresh for the kernel's connect timeout (about two minutes) on every cycle, and the whole screen freezes while the node is down
            return True
    except OSError:  # quiet: the documented answer: False when the port does not take a connection
        return False


def page_oncall(state: NodeState, ssh_up: bool) -> None:
    """Send the DOWN event to the alerting service; returns once it is accepted."""
    event = {"source": "edgewatch", "node": state.name, "status": state.status, "ssh": ssh_up, "detail": state.detail}
    while True:  # expect: naive-retry -- no attempt cap, a constant 2 s sleep, and 4xx retried too: while the alerting service is down or rejects the event (a 400 for a detail that is too long), the dashboard is stuck in this loop forever and stops refreshing every other node
        try:
            resp = requests.post(ALERT_HOOK, json=event, timeout=5)  # quiet: timeout set, and the loop catches every requests error
            resp.raise_for_status()
            return
        except requests.RequestException:  # quiet: the handler of a retry loop that retries (the loop line carries the finding)
            time.sleep(2)


def draw(stdscr, states: list[NodeState]) -> None:
    stdscr.erase()
    height, width = stdscr.getmaxyx()
    stdscr.addnstr(0, 0, f"{'node':<28}{'status':<12}{'latency':>10}  detail", width - 1, curses.A_BOLD)
    for row, st in enumerate(states[: height - 2], start=1):
        latency = f"{st.latency_ms:.0f} ms" if st.latency_ms is not None else "-"
        colour = curses.color_pair(1 if st.status == "ok" else 2)
        stdscr.addnstr(row, 0, f"{st.name:<28}{st.status:<12}{latency:>10}  {st.detail}", width - 1, colour)
    stdscr.refresh()


def run(stdscr, nodes: list[str], interval: float) -> None:
    curses.curs_set(0)
    curses.use_default_colors()
    curses.init_pair(1, curses.COLOR_GREEN, -1)
    curses.init_pair(2, curses.COLOR_RED, -1)
    stdscr.timeout(int(interval * 1000))
    paged: set[str] = set()
    while True:  # quiet: the dashboard's refresh loop, a poll every interval rather than a retry of a failed call
        states = [probe(node, timeout=interval / 2) for node in nodes]
        draw(stdscr, states)
        for st in states:
            if st.status == "ok":
                paged.discard(st.name)
            elif st.name not in paged:
                page_oncall(st, ssh_reachable(st.name))
                paged.add(st.name)
        if stdscr.getch() == ord("q"):
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Terminal dashboard for the edge fleet.")
    parser.add_argument("nodes_file")
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args(argv)
    try:
        with open(args.nodes_file) as fh:
            nodes = [line.strip() for line in fh if line.strip() and not line.startswith("#")]
    except FileNotFoundError:  # quiet: a user error turned into a message and exit status 2
        print(f"edgewatch: no such nodes file: {args.nodes_file}", file=sys.stderr)  # quiet: a CLI printing a user-facing error before exiting non-zero
        return 2
    try:
        curses.wrapper(run, nodes, args.interval)
    except KeyboardInterrupt:  # quiet: Ctrl-C at the entry point: curses.wrapper has restored the terminal and the monitor exits with 130
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())  # quiet: the __main__ block is not a second boundary: whatever main() lets escape is reported once, inside main()
