"""Cut a process off the network: the store workers' defence in depth behind the query guard.

pyoxigraph evaluates ``SERVICE`` and ``LOAD`` with an HTTP client of its own. The guard
(``server.guard``) refuses them before a request runs; should a spelling ever get past it,
a worker cut off here still cannot reach anything: a seccomp filter (libseccomp, through
pyseccomp) fails every ``socket()`` call with EACCES, of every family: a Unix socket too,
since a name lookup through nscd or systemd-resolved would send a DNS query out on the
worker's behalf. ``io_uring_setup`` fails likewise, since io_uring could open sockets without
that call. The pipe to the server is a socket pair made before the filter, so it keeps
working. The filter binds this process and every thread it starts from then on, and cannot
be lifted.

An unreachable ``SERVICE SILENT`` then yields its one empty solution, as SPARQL 1.1 says,
without a request leaving the machine.
"""

from __future__ import annotations

import errno
import socket

# Imported once, in the fork server the workers are forked from (graph.sandbox preloads
# graph.worker, which imports this module): pyseccomp looks libseccomp up with ldconfig as it
# is imported, which would cost every new worker a subprocess.
try:
    import pyseccomp as seccomp
except (ImportError, RuntimeError, OSError) as error:  # RuntimeError: no libseccomp.so
    seccomp = None
    _MISSING = f"libseccomp is not available ({error}); on Debian: apt-get install libseccomp2"


class NotIsolated(OSError):
    """The filter could not be installed (no libseccomp, or a kernel without seccomp)."""


def cut_off() -> None:
    """Deny this process, and the threads it starts from now on, any new socket.

    Raises NotIsolated when that cannot be done; the caller must then not serve requests.

    >>> import multiprocessing
    >>> ctx = multiprocessing.get_context("fork")
    >>> child = ctx.Process(target=_probe); child.start(); child.join(); child.exitcode
    0
    """
    if seccomp is None:
        raise NotIsolated(_MISSING)
    refuse = seccomp.ERRNO(errno.EACCES)
    try:
        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
        rules.add_rule(refuse, "socket")
        rules.add_rule(refuse, "io_uring_setup")
        rules.load()
    except (OSError, RuntimeError, ValueError) as error:
        raise NotIsolated(f"the seccomp filter could not be installed: {error}") from None


def _probe() -> None:
    """For the doctest: in a cut-off child, an Internet or a Unix socket is refused, and the
    socket pair made before the filter still carries data."""
    mine, theirs = socket.socketpair()
    cut_off()
    for family in (socket.AF_INET, socket.AF_UNIX):
        try:
            socket.socket(family, socket.SOCK_STREAM)
        except PermissionError:
            continue
        raise SystemExit(1)
    mine.sendall(b"x")
    if theirs.recv(1) != b"x":
        raise SystemExit(2)
