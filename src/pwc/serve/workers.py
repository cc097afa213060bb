"""Several server workers, each listening on its own socket bound to the same port.

uvicorn's `--workers` shares one listening socket: whichever idle worker wakes first takes
every connection waiting, so keep-alive connections opened together land unevenly
(benchmarks/RESULTS.md, "Figures behind the code's choices") and the busiest worker sets the
capacity. With SO_REUSEPORT each worker has a socket of its own on the port and the
kernel assigns every new connection to one of them by a hash of its addresses, so they
spread like coin flips. A worker binds its socket once its app has started, so a worker that
is still loading the model gets no connections. uvicorn's supervisor (start, health checks,
restarts, signals) is kept; only the sockets it hands each worker are new.
"""

from __future__ import annotations

import logging
import socket

from uvicorn import Config
from uvicorn.supervisors.multiprocess import Multiprocess

logger = logging.getLogger("uvicorn.error")


def reuse_port_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A listening socket that other sockets of this user may bind to the same port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


class ListenWhenReady:
    """What uvicorn's server takes as its sockets, bound only when the server iterates them:
    after the app's start-up (the model loaded and warmed), so the port's connections go only
    to workers that can answer them. A socket bound by the supervisor listened while its
    worker was still loading the model, and held its share of new connections for those
    seconds (a CI run of the workers test found it). Plain attributes: it is pickled into
    each worker unbound."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        self.host, self.port, self.backlog = host, port, backlog
        self._sock: socket.socket | None = None

    def __iter__(self):
        if self._sock is None:
            self._sock = reuse_port_socket(self.host, self.port, self.backlog)
        return iter([self._sock])


class Supervisor(Multiprocess):
    """uvicorn's Multiprocess, starting each worker (and each replacement) with a socket of
    its own that it binds once it is ready; the supervisor holds none."""

    def __init__(self, config: Config) -> None:
        if config.port == 0:
            raise ValueError("several workers need a fixed port: each binds it (--port)")
        reuse_port_socket(config.host, config.port, config.backlog).close()  # fail early
        super().__init__(config, sockets=[])
        logger.info(
            "Uvicorn running on http://%s:%d with %d workers, a socket each (SO_REUSEPORT)",
            config.host,
            config.port,
            config.workers,
        )

    @property
    def sockets(self) -> ListenWhenReady:  # read once for every worker started
        return ListenWhenReady(self.config.host, self.config.port, self.config.backlog)

    @sockets.setter
    def sockets(self, _value: list[socket.socket]) -> None:
        pass  # Multiprocess.__init__ assigns the shared list this class replaces
