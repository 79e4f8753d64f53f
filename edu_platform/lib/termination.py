"""A run's dbt stops when the run is told to stop, before the run is marked ended.

Dagster terminates a run by interrupting its run worker: the UI's Terminate and the CLI's Ctrl-C reach it as a
SIGINT it sends itself (the code server's cancel request), a daemon or container shutdown as SIGTERM/SIGINT.
dagster-dbt forwards that interrupt to dbt only when it lands in the thread reading dbt's output as a Python
exception, and a SIGTERM under another handler may never become one: dbt would go on building and write its
tables after the run was marked ended. Here the signal is seen whatever Python handler Dagster has installed at that moment
(`signal.set_wakeup_fd`: the interpreter writes each signal's number to a pipe) and dbt is stopped at once:
SIGINT (dbt cancels its queries, so the open transaction rolls back), then SIGKILL after STOP_GRACE_SECONDS.
The step then ends, and only then does Dagster mark the run CANCELED or FAILED.
"""

import contextlib
import os
import signal
import subprocess
import threading
from typing import Iterator

STOP_GRACE_SECONDS = 5.0
STOP_SIGNALS = {signal.SIGINT.value, signal.SIGTERM.value}


def stop_process(process: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGINT, then SIGKILL if it is still alive after `grace` seconds; returns once it has exited."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def stopped_on_signal(process: subprocess.Popen) -> Iterator[None]:
    """While the block runs, a SIGINT or SIGTERM to this process stops `process` (see the module's docstring).
    Only the main thread can watch signals; elsewhere the block runs unwatched."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)

    def watch() -> None:
        while True:
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data:  # the block ended
                return
            if STOP_SIGNALS & set(data):  # a signal received while the block ran, even if it just ended
                stop_process(process)
                return

    watcher = threading.Thread(target=watch, name="stop-dbt-on-signal", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous)
        os.close(write_fd)  # the watcher reads what is left, then end-of-file
        watcher.join(timeout=STOP_GRACE_SECONDS + 5)
        os.close(read_fd)
