"""Run the test suite (all but tests/fork) as two `ape test` processes side by side.

    python tools/test_groups.py [PYTEST ARGS...]      # what `make test` runs

The machines have two cores and the suite has two halves that barely touch:
the in-process titanoboa tests (``tests/unit``, ``tests/stateful``,
``tests/interface``: CPU in this process only) and everything that drives
anvil nodes and subprocesses (``tests/sdk``, ``tests/scripts``,
``tests/integration``, ``tests/docs`` and any new directory: it is every
test not in the first group, so nothing is left out). The second group's
output is streamed; the first group's is kept in
``.build/test-titanoboa.log`` and printed when both are done. The exit status
is 0 only if both groups pass. Each group is an ordinary ``ape test``: run
one alone with ``ape test tests/unit tests/stateful tests/interface`` or
``ape test tests --ignore tests/fork --ignore tests/unit ...``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IN_PROCESS = ("tests/unit", "tests/stateful", "tests/interface")
SEPARATE = ("tests/fork",)  # its own `ape test` on the fork network (make fork-test)
LOG = ROOT / ".build" / "test-titanoboa.log"


def commands(args: list[str]) -> tuple[list[str], list[str]]:
    """The two `ape test` command lines: the titanoboa group, then every other test."""
    boa = ["ape", "test", *IN_PROCESS, *args]
    rest = ["ape", "test", "tests"]
    for folder in (*IN_PROCESS, *SEPARATE):
        rest += ["--ignore", folder]
    return boa, [*rest, *args]


def main(args: list[str]) -> int:
    boa_cmd, rest_cmd = commands(args)
    LOG.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"tests: {' '.join(boa_cmd)} (alongside, output in {LOG.relative_to(ROOT)})", flush=True)
    print(f"tests: {' '.join(rest_cmd)}", flush=True)
    with LOG.open("w") as log:
        boa = subprocess.Popen(boa_cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            rest = subprocess.run(rest_cmd, cwd=ROOT, check=False).returncode
            boa_status = boa.wait()
        except KeyboardInterrupt:
            boa.send_signal(signal.SIGINT)
            boa.wait()
            return 130
        finally:
            if boa.poll() is None:
                boa.kill()
    print(f"\n---------------- {' '.join(IN_PROCESS)} (ran alongside) ----------------", flush=True)
    sys.stdout.write(LOG.read_text())
    minutes = (time.monotonic() - started) / 60
    verdict = {0: "passed"}
    print(
        f"\ntests: {' '.join(IN_PROCESS)}: {verdict.get(boa_status, f'FAILED (exit {boa_status})')}; "
        f"the rest: {verdict.get(rest, f'FAILED (exit {rest})')}; {minutes:.1f} min in all",
        flush=True,
    )
    return 0 if boa_status == 0 and rest == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
