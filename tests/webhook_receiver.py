"""A real HTTP receiver for webhook tests: it answers each request with the next status
of a script (then 200), and keeps every request it got."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    #: What the receiver answered (None until it did).
    status: int | None = None


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Extra headers per status, e.g. {307: {"Location": "/moved"}}.
    headers: dict[int, dict[str, str]] = field(default_factory=dict)
    #: Seconds to wait before answering the first request (a sender stopped meanwhile).
    stall_first: float = 0

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def answer(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            got = Received(self.path, dict(self.headers), body)
            with receiver.lock:
                receiver.received.append(got)
                stall, receiver.stall_first = receiver.stall_first, 0
            if stall:
                time.sleep(stall)
            status = got.status = receiver.answer()
            self.send_response(status)
            for name, value in receiver.headers.get(status, {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(f"answered {status}".encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return receiver
