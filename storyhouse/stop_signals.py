"""A web worker stops on the first Ctrl+C.

Ctrl+C in a terminal sends SIGINT to every process of `storyhouse serve`, and granian's main
process then sends each worker SIGTERM as well. A worker waits for them in its main thread,
blocked on a lock. When two different signals arrive together, the kernel hands one of them to
another thread, and CPython then runs neither handler until the main thread wakes up, which
it never does: the worker, and `storyhouse serve` waiting for it, hung in about half of the
Ctrl+Cs on 2 cores. A plain Python process with a few threads does the same.

So in a granian worker both signals are blocked in every thread, and one thread of ours takes
them with sigwait and calls the handler granian set, wherever the signal was aimed.
(A program a worker started would inherit the blocked signals; none does. One that ever
must should unblock them in the child, with subprocess's preexec_fn.)
"""

import multiprocessing
import os
import signal
import threading

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
GRANIAN_WORKER = "granian-worker"  # the name granian gives its worker processes


def in_granian_worker() -> bool:
    return multiprocessing.current_process().name == GRANIAN_WORKER


def relay_start() -> None:
    """Block the stop signals and take them in a thread of their own. Call it in the main
    thread before any other thread starts: threads keep the signal mask they were born with."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    threading.Thread(target=_relay, name="stop-signals", daemon=True).start()


def _relay() -> None:
    while True:
        number = signal.sigwait(STOP_SIGNALS)
        handler = signal.getsignal(number)
        if handler == signal.SIG_IGN:
            continue
        if callable(handler) and handler is not signal.default_int_handler:
            handler(number, None)  # granian's: it only sets an event, from any thread
        else:
            # Still loading, before granian set its handlers: stop, as the signal would have.
            os._exit(128 + number)
