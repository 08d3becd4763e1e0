"""A TCP proxy for fault injection between clients and brokers, on 127.0.0.1 only.

Each route listens on one port and forwards every connection to a target port. While it runs, a
route can be told to
  stall(seconds)       stop moving bytes both ways (connections stay open, TCP back-pressure builds)
  delay(ms, seconds)   hold each chunk for ms before passing it on
  cut()                reset every open connection (SO_LINGER 0: the peers see RST, not FIN)
  refuse(seconds)      accept new connections and reset them at once
All routes run on one background thread (selectors). Used by soak.py; `python3 proxy.py 9095:9094`
runs it alone until interrupted.
"""

import selectors
import socket
import struct
import sys
import threading
import time

CHUNK = 256 * 1024


class _Pipe:
    """One proxied connection: the client's socket, the target's socket, bytes waiting each way."""

    def __init__(self, route, client, target):
        self.route = route
        self.client = client
        self.target = target
        self.connected = False
        # socket -> the chunks waiting to be written to it, as (release time, bytes)
        self.pending = {client: [], target: []}

    def peer(self, s):
        return self.target if s is self.client else self.client


class Route:
    """A listening port forwarded to a target port, with the faults in force on it and the count of cuts."""

    def __init__(self, listen_port, target_port):
        self.listen_port = listen_port
        self.target_port = target_port
        self.stall_until = 0.0
        self.delay_ms = 0
        self.delay_until = 0.0
        self.refuse_until = 0.0
        self.cuts = 0


class Proxy:
    def __init__(self, routes):
        """routes: [(listen_port, target_port), ...]"""
        self.routes = [Route(l, t) for l, t in routes]
        self._sel = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._pipes = set()
        self._registered = {}  # socket -> the events the selector watches on it
        self._stop = False
        self._cut_requests = []
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        for r in self.routes:
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(("127.0.0.1", r.listen_port))
            ls.listen(128)
            ls.setblocking(False)
            self._sel.register(ls, selectors.EVENT_READ, ("listen", r))
        self._thread = threading.Thread(target=self._run, name="proxy", daemon=True)

    # ------------------------------------------------------------ control (any thread)
    def start(self):
        self._thread.start()
        return self

    def close(self):
        self._stop = True
        self._wake()
        self._thread.join(5)

    def route(self, listen_port):
        return next(r for r in self.routes if r.listen_port == listen_port)

    def stall(self, route, seconds):
        with self._lock:
            route.stall_until = time.monotonic() + seconds
        self._wake()

    def delay(self, route, ms, seconds):
        with self._lock:
            route.delay_ms = ms
            route.delay_until = time.monotonic() + seconds
        self._wake()

    def refuse(self, route, seconds):
        with self._lock:
            route.refuse_until = time.monotonic() + seconds
        self._wake()

    def cut(self, route):
        with self._lock:
            self._cut_requests.append(route)
        self._wake()

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    # ------------------------------------------------------------ the loop (proxy thread)
    def _run(self):
        while not self._stop:
            now = time.monotonic()
            with self._lock:
                cuts, self._cut_requests = self._cut_requests, []
            for r in cuts:
                for p in [p for p in self._pipes if p.route is r]:
                    r.cuts += 1  # before the reset: whoever sees the reset sees the count
                    self._close(p, reset=True)
            self._update_interest(now)
            timeout = self._next_deadline(now)
            for key, events in self._sel.select(timeout):
                kind, obj = key.data
                if kind == "wake":
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except BlockingIOError:
                        pass
                elif kind == "listen":
                    self._accept(key.fileobj, obj, now)
                else:
                    self._io(obj, key.fileobj, events, now)
            self._flush(time.monotonic())
        for p in list(self._pipes):
            self._close(p, reset=False)
        for key in list(self._sel.get_map().values()):
            key.fileobj.close()
        self._wake_w.close()

    def _accept(self, ls, route, now):
        try:
            client, _ = ls.accept()
        except BlockingIOError:
            return
        if now < route.refuse_until:
            _reset(client)
            return
        client.setblocking(False)
        target = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target.setblocking(False)
        for s in (client, target):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        p = _Pipe(route, client, target)
        try:
            target.connect(("127.0.0.1", route.target_port))
        except BlockingIOError:
            pass
        except OSError:
            _reset(client)
            target.close()
            return
        self._pipes.add(p)
        self._interest(client, selectors.EVENT_READ, p)
        self._interest(target, selectors.EVENT_WRITE, p)

    def _io(self, p, s, events, now):
        if p not in self._pipes:
            return
        if s is p.target and not p.connected and events & selectors.EVENT_WRITE:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                self._close(p, reset=True)
                return
            p.connected = True
        if events & selectors.EVENT_READ:
            try:
                data = s.recv(CHUNK)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                self._close(p, reset=True)
                return
            if data == b"":
                self._close(p, reset=False)
                return
            if data:
                r = p.route
                release = now + (r.delay_ms / 1000.0 if now < r.delay_until else 0.0)
                p.pending[p.peer(s)].append((release, data))

    def _flush(self, now):
        for p in list(self._pipes):
            if not p.connected or now < p.route.stall_until:
                continue
            for dst, queue in p.pending.items():
                while queue and queue[0][0] <= now:
                    release, data = queue[0]
                    try:
                        n = dst.send(data)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        self._close(p, reset=True)
                        return
                    if n < len(data):
                        queue[0] = (release, data[n:])
                        break
                    queue.pop(0)

    def _update_interest(self, now):
        for p in self._pipes:
            stalled = now < p.route.stall_until
            for s in (p.client, p.target):
                if s is p.target and not p.connected:
                    self._interest(s, selectors.EVENT_WRITE, p)  # the connect's completion
                    continue
                ev = 0
                # Read only while little waits to go the other way (back-pressure), and not stalled.
                if not stalled and sum(len(d) for _, d in p.pending[p.peer(s)]) < 4 * CHUNK:
                    ev |= selectors.EVENT_READ
                if not stalled and p.pending[s] and p.pending[s][0][0] <= now:
                    ev |= selectors.EVENT_WRITE
                self._interest(s, ev, p)

    def _interest(self, s, ev, p):
        """What the selector watches on s (selectors cannot watch for nothing: then s leaves it)."""
        now = self._registered.get(s)
        if ev == 0:
            if now is not None:
                self._sel.unregister(s)
                del self._registered[s]
        elif now is None:
            self._sel.register(s, ev, ("pipe", p))
            self._registered[s] = ev
        elif now != ev:
            self._sel.modify(s, ev, ("pipe", p))
            self._registered[s] = ev

    def _next_deadline(self, now):
        deadlines = []
        for r in self.routes:
            for t in (r.stall_until, r.delay_until, r.refuse_until):
                if t > now:
                    deadlines.append(t)
        for p in self._pipes:
            for q in p.pending.values():
                if q:
                    deadlines.append(q[0][0])
        if not deadlines:
            return 0.5
        return max(0.0, min(min(deadlines) - now, 0.5))

    def _close(self, p, reset):
        self._pipes.discard(p)
        for s in (p.client, p.target):
            self._interest(s, 0, p)
            if reset:
                _reset(s)
            else:
                s.close()


def _reset(s):
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


if __name__ == "__main__":
    routes = [tuple(int(x) for x in a.split(":")) for a in sys.argv[1:]]
    if not routes:
        sys.exit("usage: proxy.py LISTEN:TARGET ...")
    proxy = Proxy(routes).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        proxy.close()
