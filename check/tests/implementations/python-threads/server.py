#!/usr/bin/env python3
"""dummy-chat server, written from PROTOCOL.md alone.

Design: one thread per connection (socket + threading). Each connection
thread is the only one that reads its socket. Writing to a socket is done by
whichever thread has something to say, without ever blocking: bytes the
kernel will not take yet are kept in that connection's backlog, which its own
thread drains when poll() says the socket is writable. All shared state
(the room, the set of connections) is guarded by one lock, ROOM.lock; each
connection's backlog by its own lock. The console has a thread of its own,
fed from a bounded queue, so that a console nobody reads never holds up the
room (section 8).

Flood control (section 4): lines a member sent wait in its connection's
`pending` queue until its input budget (two token buckets) holds their cost;
while any wait, that connection's thread does not read its socket, so TCP
slows the flooder, and only it, down.
"""
import collections
import errno
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import unicodedata

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
    "burst-lines": 20,
    "rate-lines": 10,
    "burst-bytes": 65536,
    "rate-bytes": 16384,
    "stall-timeout-ms": 20000,
    "keepalive-ms": 30000,
    "idle-line-ms": 0,   # accepted, not implemented: a partial line never ends by itself
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
    "burst-lines": 1,
    "rate-lines": 0,       # 0: no limit on lines
    "burst-bytes": 1,
    "rate-bytes": 0,       # 0: no limit on bytes
    "stall-timeout-ms": 1000,
    "keepalive-ms": 1000,
    "idle-line-ms": 0,
}
MAXIMUM = {"port": 65535}

BURST_BYTES = 64 * 1024  # a backlog this big is written at once
REFUSAL_LINGER = 1.0     # seconds a refused connection may stay open (section 3)
MAX_LINGERING = 64       # refused connections allowed to linger at once
CONSOLE_BUFFER_BYTES = 64 * 1024


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

# White space as PROTOCOL.md defines it (JavaScript's trim): space, tab, the
# line ends \n \v \f \r, and the Unicode spaces.
WHITE = ("\t\n\v\f\r \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
         + "\u2028\u2029\u202f\u205f\u3000\ufeff")


def trim(text):
    return text.strip(WHITE)


def is_blank(text):
    return trim(text) == ""


def is_control(ch):
    c = ord(ch)
    return c < 0x20 or c == 0x7F or 0x80 <= c <= 0x9F


# Characters that turn text around, break a line or hide (section 7): shown
# as <U+XXXX>. The zero-width non-joiner and joiner (U+200C, U+200D) pass.
SHOWN_AS_CODE = frozenset(
    [0x061C, 0x180E, 0x200B, 0x200E, 0x200F, 0xFEFF]
    + list(range(0x2028, 0x202F))      # U+2028, U+2029, U+202A-U+202E
    + list(range(0x2060, 0x2065))
    + list(range(0x2066, 0x206A))
)


def neutralise(text):
    """Section 7: caret notation for C0 and DEL, a tab as a space, C1 as U+FFFD,
    bidi controls, separators and invisible characters as <U+XXXX>."""
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
        elif c in SHOWN_AS_CODE:
            out.append("<U+%04X>" % c)
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- nicknames

# Writing systems that mix scripts by nature (section 3).
SCRIPT_MIXES = (
    frozenset(["CJK", "HIRAGANA", "KATAKANA"]),   # Japanese
    frozenset(["CJK", "HANGUL"]),                 # Korean
    frozenset(["CJK", "BOPOMOFO"]),
)
# Unicode names whose first word is not the script's
SCRIPT_ALIASES = {"KATAKANA-HIRAGANA": "KATAKANA", "IDEOGRAPHIC": "CJK"}


def nick_char_allowed(ch):
    """Letters (L), their marks (M), decimal digits (Nd), "_", "-" and "."."""
    category = unicodedata.category(ch)
    return category[0] in "LM" or category == "Nd" or ch in "_-."


def script_of(letter):
    """The script of a letter. Python has no Script property: the first word
    of the character's name serves (LATIN, CYRILLIC, GREEK, HANGUL, CJK...)."""
    words = unicodedata.name(letter, "UNKNOWN").split()
    if words[0] in ("FULLWIDTH", "HALFWIDTH") and len(words) > 1:
        words = words[1:]
    return SCRIPT_ALIASES.get(words[0], words[0])


def one_script(nick):
    scripts = {script_of(ch) for ch in nick if unicodedata.category(ch)[0] == "L"}
    return len(scripts) <= 1 or any(scripts <= mix for mix in SCRIPT_MIXES)


def nickname_refusal(nick, max_chars):
    """The refusal line for a trimmed, normalised nickname, or None if it may
    join (whether it is taken is asked of the room, at joining)."""
    if nick == "":
        return ">>> Nickname must not be blank. Closing connection."
    if any(is_control(ch) for ch in nick):
        return ">>> Nickname must not contain control characters. Closing connection."
    if not all(nick_char_allowed(ch) for ch in nick):
        return ('>>> Nickname may hold only letters, digits, "_", "-" and ".". '
                'Closing connection.')
    if len(nick) > max_chars:
        return ">>> Nickname is longer than %d characters. Closing connection." % max_chars
    if not one_script(nick):
        return ">>> Nickname must be written in one script. Closing connection."
    return None


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

    feed() returns a list of (line, cost) items: line is the bytes of a
    complete line (its \\r\\n removed), or None for a line that was longer
    than the limit; cost is how many bytes it took on the wire, \\n included
    (what the input budget charges)."""

    def __init__(self, limit):
        self.limit = limit
        self.buf = bytearray()
        self.too_long = False
        self.size = 0          # bytes of the unfinished line, dropped ones too

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
            cost = self.size + len(piece) + 1
            if self.too_long:
                lines.append((None, cost))
            else:
                self.buf += piece
                line = bytes(self.buf)
                if line.endswith(b"\r"):
                    line = line[:-1]
                lines.append((None if len(line) > self.limit else line, cost))
            self.buf = bytearray()
            self.too_long = False
            self.size = 0

    def _keep(self, rest):
        self.size += len(rest)
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
        cost, self.size = self.size, 0
        if self.too_long:
            self.too_long = False
            return [(None, cost)]
        if self.buf:
            line = bytes(self.buf)
            self.buf = bytearray()
            return [(line, cost)]
        return []

    def holds_partial(self):
        return bool(self.buf) or self.too_long


def wait_for(sock, wake_fd, want_read, want_write, timeout):
    """poll() (not select(), which fails for descriptors past 1023) on a
    socket and a wake-up pipe. Returns (readable, writable, woken). A socket
    in error or hung up counts as ready for what was asked of it (the next
    recv() or send() finds out); one asked nothing is not watched at all."""
    poller = select.poll()
    sock_events = ((select.POLLIN if want_read else 0) |
                   (select.POLLOUT if want_write else 0))
    if sock_events:
        poller.register(sock.fileno(), sock_events)
    poller.register(wake_fd, select.POLLIN)
    ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
    readable = writable = woken = False
    trouble = select.POLLHUP | select.POLLERR | select.POLLNVAL
    for fd, events in poller.poll(ms):
        if fd == wake_fd:
            woken = True
            continue
        readable = want_read and bool(events & (select.POLLIN | trouble))
        writable = want_write and bool(events & (select.POLLOUT | trouble))
    return readable, writable, woken


def decode(line):
    return line.decode("utf-8", "replace")


# ---------------------------------------------------------------- the console

class Console:
    """Standard output, written by a thread of its own from a queue of at most
    CONSOLE_BUFFER_BYTES (section 8). say() never blocks: while the queue is
    full (a terminal paused with Ctrl-S, a pipe nobody reads), lines are
    dropped and counted, and the count is printed where they were dropped
    once the console moves again."""

    def __init__(self, fd):
        self.fd = fd
        self.cond = threading.Condition()
        self.queue = collections.deque()  # bytes, or an int: lines dropped there
        self.size = 0                     # bytes queued or being written
        self.writing = False
        threading.Thread(target=self.run, daemon=True).start()

    def say(self, *lines):
        data = "".join(line + "\n" for line in lines).encode("utf-8", "replace")
        with self.cond:
            if self.size + len(data) > CONSOLE_BUFFER_BYTES:
                if self.queue and isinstance(self.queue[-1], int):
                    self.queue[-1] += len(lines)
                else:
                    self.queue.append(len(lines))
            else:
                self.queue.append(data)
                self.size += len(data)
            self.cond.notify()

    def run(self):
        while True:
            with self.cond:
                while not self.queue:
                    self.cond.wait()
                batch = []
                while self.queue:
                    item = self.queue.popleft()
                    if isinstance(item, int):
                        item = (">>> %d console lines dropped (the console was not "
                                "being read)\n" % item).encode()
                        self.size += len(item)
                    batch.append(item)
                self.writing = True
            data = b"".join(batch)
            self.write_all(data)   # may block for as long as nobody reads
            with self.cond:
                self.size -= len(data)
                self.writing = False
                self.cond.notify_all()

    def write_all(self, data):
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except InterruptedError:
                continue
            except BlockingIOError:
                select.select([], [self.fd], [])
                continue
            except OSError:
                return  # a console that went away does not stop the room
            view = view[n:]

    def drain(self, timeout):
        """Waits (at most timeout seconds) until everything said is written."""
        give_up = time.monotonic() + timeout
        with self.cond:
            while self.queue or self.writing:
                left = give_up - time.monotonic()
                if left <= 0:
                    return
                self.cond.wait(left)


# ---------------------------------------------------------------- flood control

class TokenBucket:
    """burst tokens at once, refilled at rate a second; rate 0: no limit.
    A cost larger than the burst waits for a full bucket and leaves it in
    debt, so the rate holds for it too."""

    def __init__(self, burst, rate):
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def _refill(self, now):
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, cost, now):
        """Seconds until cost can be spent (0: now)."""
        if not self.rate:
            return 0.0
        self._refill(now)
        missing = min(cost, self.burst) - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate

    def spend(self, cost, now):
        if self.rate:
            self._refill(now)
            self.tokens -= cost


class InputBudget:
    """A member's input budget (section 4): a bucket of lines and one of bytes."""

    def __init__(self, cfg):
        self.lines = TokenBucket(cfg["burst-lines"], cfg["rate-lines"])
        self.bytes = TokenBucket(cfg["burst-bytes"], cfg["rate-bytes"])

    def wait(self, cost, now):
        return max(self.lines.wait(1, now), self.bytes.wait(cost, now))

    def spend(self, cost, now):
        self.lines.spend(1, now)
        self.bytes.spend(cost, now)


# ---------------------------------------------------------------- the room

class Room:
    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.Lock()
        self.members = []          # joined connections, in join order
        self.nicks = {}            # lower-cased nickname -> joined connection
        self.counted = set()       # connections counted against --max-clients
        self.open = set()          # every connection not yet closed
        self.lingering = 0         # refused connections waiting for their peer
        self.shutting_down = False
        self.all_closed = threading.Condition(self.lock)
        self.console = Console(sys.stdout.fileno())

    def say(self, *lines):
        """Print on the console; never blocks (see Console)."""
        self.console.say(*lines)


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
        # input
        self.pending = collections.deque()  # (line, cost) read, not yet handled
        self.budget = None         # the input budget, from the join on
        # output
        self.out_lock = threading.Lock()
        self.backlog = bytearray()
        self.last_write = 0.0
        self.moved_at = 0.0        # when the backlog last shrank or stopped being empty
        self.dead = False          # a write failed, the backlog overflowed or stalled
        self.finishing = False     # no more output will be added: drain, then close
        self.linger = True         # after a last line, wait (until cut_at) for the peer
        self.lingering = False     # counted in ROOM.lingering
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
            now = time.monotonic()
            if not self.backlog:
                self.moved_at = now
            self.backlog += data
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
        self.moved_at = now

    def flush_due(self, now):
        """Seconds until the backlog should be written (0: now), None if empty."""
        with self.out_lock:
            if not self.backlog or self.dead:
                return None
            if self.finishing or len(self.backlog) >= BURST_BYTES:
                return 0.0
            wait = self.last_write + ROOM.cfg["flush-interval-ms"] / 1000.0 - now
            return max(0.0, wait)

    def stall_due(self, now):
        """Seconds until the backlog, not moving, counts as stalled (section 5);
        None if there is none."""
        with self.out_lock:
            if not self.backlog or self.dead:
                return None
            return self.moved_at + ROOM.cfg["stall-timeout-ms"] / 1000.0 - now

    def finish_with(self, text, cut_at):
        """Send a last line, then close once it is out (refusals, shutdown),
        waiting for the peer to close until cut_at at the latest."""
        data = text.encode("utf-8")
        with self.out_lock:
            if not self.dead and not self.finishing:
                now = time.monotonic()
                if not self.backlog:
                    self.moved_at = now
                self.backlog += data
                self._write_some_locked(now)
            if self.cut_at is None or cut_at < self.cut_at:
                self.cut_at = cut_at
            self.finishing = True   # after cut_at: the thread reads them unlocked
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
        ended = False              # the peer sent FIN: nothing more will come
        half_closed_by_us = False
        while True:
            if self.dead:
                return
            now = time.monotonic()
            next_line_in = self.handle_pending(now)
            if ended and not self.pending and not self.finishing:
                return             # a leave, after the last line was relayed
            # registration timeout
            if not self.joined and not self.finishing and now >= self.deadline:
                self.refuse(self.timeout_line(reader.holds_partial()))
            if self.finishing:
                if self.flush_due(now) is None and not half_closed_by_us:
                    # all our output is out: close our sending side and wait
                    # for the peer to close, so the last line is not lost
                    try:
                        self.sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        return
                    half_closed_by_us = True
                    if not self.linger:
                        return
                if now >= self.cut_at:
                    return
            # output that has not moved for --stall-timeout-ms: the peer is gone
            stall_in = self.stall_due(now)
            if stall_in is not None and stall_in <= 0 and not self.finishing:
                with self.out_lock:
                    self.dead = True
                return
            # work out how long to sleep
            timeouts = []
            due = self.flush_due(now)
            if due is not None and due > 0:
                timeouts.append(due)   # due == 0: wait for the socket to be writable
            if next_line_in is not None:
                timeouts.append(next_line_in)
            if stall_in is not None and not self.finishing:
                timeouts.append(stall_in)
            if not self.joined and not self.finishing:
                timeouts.append(max(0.0, self.deadline - now))
            if self.finishing:
                timeouts.append(max(0.0, self.cut_at - now))
            timeout = min(timeouts) if timeouts else None
            # while lines wait for the input budget, the socket is not read
            want_read = not ended and not self.pending
            want_write = due == 0.0
            try:
                readable, writable, woken = wait_for(
                    self.sock, self.wake_r, want_read, want_write, timeout)
            except OSError:
                return
            if woken:
                try:
                    while os.read(self.wake_r, 4096):
                        pass
                except (BlockingIOError, OSError):
                    pass
            now = time.monotonic()
            if self.flush_due(now) == 0.0:
                with self.out_lock:
                    self._write_some_locked(now)
            if readable:
                try:
                    data = self.sock.recv(65536)
                except (ConnectionResetError, BrokenPipeError, TimeoutError, OSError):
                    return  # a reset: a leave like any other
                if self.finishing:
                    if not data:
                        return  # the peer closed after our last line
                    continue    # input after a refusal or shutdown is ignored
                if data:
                    self.pending.extend(reader.feed(data))
                else:
                    # a clean end: a last line without \n still counts
                    self.pending.extend(reader.pending())
                    ended = True

    def handle_pending(self, now):
        """Handles the lines already read, as far as the input budget allows
        (the nickname line costs nothing). Returns the seconds until the next
        line may go, or None when no line waits."""
        while self.pending:
            if self.finishing or self.dead:
                self.pending.clear()  # after a refusal or at shutdown
                return None
            line, cost = self.pending[0]
            if self.joined:
                wait = self.budget.wait(cost, now)
                if wait > 0:
                    return wait
                self.budget.spend(cost, now)
            self.pending.popleft()
            self.handle_line(line)
        return None

    # ---------------------------------------------------------- protocol

    def timeout_line(self, bytes_came):
        seconds = seconds_text(ROOM.cfg["registration-timeout-ms"])
        if bytes_came:
            return ('>>> No nickname line ended within %s: bytes arrived, but no "\\n". '
                    'Closing connection.' % seconds)
        return ">>> No nickname received within %s. Closing connection." % seconds

    def refuse(self, line):
        """One line, then the connection closed (section 3): its slot is free
        at once, and the peer has REFUSAL_LINGER seconds to close first."""
        with ROOM.lock:
            self.uncount_locked()
            self.linger_locked()
        self.finish_with(line + "\n", time.monotonic() + REFUSAL_LINGER)

    def linger_locked(self):
        """Lets this refused connection wait for its peer to close, unless
        MAX_LINGERING others already do: then it is closed once its line is out."""
        if self.lingering:
            return
        if ROOM.lingering < MAX_LINGERING:
            ROOM.lingering += 1
            self.lingering = True
        else:
            self.linger = False

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
            nick = unicodedata.normalize("NFC", trim(decode(line)))
            refusal = nickname_refusal(nick, cfg["max-nick-chars"])
            if refusal:
                self.refuse(refusal)
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
            if nick.lower() in ROOM.nicks:
                taken = True
            else:
                taken = False
                self.nick = nick
                self.joined = True
                self.budget = InputBudget(ROOM.cfg)
                ROOM.members.append(self)
                ROOM.nicks[nick.lower()] = self
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
        if taken:
            self.refuse('>>> Nickname "%s" is taken. Closing connection.' % nick)

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
        if ROOM.nicks.get(self.nick.lower()) is self:
            del ROOM.nicks[self.nick.lower()]
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
            if self.lingering:
                self.lingering = False
                ROOM.lingering -= 1
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


def set_socket_options(sock, cfg):
    """No Nagle delay; TCP keepalive after --keepalive-ms of silence (section 5)."""
    idle = max(1, cfg["keepalive-ms"] // 1000)
    options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
               (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    for name, value in (("TCP_KEEPIDLE", idle), ("TCP_KEEPINTVL", max(1, idle // 3)),
                        ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):  # Linux names; other systems keep their defaults
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    for level, name, value in options:
        try:
            sock.setsockopt(level, name, value)
        except OSError:
            pass


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
            set_socket_options(sock, cfg)
            with ROOM.lock:
                ROOM.say(">>> Waiting for clients...")
                full = len(ROOM.counted) >= cfg["max-clients"]
                try:
                    conn = Connection(sock, addr, counted=not full)
                except OSError:
                    sock.close()
                    continue
                ROOM.open.add(conn)
                if full:
                    conn.linger_locked()
                else:
                    ROOM.counted.add(conn)
            if full:
                conn.finish_with(">>> The chatroom is full (%d clients). Try again later.\n"
                                 % cfg["max-clients"], time.monotonic() + REFUSAL_LINGER)
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
        conn.finish_with(">>> The server is shutting down.\n", give_up)
    with ROOM.lock:
        while ROOM.open:
            left = give_up + 1.0 - time.monotonic()
            if left <= 0:
                break
            ROOM.all_closed.wait(left)
        ROOM.say(">>> Server closed.")
    ROOM.console.drain(1.0)  # a console nobody reads does not keep us either
    os._exit(0)


if __name__ == "__main__":
    main()
