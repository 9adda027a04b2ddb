#!/usr/bin/env python3
"""dummy-chat server, written from PROTOCOL.md alone.

Design: one thread per connection (socket + threading). Each connection
thread is the only one that reads its socket. Writing to a socket is done by
whichever thread has something to say, without ever blocking: bytes the
kernel will not take yet are kept in that connection's backlog, which its own
thread drains when poll() says the socket is writable. All shared state
(the room, the set of connections, the console) is guarded by one lock,
ROOM.lock; each connection's backlog by its own lock.
"""
import errno
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

# ---------------------------------------------------------------- settings

DEFAULTS = {
    "port": 8080,
    "host": "localhost",
    "max-line-bytes": 4096,
    "max-nick-chars": 32,
    "max-clients": 10000,
    "registration-timeout-ms": 20000,
    "max-queued-bytes": 1024 * 1024,
    "shutdown-timeout-ms": 2000,
    "flush-interval-ms": 10,
}
# smallest value each numeric flag accepts
MINIMUM = {
    "port": 0,
    "max-line-bytes": 1,
    "max-nick-chars": 1,
    "max-clients": 1,
    "registration-timeout-ms": 1,
    "max-queued-bytes": 1,
    "shutdown-timeout-ms": 0,
    "flush-interval-ms": 0,
}
MAXIMUM = {"port": 65535}

BURST_BYTES = 64 * 1024  # a backlog this big is written at once


def usage_error(text):
    sys.stderr.write("server: " + text + "\n")
    sys.stderr.flush()
    sys.exit(1)


def parse_args(argv):
    cfg = dict(DEFAULTS)
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            usage_error("unexpected argument: %s" % arg)
        name = arg[2:]
        value = None
        if "=" in name:
            name, value = name.split("=", 1)
        if name not in DEFAULTS:
            usage_error("unknown flag: --%s" % name)
        if value is None:
            i += 1
            if i >= len(argv):
                usage_error("--%s needs a value" % name)
            value = argv[i]
        if name == "host":
            if value == "":
                usage_error("--host needs a value")
            cfg[name] = value
        else:
            text = value.strip()
            if not text.isdigit() or not text.isascii():
                usage_error("--%s needs a whole number, not %r" % (name, value))
            number = int(text)
            if number < MINIMUM[name] or number > MAXIMUM.get(name, 2 ** 53):
                usage_error("--%s is out of range: %s" % (name, value))
            cfg[name] = number
        i += 1
    return cfg


def seconds_text(ms):
    """20000 -> '20 seconds', 1500 -> '1.5 seconds', 1000 -> '1 second'."""
    whole, frac = divmod(ms, 1000)
    text = str(whole)
    if frac:
        text += "." + ("%03d" % frac).rstrip("0")
    return text + (" second" if ms == 1000 else " seconds")


# ---------------------------------------------------------------- text rules

# White space: space, tab and the Unicode space characters that are not
# control characters (what str.strip() removes, control characters aside).
WHITE = "".join(
    chr(c) for c in range(0x10000)
    if chr(c).isspace() and not (c < 0x20 or 0x7F <= c <= 0x9F)
) + "\t"


def trim(text):
    return text.strip(WHITE)


def is_blank(text):
    return trim(text) == ""


def is_control(ch):
    c = ord(ch)
    return c < 0x20 or c == 0x7F or 0x80 <= c <= 0x9F


def neutralise(text):
    """Section 7: caret notation for C0 and DEL, a tab as a space, C1 as U+FFFD."""
    out = []
    for ch in text:
        c = ord(ch)
        if c == 0x09:
            out.append(" ")
        elif c < 0x20:
            out.append("^" + chr(c + 64))
        elif c == 0x7F:
            out.append("^?")
        elif 0x80 <= c <= 0x9F:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def plain_reason(err):
    names = {
        errno.EADDRINUSE: "address already in use",
        errno.EACCES: "permission denied",
        errno.EADDRNOTAVAIL: "address not available",
        errno.ECONNREFUSED: "connection refused",
    }
    if err.errno in names:
        return names[err.errno]
    if isinstance(err, socket.gaierror):
        return "host not found"
    return (err.strerror or str(err)).lower()


# ---------------------------------------------------------------- line framing

class LineReader:
    """Collects bytes into lines (section 2), holding at most limit+1 bytes.

    feed() returns a list of (bytes_or_None) items: bytes for a complete line
    (its \\r\\n removed), None for a line that was longer than the limit."""

    def __init__(self, limit):
        self.limit = limit
        self.buf = bytearray()
        self.too_long = False

    def feed(self, data):
        lines = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                self._keep(data[start:])
                return lines
            piece = data[start:nl]
            start = nl + 1
            if self.too_long:
                lines.append(None)
            else:
                self.buf += piece
                line = bytes(self.buf)
                if line.endswith(b"\r"):
                    line = line[:-1]
                lines.append(None if len(line) > self.limit else line)
            self.buf = bytearray()
            self.too_long = False

    def _keep(self, rest):
        if self.too_long or not rest:
            return
        self.buf += rest
        n = len(self.buf)
        # limit bytes of text, plus possibly the \r of a \r\n still to come
        if n > self.limit + 1 or (n == self.limit + 1 and self.buf[-1:] != b"\r"):
            self.too_long = True
            self.buf = bytearray()

    def pending(self):
        """At the end of the connection: the last line without \\n, if any."""
        if self.too_long:
            self.too_long = False
            return [None]
        if self.buf:
            line = bytes(self.buf)
            self.buf = bytearray()
            return [line]
        return []

    def holds_partial(self):
        return bool(self.buf) or self.too_long


def wait_for(sock, wake_fd, want_write, timeout):
    """poll() (not select(), which fails for descriptors past 1023) on a
    socket and a wake-up pipe. Returns the ones that are ready to be read
    (the socket also when it is writable, or in error: its reader finds out)."""
    poller = select.poll()
    sock_events = select.POLLIN | (select.POLLOUT if want_write else 0)
    poller.register(sock.fileno(), sock_events)
    poller.register(wake_fd, select.POLLIN)
    ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
    ready = []
    for fd, events in poller.poll(ms):
        if fd == wake_fd:
            ready.append(wake_fd)
        elif events & (select.POLLIN | select.POLLHUP | select.POLLERR | select.POLLNVAL):
            ready.append(sock)
    return ready


def decode(line):
    return line.decode("utf-8", "replace")


# ---------------------------------------------------------------- the room

class Room:
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.Lock()
        self.members = []          # joined connections, in join order
        self.counted = set()       # connections counted against --max-clients
        self.open = set()          # every connection not yet closed
        self.shutting_down = False
        self.all_closed = threading.Condition(self.lock)

    # console: always called with self.lock held
    def say(self, *lines):
        try:
            sys.stdout.write("".join(line + "\n" for line in lines))
            sys.stdout.flush()
        except (OSError, ValueError):
            pass  # a console that went away does not stop the room


ROOM = None


class Connection:
    """One accepted socket and the thread that serves it."""

    def __init__(self, sock, addr, counted):
        self.sock = sock
        self.addr = addr[0]
        self.port = addr[1]
        self.counted = counted
        self.nick = None
        self.joined = False
        # output
        self.out_lock = threading.Lock()
        self.backlog = bytearray()
        self.last_write = 0.0
        self.dead = False          # a write failed or the backlog overflowed
        self.finishing = False     # no more output will be added: drain, then close
        self.cut_at = None         # monotonic time after which we stop waiting
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.deadline = None       # registration deadline
        self.thread = threading.Thread(target=self.run, daemon=True)

    # ---------------------------------------------------------- output

    def wake(self):
        # under out_lock, so that we never write to a descriptor that close()
        # has released (its number could already belong to another socket)
        with self.out_lock:
            if self.wake_w is None:
                return
            try:
                os.write(self.wake_w, b"x")
            except OSError:
                pass

    def send(self, text):
        """Queue text for this connection without ever blocking the caller."""
        data = text.encode("utf-8")
        with self.out_lock:
            if self.dead or self.finishing:
                return
            self.backlog += data
            now = time.monotonic()
            quiet = now - self.last_write >= ROOM.cfg["flush-interval-ms"] / 1000.0
            if quiet or len(self.backlog) >= BURST_BYTES:
                self._write_some_locked(now)
            if not self.dead and len(self.backlog) > ROOM.cfg["max-queued-bytes"]:
                self.dead = True
                self.backlog = bytearray()
        self.wake()

    def _write_some_locked(self, now):
        if not self.backlog or self.dead:
            return
        try:
            n = self.sock.send(self.backlog, socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.dead = True
            self.backlog = bytearray()
            return
        del self.backlog[:n]
        self.last_write = now

    def flush_due(self, now):
        """Seconds until the backlog should be written (0: now), None if empty."""
        with self.out_lock:
            if not self.backlog or self.dead:
                return None
            if self.finishing or len(self.backlog) >= BURST_BYTES:
                return 0.0
            wait = self.last_write + ROOM.cfg["flush-interval-ms"] / 1000.0 - now
            return max(0.0, wait)

    def finish_with(self, text):
        """Send a last line, then close once it is out (refusals, shutdown)."""
        data = text.encode("utf-8")
        with self.out_lock:
            if not self.dead and not self.finishing:
                self.backlog += data
                self._write_some_locked(time.monotonic())
            self.finishing = True
        self.wake()

    # ---------------------------------------------------------- the thread

    def run(self):
        try:
            self.serve()
        except Exception as exc:  # never let one client take the server down
            sys.stderr.write("connection %s:%s: %r\n" % (self.addr, self.port, exc))
        finally:
            self.close()

    def serve(self):
        cfg = ROOM.cfg
        reader = LineReader(cfg["max-line-bytes"])
        self.deadline = time.monotonic() + cfg["registration-timeout-ms"] / 1000.0
        half_closed_by_us = False
        while True:
            now = time.monotonic()
            if self.dead:
                return
            if self.finishing:
                due = self.flush_due(now)
                if due is None and not half_closed_by_us:
                    # all our output is out: close our sending side and wait
                    # for the peer to close, so the last line is not lost
                    try:
                        self.sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        return
                    half_closed_by_us = True
                if self.cut_at is None:
                    self.cut_at = now + cfg["shutdown-timeout-ms"] / 1000.0
                if now >= self.cut_at:
                    return
            # work out how long to sleep
            timeouts = []
            due = self.flush_due(now)
            if due is not None and due > 0:
                timeouts.append(due)   # due == 0: wait for the socket to be writable
            if not self.joined and not self.finishing and self.deadline is not None:
                timeouts.append(max(0.0, self.deadline - now))
            if self.finishing:
                timeouts.append(max(0.0, self.cut_at - now))
            timeout = min(timeouts) if timeouts else None
            want_write = due is not None and due == 0.0
            try:
                r = wait_for(self.sock, self.wake_r, want_write, timeout)
            except OSError:
                return
            if self.wake_r in r:
                try:
                    while os.read(self.wake_r, 4096):
                        pass
                except (BlockingIOError, OSError):
                    pass
            now = time.monotonic()
            if self.flush_due(now) == 0.0:
                with self.out_lock:
                    self._write_some_locked(now)
            if self.sock in r:
                try:
                    data = self.sock.recv(65536)
                except (ConnectionResetError, BrokenPipeError, TimeoutError, OSError):
                    data = None  # a reset: a leave like any other
                if self.finishing:
                    if not data:
                        return  # the peer closed after our last line
                    continue    # input after a refusal or shutdown is ignored
                if data:
                    for line in reader.feed(data):
                        self.handle_line(line)
                        if self.finishing or self.dead:
                            break
                else:
                    if data is not None:
                        # a clean end: a last line without \n still counts
                        for line in reader.pending():
                            self.handle_line(line)
                            if self.finishing or self.dead:
                                break
                    return
            # registration timeout
            if (not self.joined and not self.finishing and
                    time.monotonic() >= self.deadline):
                self.refuse(">>> No nickname received within %s. Closing connection."
                            % seconds_text(cfg["registration-timeout-ms"]))

    # ---------------------------------------------------------- protocol

    def refuse(self, line):
        with ROOM.lock:
            self.uncount_locked()
        self.finish_with(line + "\n")

    def uncount_locked(self):
        if self in ROOM.counted:
            ROOM.counted.discard(self)

    def handle_line(self, line):
        cfg = ROOM.cfg
        if not self.joined:
            if line is None:
                self.refuse(">>> Nickname is longer than %d characters. Closing connection."
                            % cfg["max-nick-chars"])
                return
            nick = trim(decode(line))
            if nick == "":
                self.refuse(">>> Nickname must not be blank. Closing connection.")
            elif any(is_control(ch) for ch in nick):
                self.refuse(">>> Nickname must not contain control characters. "
                            "Closing connection.")
            elif len(nick) > cfg["max-nick-chars"]:
                self.refuse(">>> Nickname is longer than %d characters. Closing connection."
                            % cfg["max-nick-chars"])
            else:
                self.join(nick)
            return
        if line is None:
            self.send(">>> Your line was not sent: it is longer than %d bytes.\n"
                      % cfg["max-line-bytes"])
            return
        text = decode(line)
        if is_blank(text):
            return
        self.relay(neutralise(text))

    def join(self, nick):
        with ROOM.lock:
            if ROOM.shutting_down:
                return
            self.nick = nick
            self.joined = True
            ROOM.members.append(self)
            count = len(ROOM.members)
            self.send(">>> You have joined the chatroom now.\n\n")
            notice = "%s(%d) has joined the chatroom!!\nNow participants: %d\n\n" % (
                nick, self.port, count)
            for other in ROOM.members:
                if other is not self:
                    other.send(notice)
            ROOM.say("%s(%d) has joined the chatroom!!" % (nick, self.port),
                     "Now participants: %d" % count,
                     ">>> Message successfully propagated.",
                     "")

    def relay(self, text):
        with ROOM.lock:
            if ROOM.shutting_down or not self.joined:
                return
            line = "%s(%d): %s\n" % (self.nick, self.port, text)
            for other in ROOM.members:
                if other is not self:
                    other.send(line)
            ROOM.say("chat received from %s(%s:%d)" % (self.nick, self.addr, self.port),
                     ">>> Message successfully propagated.",
                     "")

    def leave_locked(self):
        """Called with ROOM.lock held, once, when a joined client goes."""
        if not self.joined:
            return
        self.joined = False
        if self in ROOM.members:
            ROOM.members.remove(self)
        if ROOM.shutting_down:
            return  # no leaves are announced while the server closes
        notice = 'User "%s" left chatroom.\n' % self.nick
        for other in ROOM.members:
            other.send(notice)
        ROOM.say('User "%s" left chatroom.' % self.nick,
                 ">>> Message successfully propagated.",
                 "",
                 "Now participants: %d" % len(ROOM.members))

    def close(self):
        with ROOM.lock:
            self.leave_locked()
            self.uncount_locked()
        with self.out_lock:
            cut = self.dead or bool(self.backlog)
            self.dead = True
            self.backlog = bytearray()
        try:
            if cut:
                # output we could not deliver: reset rather than linger
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        with self.out_lock:
            fds, self.wake_r, self.wake_w = (self.wake_r, self.wake_w), None, None
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        with ROOM.lock:
            ROOM.open.discard(self)
            ROOM.all_closed.notify_all()


# ---------------------------------------------------------------- listening

def open_listeners(host, port):
    """Listen on every address of host, on one port (port 0: any free one)."""
    if host == "localhost":
        candidates = [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
    else:
        infos = socket.getaddrinfo(host, None, socket.AF_UNSPEC, socket.SOCK_STREAM)
        candidates = []
        for family, _, _, _, sockaddr in infos:
            if (family, sockaddr[0]) not in candidates:
                candidates.append((family, sockaddr[0]))
    listeners = []
    first_error = None
    for family, address in candidates:
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            first_error = first_error or exc
            continue
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((address, port))
            s.listen(511)
        except OSError as exc:
            s.close()
            if not listeners:
                # the first address (IPv4 for localhost) must work
                raise
            # a second address family that fails is not fatal: one is enough
            continue
        listeners.append(s)
        if port == 0:
            port = s.getsockname()[1]  # the others take the same port
    if not listeners:
        raise first_error or OSError(errno.EADDRNOTAVAIL, "address not available")
    return listeners, port


def main():
    global ROOM
    cfg = parse_args(sys.argv[1:])
    ROOM = Room(cfg)
    # one thread and three descriptors (socket, wake pipe) per connection:
    # make room for --max-clients of them where the system allows it
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 3 * cfg["max-clients"] + 64
        if soft != resource.RLIM_INFINITY and soft < want:
            new_soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    except (ImportError, ValueError, OSError):
        pass
    try:
        threading.stack_size(256 * 1024)
    except (ValueError, RuntimeError):
        pass

    # signals: a self-pipe wakes the accept loop
    sig_r, sig_w = os.pipe()
    os.set_blocking(sig_r, False)
    os.set_blocking(sig_w, False)
    stop = {"signal": None}

    def on_signal(signum, frame):
        stop["signal"] = signum
        try:
            os.write(sig_w, b"s")
        except OSError:
            pass

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    except (AttributeError, ValueError):
        pass

    try:
        listeners, port = open_listeners(cfg["host"], cfg["port"])
    except OSError as exc:
        sys.stderr.write("cannot listen on %s:%d: %s\n"
                         % (cfg["host"], cfg["port"], plain_reason(exc)))
        sys.stderr.flush()
        sys.exit(1)

    with ROOM.lock:
        ROOM.say(">>> Server is up on PORT:%d" % port, ">>> Waiting for clients...")

    while stop["signal"] is None:
        poller = select.poll()
        for fd in [lst.fileno() for lst in listeners] + [sig_r]:
            poller.register(fd, select.POLLIN)
        try:
            ready = [fd for fd, _ in poller.poll()]
        except InterruptedError:
            continue
        if sig_r in ready:
            break
        for lst in listeners:
            if lst.fileno() not in ready:
                continue
            try:
                sock, addr = lst.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    time.sleep(0.05)  # out of descriptors: try again later
                continue
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            with ROOM.lock:
                ROOM.say(">>> Waiting for clients...")
                full = len(ROOM.counted) >= cfg["max-clients"]
                try:
                    conn = Connection(sock, addr, counted=not full)
                except OSError:
                    sock.close()
                    continue
                ROOM.open.add(conn)
                if not full:
                    ROOM.counted.add(conn)
            if full:
                conn.finish_with(">>> The chatroom is full (%d clients). Try again later.\n"
                                 % cfg["max-clients"])
            conn.thread.start()

    # ---- shutdown (section 9)
    for lst in listeners:
        try:
            lst.close()
        except OSError:
            pass
    with ROOM.lock:
        ROOM.shutting_down = True
        ROOM.say(">>> Server is shutting down...")
        everyone = list(ROOM.open)
    give_up = time.monotonic() + cfg["shutdown-timeout-ms"] / 1000.0
    for conn in everyone:
        conn.cut_at = give_up
        conn.finish_with(">>> The server is shutting down.\n")
    with ROOM.lock:
        while ROOM.open:
            left = give_up + 1.0 - time.monotonic()
            if left <= 0:
                break
            ROOM.all_closed.wait(left)
        ROOM.say(">>> Server closed.")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
