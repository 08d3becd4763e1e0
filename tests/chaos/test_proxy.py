"""The fault-injecting proxy against an echo server on 127.0.0.1 (ctest: chaos.proxy)."""

import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy import Proxy  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Echo:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    @staticmethod
    def _echo(c):
        with c:
            try:
                while True:
                    d = c.recv(65536)
                    if not d:
                        return
                    c.sendall(d)
            except OSError:
                return


def recv_exactly(s, n):
    out = b""
    while len(out) < n:
        d = s.recv(n - len(out))
        if not d:
            raise ConnectionError("closed after %d of %d bytes" % (len(out), n))
        out += d
    return out


class ProxyTest(unittest.TestCase):
    def setUp(self):
        self.echo = Echo()
        self.port = free_port()
        self.proxy = Proxy([(self.port, self.echo.port)]).start()
        self.route = self.proxy.route(self.port)

    def tearDown(self):
        self.proxy.close()
        self.echo.sock.close()

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        return s

    def test_forwards_both_ways_in_order(self):
        with self.connect() as s:
            payload = bytes(range(256)) * 4096  # 1 MiB
            threading.Thread(target=s.sendall, args=(payload,), daemon=True).start()
            self.assertEqual(recv_exactly(s, len(payload)), payload)

    def test_stall_holds_bytes_until_it_ends(self):
        with self.connect() as s:
            s.sendall(b"ping")
            self.assertEqual(recv_exactly(s, 4), b"ping")
            self.proxy.stall(self.route, 1.0)
            t0 = time.monotonic()
            s.sendall(b"pong")
            s.settimeout(0.5)
            with self.assertRaises(socket.timeout):
                s.recv(4)
            s.settimeout(5)
            self.assertEqual(recv_exactly(s, 4), b"pong")
            self.assertGreaterEqual(time.monotonic() - t0, 0.9)

    def test_delay_holds_each_chunk(self):
        with self.connect() as s:
            self.proxy.delay(self.route, 300, 5)
            t0 = time.monotonic()
            s.sendall(b"x")
            self.assertEqual(recv_exactly(s, 1), b"x")
            # delayed on the way there and again on the way back
            self.assertGreaterEqual(time.monotonic() - t0, 0.55)

    def test_cut_resets_open_connections(self):
        with self.connect() as s:
            s.sendall(b"a")
            self.assertEqual(recv_exactly(s, 1), b"a")
            self.proxy.cut(self.route)
            with self.assertRaises((ConnectionResetError, ConnectionError)):
                for _ in range(50):
                    s.sendall(b"b")
                    if not s.recv(1):
                        raise ConnectionError("closed")
                    time.sleep(0.02)
        self.assertEqual(self.route.cuts, 1)
        with self.connect() as s:  # new connections work again
            s.sendall(b"c")
            self.assertEqual(recv_exactly(s, 1), b"c")

    def test_refuse_resets_new_connections_for_a_while(self):
        self.proxy.refuse(self.route, 0.8)
        with self.assertRaises((ConnectionResetError, ConnectionError)):
            # the reset may come before connect() returns, or on the first read
            with self.connect() as s:
                s.sendall(b"a")
                if not s.recv(1):
                    raise ConnectionError("closed")
        time.sleep(0.9)
        with self.connect() as s:
            s.sendall(b"b")
            self.assertEqual(recv_exactly(s, 1), b"b")


if __name__ == "__main__":
    unittest.main()
