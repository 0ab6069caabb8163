"""Shoal's fault and abuse scenarios against a `shoal` binary, on loopback only.

Usage: stress.py --shoal PATH --work DIR [--seconds N] [--only NAME,...] [--zero-lock-age S] [--rss-rounds N]
Scenarios: mail-kill, churn, slow-clients, admin-edits, reload-storm, session-leak (the default: all of them).
Each prints PASS/FAIL with its numbers; a summary table follows; the exit status is 1 if any invariant broke.
"""

import argparse
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import admin_edits  # noqa: E402
import churn  # noqa: E402
import mail_crash  # noqa: E402
import reload_storm  # noqa: E402
import session_leak  # noqa: E402
import slow_clients  # noqa: E402
from common import Processes, Result, raise_open_files_limit  # noqa: E402

# name -> (module, share of the total time budget)
SCENARIOS = {
    "mail-kill": (mail_crash, 0.30),
    "churn": (churn, 0.25),
    "slow-clients": (slow_clients, 0.15),
    "admin-edits": (admin_edits, 0.12),
    "reload-storm": (reload_storm, 0.18),
    "session-leak": (session_leak, 0.0),
}


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shoal", required=True, help="the shoal binary")
    parser.add_argument("--work", required=True, help="a scratch directory (removed by the caller)")
    parser.add_argument("--seconds", type=float, default=300, help="time budget for all scenarios' load phases")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenario names")
    parser.add_argument("--zero-lock-age", type=float, default=110,
                        help="age given to the simulated empty lock (stale after 120 s; 0 = a fresh lock)")
    parser.add_argument("--lock-kills", type=int, default=5, help="kills aimed at a held uidlist lock")
    parser.add_argument("--lock-only", action="store_true", help="mail-kill: only the lock recovery measurements")
    parser.add_argument("--rss-rounds", type=int, default=3, help="churn: rounds of --rss-connections connections")
    parser.add_argument("--rss-connections", type=int, default=10000)
    parser.add_argument("--rss-only", action="store_true", help="churn: only the RSS measurement")
    parser.add_argument("--flood", type=int, default=1000, help="slow connections per listening port")
    parser.add_argument("--leak-sessions", type=int, default=300, help="session-leak: session sets per round")
    return parser.parse_args()


def run_scenario(name, arguments, processes):
    module, share = SCENARIOS[name]
    work = os.path.join(arguments.work, name)
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o755)
    scenario_processes = Processes(work)
    scenario_processes.pid_file = processes.pid_file
    print(f"=== {name}", flush=True)
    started = time.monotonic()
    try:
        result = module.run(arguments.shoal, work, scenario_processes, arguments.seconds * share, vars(arguments))
    except Exception:  # a scenario that cannot run is a failure, with its traceback
        result = Result(name)
        result.violations.append("scenario aborted: " + traceback.format_exc().strip().splitlines()[-1])
        traceback.print_exc()
    finally:
        scenario_processes.stop_all()
    result.seconds = time.monotonic() - started
    result.print_report()
    return name, result


def print_summary(results):
    print("\n=== summary")
    width = max(len(name) for name, _ in results)
    print(f"{'scenario'.ljust(width)}  verdict  seconds  violations")
    for name, result in results:
        verdict = "PASS" if result.passed else "FAIL"
        print(f"{name.ljust(width)}  {verdict:7}  {result.seconds:7.0f}  {len(result.violations)}")
        for violation in result.violations[:5]:
            print(f"{''.ljust(width)}    - {violation[:300]}")
    failed = sum(1 for _, r in results if not r.passed)
    print(f"{len(results) - failed} passed, {failed} failed", flush=True)


def main():
    arguments = parse_arguments()
    raise_open_files_limit()
    processes = Processes(arguments.work)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = [n.strip() for n in arguments.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenarios: {', '.join(unknown)} (known: {', '.join(SCENARIOS)})")
    print(f"shoal: {arguments.shoal}; budget {arguments.seconds:.0f} s; scenarios: {', '.join(names)}", flush=True)
    results = []
    try:
        for name in names:
            results.append(run_scenario(name, arguments, processes))
    finally:
        processes.stop_all()
    print_summary(results)
    sys.exit(0 if all(r.passed for _, r in results) else 1)


if __name__ == "__main__":
    main()
