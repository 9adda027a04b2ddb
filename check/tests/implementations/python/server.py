#!/usr/bin/python3
"""A dummy-chat server, written from PROTOCOL.md alone.

Structure (top to bottom):
  - text helpers: white space, control characters, caret notation, characters
    shown as <U+XXXX> (sections 3, 4, 7);
  - nickname rules: characters, one script (section 3);
  - Console: the console lines, written by a thread of their own from a
    bounded queue, so that a console nobody reads never holds up the room
    (section 8);
  - LineDecoder: turns the byte stream of one connection into lines (sections 2, 10);
  - TokenBucket, InputBudget: flood control (section 4);
  - Connection: one asyncio.Protocol per TCP connection (states: registering,
    joined, closing, gone); it paces the lines it read through its budget and
    watches its queued output for a stall (sections 4, 5);
  - ChatServer: the room: registration, relay, leaving, console lines, limits,
    shutdown (sections 3-10);
  - command line, listening and the main function (sections 1, 12).

Python 3 standard library only.
"""

import argparse
import asyncio
import collections
import os
import signal
import socket
import sys
import threading
import time
import unicodedata

VERSION = "dummy-chat python-asyncio server 2.0"

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
    for code in SHOWN_AS_CODE:
        table[code] = f"<U+{code:04X}>"
    return table


# Characters that turn text around, break a line or hide (section 7): the
# bidi controls, the line and paragraph separators, invisible characters.
# The zero-width non-joiner and joiner (U+200C, U+200D) are not among them.
SHOWN_AS_CODE = (
    [0x061C, 0x200E, 0x200F]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
    + [0x2028, 0x2029]
    + [0x180E, 0x200B]
    + list(range(0x2060, 0x2065))
    + [0xFEFF]
)

NEUTRALISE = _neutralise_table()


def neutralise(text):
    """Replace the characters a terminal would obey, or that hide (section 7)."""
    return text.translate(NEUTRALISE)


def format_seconds(ms):
    """20000 -> '20 seconds', 1500 -> '1.5 seconds', 1000 -> '1 second'."""
    whole, rest = divmod(ms, 1000)
    number = str(whole) if rest == 0 else f"{whole}.{rest:03d}".rstrip("0")
    unit = "second" if ms == 1000 else "seconds"
    return f"{number} {unit}"


# --------------------------------------------------------------------------
# Nickname rules (section 3)
# --------------------------------------------------------------------------

NICK_PUNCTUATION = "_-."

# Writing systems that mix scripts by nature: Japanese, Korean, Chinese
# with Bopomofo.  Any set of scripts inside one of these is "one script".
MIXED_WRITING_SYSTEMS = (
    {"CJK", "HIRAGANA", "KATAKANA"},
    {"CJK", "HANGUL"},
    {"CJK", "BOPOMOFO"},
)

# Python has no script property: the first word of a character's name stands
# in for it (LATIN, CYRILLIC, GREEK, HANGUL, HIRAGANA, KATAKANA, CJK for Han).
# A few names start otherwise: the iteration mark 々 is Han, and a few letters
# belong to the Common script and go with any (None): the prolonged sound
# mark ー, the vertical kana repeat marks, modifier letters.
SCRIPT_ALIASES = {
    "IDEOGRAPHIC": "CJK",
    "KATAKANA-HIRAGANA": None,
    "VERTICAL": None,
    "MODIFIER": None,
}
WIDTH_PREFIXES = ("HALFWIDTH", "FULLWIDTH")


def script_of(letter):
    """The letter's script, or None for a letter that goes with any."""
    words = unicodedata.name(letter, "UNKNOWN").split(" ")
    if words[0] in WIDTH_PREFIXES and len(words) > 1:
        words = words[1:]  # HALFWIDTH KATAKANA LETTER A is Katakana
    return SCRIPT_ALIASES.get(words[0], words[0])


def is_nick_character(ch):
    category = unicodedata.category(ch)
    return category[0] in "LM" or category == "Nd" or ch in NICK_PUNCTUATION


def one_script(nick):
    scripts = {script_of(ch) for ch in nick if unicodedata.category(ch)[0] == "L"}
    scripts.discard(None)
    if len(scripts) <= 1:
        return True
    return any(scripts <= system for system in MIXED_WRITING_SYSTEMS)


def nickname_refusal(nick, max_chars):
    """The refusal line for a trimmed, normalised nickname, or None if it is fine.

    The rules are tested in the order of section 3 (a taken nickname is the
    room's business, see ChatServer.register)."""
    if not nick:
        return ">>> Nickname must not be blank. Closing connection.\n"
    if any(is_control(ch) for ch in nick):
        return ">>> Nickname must not contain control characters. Closing connection.\n"
    if not all(is_nick_character(ch) for ch in nick):
        return (
            '>>> Nickname may hold only letters, digits, "_", "-" and ".". '
            "Closing connection.\n"
        )
    if len(nick) > max_chars:
        return f">>> Nickname is longer than {max_chars} characters. Closing connection.\n"
    if not one_script(nick):
        return ">>> Nickname must be written in one script. Closing connection.\n"
    return None


# --------------------------------------------------------------------------
# The console (section 8)
# --------------------------------------------------------------------------

CONSOLE_BUFFER_BYTES = 64 * 1024


class Console:
    """Console lines, written to standard output by a thread of their own.

    The room only appends to a queue of at most CONSOLE_BUFFER_BYTES; while it
    is full (a terminal paused with Ctrl-S, a pipe nobody reads), lines are
    dropped and counted, and the count is printed once the console moves
    again.  The thread writes with os.write, so a blocked write holds no lock
    that the rest of the program needs.
    """

    def __init__(self, fd, limit=CONSOLE_BUFFER_BYTES):
        self.fd = fd
        self.limit = limit
        self.queue = collections.deque()
        self.size = 0  # bytes queued or being written
        self.dropped = 0
        self.changed = threading.Condition()
        threading.Thread(target=self._write_forever, name="console", daemon=True).start()

    def print(self, line=""):
        data = (line + "\n").encode("utf-8", errors="replace")
        with self.changed:
            if self.size + len(data) > self.limit:
                self.dropped += 1
                return
            self._note_dropped()
            self._append(data)

    def _append(self, data):
        self.queue.append(data)
        self.size += len(data)
        self.changed.notify_all()

    def _note_dropped(self):
        if self.dropped:
            note = f">>> {self.dropped} console lines dropped (the console was not being read)\n"
            self.dropped = 0
            self._append(note.encode("utf-8"))

    def _write_forever(self):
        while True:
            with self.changed:
                while not self.queue:
                    self.changed.wait()
                data = b"".join(self.queue)
                self.queue.clear()
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self.fd, view):]
            except OSError:
                pass  # the console is gone: the room goes on without it
            with self.changed:
                self.size -= len(data)
                if not self.queue:
                    self._note_dropped()
                self.changed.notify_all()

    def flush(self, timeout):
        """Wait, at most timeout seconds, until every queued line is written."""
        with self.changed:
            self.changed.wait_for(lambda: self.size == 0, timeout)


console = None  # the Console, once main() has made it


def log(line=""):
    """One line on the server's console (section 8)."""
    console.print(line)


# --------------------------------------------------------------------------
# Framing
# --------------------------------------------------------------------------

TOO_LONG = object()  # stands for a line longer than the line limit


class LineDecoder:
    """Splits bytes into lines ended by LF ("\\r\\n" works too).

    A line is decoded only once it is complete, so characters split between
    reads are fine; invalid UTF-8 becomes U+FFFD.  A line longer than
    max_bytes (not counting "\\r\\n") is reported as TOO_LONG once its "\\n"
    arrives, and its bytes are thrown away as they come: the buffer never
    holds more than max_bytes + 1 bytes.

    Each line comes with its size in bytes, "\\n" included but not a "\\r"
    before it: what it costs its sender's input budget (section 4).
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.discarding = False  # inside an over-long line, waiting for its "\n"
        self.discarded = 0  # bytes of that line thrown away so far
        self.discarded_cr = False  # whether the last of them was a "\r"

    def feed(self, data):
        """Return the lines completed by data, as (str or TOO_LONG, bytes) pairs."""
        lines = []
        start = 0
        while True:
            newline = data.find(b"\n", start)
            if newline < 0:
                break
            piece = data[start:newline]
            start = newline + 1
            if self.discarding:
                ends_with_cr = piece.endswith(b"\r") if piece else self.discarded_cr
                length = self.discarded + len(piece) - (1 if ends_with_cr else 0)
                lines.append((TOO_LONG, length + 1))
                self.discarding = False
                self.discarded = 0
                continue
            ends_with_cr = piece.endswith(b"\r") or (not piece and self.buffer.endswith(b"\r"))
            length = len(self.buffer) + len(piece) - (1 if ends_with_cr else 0)
            if length > self.max_bytes:
                self.buffer.clear()
                lines.append((TOO_LONG, length + 1))
                continue
            self.buffer += piece
            line = bytes(self.buffer)
            self.buffer.clear()
            if ends_with_cr:
                line = line[:-1]
            lines.append((line.decode("utf-8", errors="replace"), length + 1))

        rest = data[start:]
        if self.discarding:
            if rest:
                self.discarded += len(rest)
                self.discarded_cr = rest.endswith(b"\r")
        elif rest:
            self.buffer += rest
            size = len(self.buffer)
            # max_bytes + 1 bytes are allowed only if the last is a "\r" that
            # a "\n" may still follow.
            if size > self.max_bytes + 1 or (
                size == self.max_bytes + 1 and self.buffer[-1] != 0x0D
            ):
                self.discarded = size
                self.discarded_cr = self.buffer.endswith(b"\r")
                self.buffer.clear()
                self.discarding = True
        return lines

    def finish(self):
        """The connection ended: a last line without "\\n" still counts."""
        if self.discarding:
            self.discarding = False
            return [(TOO_LONG, self.discarded)]
        if not self.buffer:
            return []
        line = bytes(self.buffer)
        self.buffer.clear()
        if len(line) > self.max_bytes:
            return [(TOO_LONG, len(line))]
        return [(line.decode("utf-8", errors="replace"), len(line))]

    def holds_bytes(self):
        """Whether part of a line has arrived (its "\\n" not yet)."""
        return self.discarding or bool(self.buffer)


# --------------------------------------------------------------------------
# Flood control (section 4)
# --------------------------------------------------------------------------


class TokenBucket:
    """burst tokens at once, refilled at rate tokens a second; rate 0: no limit."""

    def __init__(self, burst, rate):
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def _refill(self, now):
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, cost, now):
        """Seconds until the bucket holds cost (0: it does now).  A cost above
        the burst waits for a full bucket (and spend() leaves it in debt)."""
        if self.rate == 0:
            return 0.0
        self._refill(now)
        missing = min(cost, self.burst) - self.tokens
        return 0.0 if missing <= 1e-9 else missing / self.rate

    def spend(self, cost):
        if self.rate != 0:
            self.tokens -= cost


class InputBudget:
    """A member's two token buckets: one of lines, one of bytes."""

    def __init__(self, limits):
        self.lines = TokenBucket(limits.burst_lines, limits.rate_lines)
        self.bytes = TokenBucket(limits.burst_bytes, limits.rate_bytes)

    def wait_for(self, size):
        now = time.monotonic()
        return max(self.lines.wait_for(1, now), self.bytes.wait_for(size, now))

    def spend(self, size):
        self.lines.spend(1)
        self.bytes.spend(size)


# --------------------------------------------------------------------------
# One connection
# --------------------------------------------------------------------------

REGISTERING, JOINED, CLOSING, GONE = "registering", "joined", "closing", "gone"

# After the server has said its last line (a refusal), it half-closes and
# waits this long for the client to close before cutting the connection
# (REFUSAL_LINGER_MS; closing at once, with unread input from the client,
# could make the kernel send a reset that destroys the refusal line on its
# way).  At most MAX_LINGERING refused connections wait at once; past that,
# the next ones are closed as soon as their line is written.
REFUSAL_LINGER_SECONDS = 1.0
MAX_LINGERING = 64


class Connection(asyncio.Protocol):
    def __init__(self, server):
        self.server = server
        self.state = REGISTERING
        self.transport = None
        self.address = "?"
        self.port = 0
        self.nick = None
        self.decoder = LineDecoder(server.limits.max_line_bytes)
        self.timer = None  # the registration timeout, or the linger after a refusal
        # Input: lines read but not handled yet, waiting for the input budget.
        self.budget = InputBudget(server.limits)
        self.pending = collections.deque()
        self.pacing = None  # a timer handle while the budget is short
        self.input_ended = False  # FIN, reset or cut: no more lines will come
        # Output: how much was written, to see whether the queued part moves.
        self.written = 0
        self.watchdog = None
        self.moved = 0
        self.last_moved = 0.0

    # ---- asyncio callbacks ----

    def connection_made(self, transport):
        self.transport = transport
        peer = transport.get_extra_info("peername") or ("?", 0)
        address = peer[0]
        if address.startswith("::ffff:") and "." in address:
            address = address[len("::ffff:"):]  # IPv4 on a dual-stack socket
        self.address, self.port = address, peer[1]
        set_keepalive(transport.get_extra_info("socket"), self.server.limits.keepalive_ms)
        self.server.accepted(self)

    def data_received(self, data):
        if self.state not in (REGISTERING, JOINED):
            return  # a closing connection's input is read and dropped
        self.pending.extend(self.decoder.feed(data))
        self.handle_pending()

    def eof_received(self):
        # A half-close ends the connection; a last unterminated line counts.
        self.end_input()
        return True  # keep the transport: handle_pending() closes it when done

    def connection_lost(self, exc):
        self.cancel_timer()
        self.stop_watchdog()
        self.end_input()
        self.server.forget(self)

    # ---- input: lines paced by the input budget (section 4) ----

    def end_input(self):
        if self.input_ended:
            return
        self.input_ended = True
        if self.state in (REGISTERING, JOINED):
            self.pending.extend(self.decoder.finish())
        self.handle_pending()

    def handle_pending(self):
        """Handle the lines read so far, as fast as the input budget allows
        (every line costs, the nickname line too).

        While the budget is short, the socket is not read (TCP then slows the
        sender down) and a timer comes back when the budget holds the next
        line.  Nothing is dropped.  Once the input has ended and every line
        is handled, the connection ends (a member leaves after its last line)."""
        if self.pacing is not None:
            return  # the timer will come back
        while self.pending and self.state in (REGISTERING, JOINED):
            line, size = self.pending[0]
            wait = self.budget.wait_for(size)
            if wait > 0:
                if not self.transport.is_closing():
                    self.transport.pause_reading()
                self.pacing = asyncio.get_running_loop().call_later(wait, self._budget_refilled)
                return
            self.budget.spend(size)
            self.pending.popleft()
            self.server.line_received(self, line)
        if self.state not in (REGISTERING, JOINED):
            self.pending.clear()
        if self.input_ended:
            self.server.connection_ended(self)
            self.transport.close()  # flushes what is queued, then closes
        elif not self.transport.is_closing():
            self.transport.resume_reading()

    def _budget_refilled(self):
        self.pacing = None
        self.handle_pending()

    def stop_pacing(self):
        if self.pacing is not None:
            self.pacing.cancel()
            self.pacing = None
        self.pending.clear()

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
        self.written += len(data)
        if self.watchdog is None and self.transport.get_write_buffer_size():
            self.moved = self.written - self.transport.get_write_buffer_size()
            self.last_moved = time.monotonic()
            self._watch_output()

    # ---- output that does not move (section 5, --stall-timeout-ms) ----

    def _watch_output(self):
        """While output is queued, check that the kernel keeps taking it."""
        self.watchdog = None
        if self.transport.is_closing():
            return
        queued = self.transport.get_write_buffer_size()
        if not queued:
            return  # all handed to the kernel: nothing to watch
        now = time.monotonic()
        moved = self.written - queued
        if moved > self.moved:
            self.moved, self.last_moved = moved, now
        elif now - self.last_moved >= self.server.limits.stall_timeout_ms / 1000:
            self.transport.abort()  # stalled: connection_lost() announces the leave
            return
        interval = min(1.0, self.server.limits.stall_timeout_ms / 4000)
        self.watchdog = asyncio.get_running_loop().call_later(interval, self._watch_output)

    def stop_watchdog(self):
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None

    def say_last_and_close(self, text, linger):
        """Send one last line, half-close, and close once the client has
        (or after linger seconds; None: wait for the client, 0: at once)."""
        self.state = CLOSING
        self.cancel_timer()
        self.stop_pacing()
        self.send(text.encode("utf-8"), enforce_cap=False)
        if self.transport.is_closing():
            return
        if linger == 0:
            self.transport.close()  # flushes the line, then closes
            return
        if self.transport.can_write_eof():
            self.transport.write_eof()
        if linger is not None:
            self.start_timer(linger, self.transport.abort)


def set_keepalive(sock, keepalive_ms):
    """TCP keepalive finds a peer gone without a word (section 5)."""
    if sock is None:
        return
    seconds = max(1, keepalive_ms // 1000)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if hasattr(socket, "TCP_KEEPIDLE"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, seconds)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, seconds)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    except OSError:
        pass


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
        self.burst_lines = args.burst_lines
        self.rate_lines = args.rate_lines
        self.burst_bytes = args.burst_bytes
        self.rate_bytes = args.rate_bytes
        self.stall_timeout_ms = args.stall_timeout_ms
        self.keepalive_ms = args.keepalive_ms


class ChatServer:
    def __init__(self, limits):
        self.limits = limits
        self.everyone = set()  # every open connection, whatever its state
        self.counted = set()  # registering or joined: what --max-clients counts
        self.joined = {}  # joined connections, in joining order (dict as ordered set)
        self.nicknames = set()  # the joined members' nicknames, in lower case
        self.lingering = set()  # refused connections waiting for their client to close
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
            self.refuse(
                conn,
                f">>> The chatroom is full ({self.limits.max_clients} clients). "
                "Try again later.\n",
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
            if conn.decoder.holds_bytes():
                text = (
                    f">>> No nickname line ended within {seconds}: "
                    'bytes arrived, but no "\\n". Closing connection.\n'
                )
            else:
                text = f">>> No nickname received within {seconds}. Closing connection.\n"
            self.refuse(conn, text)

    def connection_ended(self, conn):
        """The client closed, half-closed, reset, or was cut (and every line
        it sent was handled)."""
        if conn.state == JOINED:
            conn.state = CLOSING
            self.leave(conn)
        elif conn.state == REGISTERING:
            conn.state = CLOSING
            self.counted.discard(conn)

    def forget(self, conn):
        """The connection is closed (its last lines may still be waiting)."""
        self.everyone.discard(conn)
        self.lingering.discard(conn)
        if conn.state != JOINED:
            conn.state = GONE
        if self.all_gone is not None and not self.everyone:
            self.all_gone.set()

    # ---- lines ----

    def line_received(self, conn, line):
        if conn.state == REGISTERING:
            self.register(conn, line)
        elif conn.state == JOINED:
            self.chat(conn, line)

    def register(self, conn, line):
        if line is TOO_LONG:
            max_chars = self.limits.max_nick_chars
            self.refuse(
                conn, f">>> Nickname is longer than {max_chars} characters. Closing connection.\n"
            )
            return
        nick = unicodedata.normalize("NFC", line.strip(WHITESPACE))
        refusal = nickname_refusal(nick, self.limits.max_nick_chars)
        if refusal is None and nick.lower() in self.nicknames:
            refusal = f'>>> Nickname "{nick}" is taken. Closing connection.\n'
        if refusal is not None:
            self.refuse(conn, refusal)
        else:
            self.join(conn, nick)

    def refuse(self, conn, text):
        """A refused connection was never in the room: nobody is told, and
        its slot is free at once.  It is closed within the linger."""
        self.counted.discard(conn)
        if len(self.lingering) < MAX_LINGERING:
            self.lingering.add(conn)
            conn.say_last_and_close(text, REFUSAL_LINGER_SECONDS)
        else:
            conn.say_last_and_close(text, 0)

    def join(self, conn, nick):
        conn.cancel_timer()
        conn.state = JOINED
        conn.nick = nick
        self.joined[conn] = True
        self.nicknames.add(nick.lower())
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
        self.nicknames.discard(conn.nick.lower())
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
        # (A member already disconnected may still have lines waiting for its
        # budget: it is in joined, no longer in everyone.  Those lines go too.)
        for conn in list(self.everyone | self.joined.keys()):
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
    parser.add_argument("--burst-lines", type=integer(1), default=20)
    parser.add_argument("--rate-lines", type=integer(0), default=10)  # 0: no limit
    parser.add_argument("--burst-bytes", type=integer(1), default=65536)
    parser.add_argument("--rate-bytes", type=integer(0), default=16384)  # 0: no limit
    parser.add_argument("--stall-timeout-ms", type=integer(1000), default=20000)
    parser.add_argument("--keepalive-ms", type=integer(1000), default=30000)
    parser.add_argument("--idle-line-ms", type=integer(0), default=0)  # accepted, ignored
    parser.add_argument("--flush-interval-ms", type=integer(0), default=10)  # accepted, ignored
    parser.add_argument("--version", action="version", version=VERSION)
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


DESCRIPTOR_HEADROOM = 32  # descriptors kept for everything but clients


def fit_file_limit(max_clients):
    """Raise the descriptor limit as far as allowed, and return max_clients
    lowered, if need be, so that every client can have its socket."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, ValueError, OSError):
        return max_clients
    if soft == resource.RLIM_INFINITY or max_clients <= soft - DESCRIPTOR_HEADROOM:
        return max_clients
    fitted = max(1, soft - DESCRIPTOR_HEADROOM)
    log(f">>> --max-clients lowered from {max_clients} to {fitted} "
        f"to fit the descriptor limit ({soft})")
    return fitted


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
    global console
    args = parse_args(argv)
    try:
        sockets = open_listening_sockets(args.host, args.port)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {reason(error)}", file=sys.stderr)
        return 1
    console = Console(sys.stdout.fileno())
    args.max_clients = fit_file_limit(args.max_clients)
    status = asyncio.run(serve(args, sockets))
    console.flush(timeout=1.0)  # not forever: nobody may be reading it
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
