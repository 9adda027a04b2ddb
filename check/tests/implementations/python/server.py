#!/usr/bin/python3
"""A dummy-chat server, written from PROTOCOL.md alone.

Structure (top to bottom):
  - text helpers: white space, control characters, caret notation (sections 3, 4, 7);
  - LineDecoder: turns the byte stream of one connection into lines (sections 2, 10);
  - Connection: one asyncio.Protocol per TCP connection (states: registering,
    joined, closing, gone);
  - ChatServer: the room: registration, relay, leaving, console lines, limits,
    shutdown (sections 3-10);
  - command line, listening and the main function (sections 1, 12).

Python 3 standard library only.
"""

import argparse
import asyncio
import os
import signal
import socket
import sys

# --------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------

# The characters trimmed from both ends of a nickname, and the ones a "blank"
# chat line may consist of.  This is JavaScript's String.prototype.trim set
# (the reference is written in TypeScript): Python's str.strip() would also
# strip U+001C..U+001F and U+0085, which are control characters.
WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def is_control(ch):
    """C0 controls, DEL and C1 controls (section 7)."""
    code = ord(ch)
    return code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F


def _neutralise_table():
    table = {}
    for code in range(0x20):
        table[code] = "^" + chr(code + 0x40)  # ESC -> ^[, BEL -> ^G, NUL -> ^@
    table[0x09] = " "  # a tab becomes one space
    table[0x7F] = "^?"
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    return table


NEUTRALISE = _neutralise_table()


def neutralise(text):
    """Replace control characters so that no client's terminal obeys them."""
    return text.translate(NEUTRALISE)


def format_seconds(ms):
    """20000 -> '20 seconds', 1500 -> '1.5 seconds', 1000 -> '1 second'."""
    whole, rest = divmod(ms, 1000)
    number = str(whole) if rest == 0 else f"{whole}.{rest:03d}".rstrip("0")
    unit = "second" if ms == 1000 else "seconds"
    return f"{number} {unit}"


def log(line=""):
    """One line on the server's console (section 8)."""
    try:
        print(line, flush=True)
    except (BrokenPipeError, ValueError):
        pass


# --------------------------------------------------------------------------
# Framing
# --------------------------------------------------------------------------

TOO_LONG = object()  # stands for a line longer than the line limit


class LineDecoder:
    """Splits bytes into lines ended by LF ("\\r\\n" works too).

    A line is decoded only once it is complete, so characters split between
    reads are fine; invalid UTF-8 becomes U+FFFD.  A line longer than
    max_bytes (not counting "\\r\\n") is reported once as TOO_LONG and its
    bytes are thrown away up to and including its "\\n": the buffer never
    holds more than max_bytes + 1 bytes.
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.discarding = False  # inside an over-long line, waiting for its "\n"

    def feed(self, data):
        """Return the lines (str or TOO_LONG) completed by data."""
        lines = []
        start = 0
        while True:
            newline = data.find(b"\n", start)
            if newline < 0:
                break
            piece = data[start:newline]
            start = newline + 1
            if self.discarding:
                self.discarding = False
                continue
            length = len(self.buffer) + len(piece)
            ends_with_cr = piece.endswith(b"\r") or (not piece and self.buffer.endswith(b"\r"))
            if ends_with_cr:
                length -= 1
            if length > self.max_bytes:
                self.buffer.clear()
                lines.append(TOO_LONG)
                continue
            self.buffer += piece
            line = bytes(self.buffer)
            self.buffer.clear()
            if ends_with_cr:
                line = line[:-1]
            lines.append(line.decode("utf-8", errors="replace"))

        rest = data[start:]
        if rest and not self.discarding:
            self.buffer += rest
            size = len(self.buffer)
            # max_bytes + 1 bytes are allowed only if the last is a "\r" that
            # a "\n" may still follow.
            if size > self.max_bytes + 1 or (
                size == self.max_bytes + 1 and self.buffer[-1] != 0x0D
            ):
                self.buffer.clear()
                self.discarding = True
                lines.append(TOO_LONG)
        return lines

    def finish(self):
        """The connection ended: a last line without "\\n" still counts."""
        if self.discarding or not self.buffer:
            return []
        line = bytes(self.buffer)
        self.buffer.clear()
        if len(line) > self.max_bytes:
            return [TOO_LONG]
        return [line.decode("utf-8", errors="replace")]


# --------------------------------------------------------------------------
# One connection
# --------------------------------------------------------------------------

REGISTERING, JOINED, CLOSING, GONE = "registering", "joined", "closing", "gone"

# After the server has said its last line (a refusal), it half-closes and
# waits this long for the client to close before cutting the connection.
# (Closing at once, with unread input from the client, could make the
# kernel send a reset that destroys the refusal line on its way.)
LINGER_SECONDS = 2.0


class Connection(asyncio.Protocol):
    def __init__(self, server):
        self.server = server
        self.state = REGISTERING
        self.transport = None
        self.address = "?"
        self.port = 0
        self.nick = None
        self.decoder = LineDecoder(server.limits.max_line_bytes)
        self.timer = None

    # ---- asyncio callbacks ----

    def connection_made(self, transport):
        self.transport = transport
        peer = transport.get_extra_info("peername") or ("?", 0)
        address = peer[0]
        if address.startswith("::ffff:") and "." in address:
            address = address[len("::ffff:"):]  # IPv4 on a dual-stack socket
        self.address, self.port = address, peer[1]
        self.server.accepted(self)

    def data_received(self, data):
        if self.state not in (REGISTERING, JOINED):
            return  # a closing connection's input is read and dropped
        for line in self.decoder.feed(data):
            if self.state not in (REGISTERING, JOINED):
                break
            self.server.line_received(self, line)

    def eof_received(self):
        # A half-close ends the connection; a last unterminated line counts.
        if self.state in (REGISTERING, JOINED):
            for line in self.decoder.finish():
                if self.state not in (REGISTERING, JOINED):
                    break
                self.server.line_received(self, line)
        self.server.connection_ended(self)
        return False  # asyncio flushes what is queued, then closes

    def connection_lost(self, exc):
        self.cancel_timer()
        self.server.connection_ended(self)
        self.state = GONE
        self.server.forget(self)

    # ---- helpers used by the server ----

    def start_timer(self, seconds, callback):
        self.cancel_timer()
        self.timer = asyncio.get_running_loop().call_later(seconds, callback)

    def cancel_timer(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def send(self, data, enforce_cap=True):
        """Queue bytes for the client; drop a client whose backlog is too big."""
        if self.transport.is_closing():
            return
        if enforce_cap and (
            self.transport.get_write_buffer_size() + len(data)
            > self.server.limits.max_queued_bytes
        ):
            # A client that does not read: cut it.  connection_lost() will
            # announce the leave (outside the loop that is sending now).
            self.transport.abort()
            return
        self.transport.write(data)

    def say_last_and_close(self, text, linger):
        """Send one last line, half-close, and close once the client has."""
        self.state = CLOSING
        self.cancel_timer()
        self.send(text.encode("utf-8"), enforce_cap=False)
        if self.transport.is_closing():
            return
        if self.transport.can_write_eof():
            self.transport.write_eof()
        if linger is not None:
            self.start_timer(linger, self.transport.abort)


# --------------------------------------------------------------------------
# The room
# --------------------------------------------------------------------------


class Limits:
    def __init__(self, args):
        self.max_line_bytes = args.max_line_bytes
        self.max_nick_chars = args.max_nick_chars
        self.max_clients = args.max_clients
        self.registration_timeout_ms = args.registration_timeout_ms
        self.max_queued_bytes = args.max_queued_bytes
        self.shutdown_timeout_ms = args.shutdown_timeout_ms


class ChatServer:
    def __init__(self, limits):
        self.limits = limits
        self.everyone = set()  # every open connection, whatever its state
        self.counted = set()  # registering or joined: what --max-clients counts
        self.joined = {}  # joined connections, in joining order (dict as ordered set)
        self.shutting_down = False
        self.all_gone = None  # an asyncio.Event during shutdown

    # ---- connections coming and going ----

    def accepted(self, conn):
        log(">>> Waiting for clients...")
        self.everyone.add(conn)
        if self.shutting_down:
            conn.transport.abort()
            return
        if len(self.counted) >= self.limits.max_clients:
            conn.say_last_and_close(
                f">>> The chatroom is full ({self.limits.max_clients} clients). "
                "Try again later.\n",
                LINGER_SECONDS,
            )
            return
        self.counted.add(conn)
        conn.start_timer(
            self.limits.registration_timeout_ms / 1000, lambda: self.registration_timed_out(conn)
        )

    def registration_timed_out(self, conn):
        conn.timer = None
        if conn.state == REGISTERING:
            seconds = format_seconds(self.limits.registration_timeout_ms)
            self.refuse(conn, f">>> No nickname received within {seconds}. Closing connection.\n")

    def connection_ended(self, conn):
        """The client closed, half-closed, reset, or was cut."""
        if conn.state == JOINED:
            conn.state = CLOSING
            self.leave(conn)
        elif conn.state == REGISTERING:
            conn.state = CLOSING
            self.counted.discard(conn)

    def forget(self, conn):
        self.everyone.discard(conn)
        self.counted.discard(conn)
        self.joined.pop(conn, None)
        if self.all_gone is not None and not self.everyone:
            self.all_gone.set()

    # ---- lines ----

    def line_received(self, conn, line):
        if conn.state == REGISTERING:
            self.register(conn, line)
        elif conn.state == JOINED:
            self.chat(conn, line)

    def register(self, conn, line):
        max_chars = self.limits.max_nick_chars
        too_long = f">>> Nickname is longer than {max_chars} characters. Closing connection.\n"
        if line is TOO_LONG:
            self.refuse(conn, too_long)
            return
        nick = line.strip(WHITESPACE)
        if not nick:
            self.refuse(conn, ">>> Nickname must not be blank. Closing connection.\n")
        elif any(is_control(ch) for ch in nick):
            self.refuse(
                conn, ">>> Nickname must not contain control characters. Closing connection.\n"
            )
        elif len(nick) > max_chars:
            self.refuse(conn, too_long)
        else:
            self.join(conn, nick)

    def refuse(self, conn, text):
        """A refused connection was never in the room: nobody is told."""
        self.counted.discard(conn)
        conn.say_last_and_close(text, LINGER_SECONDS)

    def join(self, conn, nick):
        conn.cancel_timer()
        conn.state = JOINED
        conn.nick = nick
        self.joined[conn] = True
        count = len(self.joined)
        conn.send(b">>> You have joined the chatroom now.\n\n")
        notice = f"{nick}({conn.port}) has joined the chatroom!!\nNow participants: {count}\n\n"
        self.broadcast(notice, sender=conn)
        log(f"{nick}({conn.port}) has joined the chatroom!!")
        log(f"Now participants: {count}")
        log(">>> Message successfully propagated.")
        log()

    def chat(self, conn, line):
        if line is TOO_LONG:
            conn.send(
                f">>> Your line was not sent: it is longer than "
                f"{self.limits.max_line_bytes} bytes.\n".encode("utf-8")
            )
            return
        if not line.strip(WHITESPACE):
            return
        self.broadcast(f"{conn.nick}({conn.port}): {neutralise(line)}\n", sender=conn)
        log(f"chat received from {conn.nick}({conn.address}:{conn.port})")
        log(">>> Message successfully propagated.")
        log()

    def leave(self, conn):
        self.joined.pop(conn, None)
        self.counted.discard(conn)
        if self.shutting_down:
            return  # no leaves are announced while closing down
        self.broadcast(f'User "{conn.nick}" left chatroom.\n', sender=conn)
        log(f'User "{conn.nick}" left chatroom.')
        log(">>> Message successfully propagated.")
        log()
        log(f"Now participants: {len(self.joined)}")

    def broadcast(self, text, sender):
        data = text.encode("utf-8")
        for other in list(self.joined):
            if other is not sender and other.state == JOINED:
                other.send(data)

    # ---- shutdown (section 9) ----

    async def shutdown(self, listeners):
        self.shutting_down = True
        log(">>> Server is shutting down...")
        for listener in listeners:
            listener.close()
        self.all_gone = asyncio.Event()
        for conn in list(self.everyone):
            if conn.state in (REGISTERING, JOINED):
                conn.say_last_and_close(">>> The server is shutting down.\n", linger=None)
        if self.everyone:
            try:
                await asyncio.wait_for(
                    self.all_gone.wait(), self.limits.shutdown_timeout_ms / 1000
                )
            except asyncio.TimeoutError:
                for conn in list(self.everyone):
                    conn.transport.abort()  # still open after the timeout: cut
                if self.everyone:
                    await self.all_gone.wait()
        log(">>> Server closed.")


# --------------------------------------------------------------------------
# Command line, listening, main
# --------------------------------------------------------------------------


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(1)  # bad flags: status 1 (argparse would use 2)


def integer(minimum, maximum=None):
    def parse(text):
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
        if value < minimum or (maximum is not None and value > maximum):
            limit = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"must be {limit}: {text}")
        return value

    return parse


def parse_args(argv):
    parser = ArgumentParser(prog="server.py", description="dummy-chat server", allow_abbrev=False)
    parser.add_argument("--port", type=integer(0, 65535), default=8080)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--max-line-bytes", type=integer(1), default=4096)
    parser.add_argument("--max-nick-chars", type=integer(1), default=32)
    parser.add_argument("--max-clients", type=integer(1), default=10000)
    parser.add_argument("--registration-timeout-ms", type=integer(1), default=20000)
    parser.add_argument("--max-queued-bytes", type=integer(1), default=1024 * 1024)
    parser.add_argument("--shutdown-timeout-ms", type=integer(0), default=2000)
    parser.add_argument("--flush-interval-ms", type=integer(0), default=10)  # accepted, ignored
    return parser.parse_args(argv)


def open_listening_sockets(host, port):
    """Listen on every address the host name resolves to, all on one port.

    With port 0 the first socket gets a port from the system and the others
    reuse it, so that "localhost" means the same port over IPv4 and IPv6.
    """
    infos = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    seen, unique = set(), []
    for family, kind, proto, _, address in infos:
        if (family, address) not in seen:
            seen.add((family, address))
            unique.append((family, kind, proto, address))
    has_ipv4 = any(family == socket.AF_INET for family, *_ in unique)

    sockets = []
    for family, kind, proto, address in unique:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and has_ipv4:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if sockets:
                address = (address[0], sockets[0].getsockname()[1]) + tuple(address[2:])
            sock.bind(address)
            sock.listen(511)
            sock.setblocking(False)
        except OSError:
            sock.close()
            if not sockets:
                raise
            continue  # another address of the same name: one is enough
        sockets.append(sock)
    return sockets


def reason(error):
    if isinstance(error, socket.gaierror) or error.errno is None:
        text = error.strerror or str(error)
    else:
        text = os.strerror(error.errno)
    return text.lower()


def raise_file_limit():
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


async def serve(args, sockets):
    loop = asyncio.get_running_loop()
    server = ChatServer(Limits(args))
    listeners = []
    for sock in sockets:
        listeners.append(await loop.create_server(lambda: Connection(server), sock=sock))

    log(f">>> Server is up on PORT:{sockets[0].getsockname()[1]}")
    log(">>> Waiting for clients...")

    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: None)  # a second signal changes nothing
    await server.shutdown(listeners)
    return 0


def main(argv):
    args = parse_args(argv)
    raise_file_limit()
    try:
        sockets = open_listening_sockets(args.host, args.port)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {reason(error)}", file=sys.stderr)
        return 1
    return asyncio.run(serve(args, sockets))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
