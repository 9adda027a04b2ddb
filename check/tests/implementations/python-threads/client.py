#!/usr/bin/env python3
"""dummy-chat client, written from PROTOCOL.md alone.

Standard library only: the terminal is put in raw mode (termios/tty) for the
whole session, select() waits on the keyboard and the socket together, and
the input line is drawn with ANSI escape codes written here by hand.

The screen model: everything above the input line is ordinary scrolled text
that we never touch again. The input line (prompt + text) starts at column 0
of some row and may wrap over several rows; we remember how many rows it
took when last drawn and how many rows below its first row the cursor is
(self.cur_row). To redraw, we go up to its first row, blank its rows one by
one and write it again. Received lines are written where it stood, and it
is drawn again below them.
"""
import codecs
import errno
import os
import select
import signal
import socket
import sys
import termios
import tty
import unicodedata

MAX_INCOMING_LINE_BYTES = 64 * 1024
NICK_PROMPT = "Type your nickname>> "
WELCOME = ">>> You have joined the chatroom now."
CUT_MARK = " [cut off]"   # after a last line that came without its \n


# ---------------------------------------------------------------- small helpers

# White space as PROTOCOL.md defines it (JavaScript's trim): space, tab, the
# line ends \n \v \f \r, and the Unicode spaces.
WHITE = ("\t\n\v\f\r \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
         + "\u2028\u2029\u202f\u205f\u3000\ufeff")


def trim(text):
    return text.strip(WHITE)


# Characters that turn text around, break a line or hide (section 7): shown
# as <U+XXXX>. The zero-width non-joiner and joiner (U+200C, U+200D) pass.
SHOWN_AS_CODE = frozenset(
    [0x061C, 0x180E, 0x200B, 0x200E, 0x200F, 0xFEFF]
    + list(range(0x2028, 0x202F))      # U+2028, U+2029, U+202A-U+202E
    + list(range(0x2060, 0x2065))
    + list(range(0x2066, 0x206A))
)


def is_control(ch):
    c = ord(ch)
    return c < 0x20 or c == 0x7F or 0x80 <= c <= 0x9F


def neutralise(text):
    """PROTOCOL.md section 7, applied to what we receive: nothing we print
    can move the cursor, change colours, ring the bell, set a title, or turn
    text around."""
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


def char_width(ch):
    """Columns a character takes on the terminal."""
    c = ord(ch)
    if c == 0:
        return 0
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf") or 0x1160 <= c <= 0x11FF:
        return 0  # combining marks, zero-width joiners, Hangul jamo vowels/finals
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    if 0x1F300 <= c <= 0x1FAFF:
        return 2  # emoji
    return 1


def break_rows(text, width):
    """Section 11: a line wider than the terminal, broken into rows of its
    width (a wide character is never split), every row after the first
    starting with two spaces, so no part of it can pass for a line of its own."""
    indent = "  " if width > 4 else ""
    rows = []
    row, col = "", 0
    for ch in text:
        w = char_width(ch)
        if w and col + w > width:
            rows.append(row)
            row, col = indent, len(indent)
        row += ch
        col += w
    rows.append(row)
    return rows


def plain_reason(err):
    names = {
        errno.ECONNREFUSED: "connection refused",
        errno.ETIMEDOUT: "connection timed out",
        errno.EHOSTUNREACH: "host unreachable",
        errno.ENETUNREACH: "network unreachable",
        errno.EADDRNOTAVAIL: "address not available",
    }
    if isinstance(err, socket.gaierror):
        return "host not found"
    if isinstance(err, socket.timeout) and err.errno is None:
        return "connection timed out"
    if err.errno in names:
        return names[err.errno]
    return (err.strerror or str(err)).lower()


def parse_args(argv):
    opts = {"port": 8080, "host": "localhost", "nick": None}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--"):
            fail_usage("unexpected argument: %s" % arg)
        name, value = arg[2:], None
        if "=" in name:
            name, value = name.split("=", 1)
        if name not in opts:
            fail_usage("unknown flag: --%s" % name)
        if value is None:
            i += 1
            if i >= len(argv):
                fail_usage("--%s needs a value" % name)
            value = argv[i]
        if name == "port":
            if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
                fail_usage("--port needs a port number, not %r" % value)
            opts["port"] = int(value)
        elif name == "nick" and any(is_control(ch) for ch in value):
            fail_usage("--nick must not hold control characters")
        else:
            opts[name] = value
        i += 1
    return opts


def fail_usage(text):
    sys.stderr.write("client: " + text + "\n")
    sys.exit(1)


# ---------------------------------------------------------------- incoming lines

class Incoming:
    """Splits the bytes from the server into lines (PROTOCOL.md section 2)."""

    def __init__(self):
        self.buf = bytearray()
        self.dropping = False

    def feed(self, data):
        """Returns the texts of the complete lines in data (None: a line too long)."""
        out = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            piece = data[start:nl]
            start = nl + 1
            if self.dropping:
                self.dropping = False
                self.buf = bytearray()
                continue
            self.buf += piece
            out.append(self._finish())
        rest = data[start:]
        if not self.dropping and rest:
            self.buf += rest
            if len(self.buf) > MAX_INCOMING_LINE_BYTES + 1:
                self.dropping = True
                self.buf = bytearray()
                out.append(None)
        return out

    def _finish(self):
        line = bytes(self.buf)
        self.buf = bytearray()
        if line.endswith(b"\r"):
            line = line[:-1]
        return line.decode("utf-8", "replace")

    def last(self):
        """At the end of the connection: a last line without \\n, if any,
        marked as cut short."""
        if self.buf and not self.dropping:
            return [self._finish() + CUT_MARK]
        return []


def show_text(line):
    if line is None:
        return "(a line longer than %d bytes was not shown)" % MAX_INCOMING_LINE_BYTES
    return neutralise(line)


# ---------------------------------------------------------------- the terminal

class Screen:
    """The input line at the bottom of what has been printed so far."""

    def __init__(self, fd):
        self.fd = fd
        self.prompt = ""
        self.text = []        # the characters typed, a list of str of length 1
        self.cursor = 0       # index into self.text
        self.cur_row = 0      # rows between the input line's first row and the cursor
        self.drawn_rows = 0   # rows the input line took when last drawn
        self.width = self._read_width()

    def _read_width(self):
        try:
            return max(1, os.get_terminal_size(self.fd).columns)
        except OSError:
            return 80

    def resized(self):
        self.width = self._read_width()

    def write(self, s):
        data = s.encode("utf-8", "replace")
        while data:
            try:
                n = os.write(self.fd, data)
            except InterruptedError:
                continue
            except BlockingIOError:
                select.select([], [self.fd], [])
                continue
            data = data[n:]

    # layout -------------------------------------------------------------

    def _layout(self):
        """Row and column where each character of prompt+text starts, and
        where the cursor is after the last one, as the terminal wraps them."""
        row = col = 0
        starts = []
        for ch in list(self.prompt) + self.text:
            w = char_width(ch)
            if w and col + w > self.width:
                row, col = row + 1, 0      # a wide character never splits
            starts.append((row, col))
            col += w
        if col >= self.width:
            end = (row + 1, 0)
        else:
            end = (row, col)
        return starts, end

    def _erase(self):
        """Bytes that blank the rows of the input line as last drawn and leave
        the cursor at column 0 of its first row. Row by row (erase-line and
        cursor-down, which never scrolls) rather than erase-to-end-of-screen,
        which some terminals (tmux) treat as a clear of the whole screen when
        it happens at the top-left corner, pushing the screen into scrollback."""
        s = ""
        if self.cur_row > 0:
            s += "\x1b[%dA" % self.cur_row
        s += "\r"
        rows = self.drawn_rows
        for i in range(rows):
            s += "\x1b[2K"
            if i < rows - 1:
                s += "\x1b[B"
        if rows > 1:
            s += "\x1b[%dA" % (rows - 1)
        self.cur_row = 0
        self.drawn_rows = 0
        return s

    def _draw(self, cursor_at_end=False):
        """Bytes that write the input line from column 0 of its first row,
        leaving the cursor where it belongs. Updates cur_row and drawn_rows."""
        starts, end = self._layout()
        s = self.prompt + "".join(self.text)
        if end[1] == 0 and end[0] > 0:
            # the text filled its last row exactly: the terminal holds the
            # cursor on that row; step to the next row ourselves
            s += "\r\n"
        if cursor_at_end or self.cursor >= len(self.text):
            target = end
        else:
            target = starts[len(self.prompt) + self.cursor]
        up = end[0] - target[0]
        if up > 0:
            s += "\x1b[%dA" % up
        s += "\r"
        if target[1] > 0:
            s += "\x1b[%dC" % target[1]
        self.cur_row = target[0]
        self.drawn_rows = end[0] + 1
        return s

    # what the client does ------------------------------------------------

    def redraw(self):
        self.write(self._erase() + self._draw())

    def print_above(self, lines):
        """Print received lines above the input line, then the input line again."""
        if not lines:
            return
        s = self._erase()
        for line in lines:
            for row in break_rows(line, self.width):
                s += row + "\r\n"
        s += self._draw()
        self.write(s)

    def settle(self):
        """Leave the input line as it is and put the cursor on the row below it."""
        starts, end = self._layout()
        s = self._erase() + self._draw(cursor_at_end=True)
        if not (end[1] == 0 and end[0] > 0):
            s += "\r\n"
        self.write(s)
        self.cur_row = 0
        self.drawn_rows = 0

    def new_prompt(self, prompt):
        self.prompt = prompt
        self.text = []
        self.cursor = 0
        self.cur_row = 0
        self.drawn_rows = 0
        self.write(self._draw())

    def line(self):
        return "".join(self.text)


# ---------------------------------------------------------------- the client

def gone_status(nick_sent, welcomed):
    """Exit status when the server closed the connection (section 12): 3 when
    it did so after the nickname and before the welcome (a refused nickname)."""
    return 3 if nick_sent and not welcomed else 2


class Leave(Exception):
    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


class Client:
    def __init__(self, sock, nick):
        self.sock = sock
        self.in_fd = sys.stdin.fileno()
        self.screen = Screen(sys.stdout.fileno())
        self.incoming = Incoming()
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.keys = ""            # decoded keys not yet handled (an unfinished escape)
        self.last_was_cr = False
        self.joined = False       # the nickname has been sent
        self.welcomed = False     # the welcome line has arrived
        self.history = []
        self.hist_pos = 0
        self.draft = None
        self.preset_nick = nick

    # ---------------------------------------------------------- main loop

    def run(self):
        if self.preset_nick is not None and trim(self.preset_nick):
            nick = trim(self.preset_nick)
            self.send_line(nick)
            self.joined = True
            self.screen.new_prompt(nick + ": ")
        else:
            self.screen.new_prompt(NICK_PROMPT)
        while True:
            timeout = 0.05 if self.keys.startswith("\x1b") else None
            try:
                r, _, _ = select.select([self.sock, self.in_fd], [], [], timeout)
            except InterruptedError:
                continue
            if not r and self.keys.startswith("\x1b"):
                # a lone Escape key: nothing follows it
                self.keys = self.keys[1:]
                self.handle_keys()
            if self.sock in r:
                self.read_socket()
            if self.in_fd in r:
                try:
                    data = os.read(self.in_fd, 4096)
                except InterruptedError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    raise Leave(0, "Closed chatroom successfully.")
                self.keys += self.decoder.decode(data)
                self.handle_keys()

    def read_socket(self):
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            lines = self.incoming.feed(data)
            self.welcomed = self.welcomed or WELCOME in lines
            self.screen.print_above([show_text(l) for l in lines])
            return
        self.screen.print_above([show_text(l) for l in self.incoming.last()])
        raise Leave(gone_status(self.joined, self.welcomed), "Server disconnected!")

    def send_line(self, text):
        try:
            self.sock.sendall(text.encode("utf-8", "replace") + b"\n")
        except OSError:
            # the server is gone; the socket will say so when we read it
            pass

    # ---------------------------------------------------------- keys

    def handle_keys(self):
        changed = False
        while self.keys:
            k = self.keys
            ch = k[0]
            if ch == "\x1b":
                if len(k) < 2:
                    break  # wait for the rest of the sequence
                if k[1] == "[":
                    j = 2
                    while j < len(k) and not ("\x40" <= k[j] <= "\x7e"):
                        j += 1
                    if j >= len(k):
                        if len(k) > 32:
                            self.keys = k[1:]  # garbage: drop the escape
                            continue
                        break
                    seq, self.keys = k[2:j + 1], k[j + 1:]
                    changed |= self.csi(seq)
                    continue
                if k[1] == "O":
                    if len(k) < 3:
                        break
                    self.keys = k[3:]
                    changed |= self.csi(k[2])
                    continue
                self.keys = k[1:]  # Alt+key: ignore the Alt
                continue
            self.keys = k[1:]
            was_cr, self.last_was_cr = self.last_was_cr, ch == "\r"
            if ch == "\r" or (ch == "\n" and not was_cr):
                if changed:
                    self.screen.redraw()
                    changed = False
                self.enter()
            elif ch == "\n":
                pass
            elif ch in ("\x7f", "\x08"):
                changed |= self.backspace()
            elif ch == "\x03":
                raise Leave(0, "Closed chatroom successfully.")
            elif ch == "\x04":
                if not self.screen.text:
                    raise Leave(0, "Closed chatroom successfully.")
                changed |= self.delete()
            elif ch == "\x01":
                changed |= self.move_to(0)
            elif ch == "\x05":
                changed |= self.move_to(len(self.screen.text))
            elif ch == "\x02":
                changed |= self.move_to(self.screen.cursor - 1)
            elif ch == "\x06":
                changed |= self.move_to(self.screen.cursor + 1)
            elif ch == "\x10":
                changed |= self.history_step(-1)
            elif ch == "\x0e":
                changed |= self.history_step(+1)
            elif ch == "\x15":
                scr = self.screen
                if scr.cursor:
                    del scr.text[:scr.cursor]
                    scr.cursor = 0
                    changed = True
            elif ch == "\x0b":
                scr = self.screen
                if scr.cursor < len(scr.text):
                    del scr.text[scr.cursor:]
                    changed = True
            elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
                pass  # other control keys do nothing
            else:
                scr = self.screen
                scr.text.insert(scr.cursor, ch)
                scr.cursor += 1
                changed = True
        if changed:
            self.screen.redraw()

    def csi(self, seq):
        final = seq[-1]
        params = seq[:-1].split(";")[0]
        scr = self.screen
        if final == "A":
            return self.history_step(-1)
        if final == "B":
            return self.history_step(+1)
        if final == "C":
            return self.move_to(scr.cursor + 1)
        if final == "D":
            return self.move_to(scr.cursor - 1)
        if final == "H":
            return self.move_to(0)
        if final == "F":
            return self.move_to(len(scr.text))
        if final == "~":
            if params in ("1", "7"):
                return self.move_to(0)
            if params in ("4", "8"):
                return self.move_to(len(scr.text))
            if params == "3":
                return self.delete()
        return False

    def move_to(self, pos):
        scr = self.screen
        pos = max(0, min(len(scr.text), pos))
        if pos == scr.cursor:
            return False
        scr.cursor = pos
        return True

    def backspace(self):
        scr = self.screen
        if scr.cursor == 0:
            return False
        del scr.text[scr.cursor - 1]
        scr.cursor -= 1
        return True

    def delete(self):
        scr = self.screen
        if scr.cursor >= len(scr.text):
            return False
        del scr.text[scr.cursor]
        return True

    def history_step(self, step):
        if not self.joined:
            return False
        pos = self.hist_pos + step
        if pos < 0 or pos > len(self.history):
            return False
        scr = self.screen
        if self.hist_pos == len(self.history):
            self.draft = list(scr.text)
        self.hist_pos = pos
        if pos == len(self.history):
            scr.text = list(self.draft or [])
        else:
            scr.text = list(self.history[pos])
        scr.cursor = len(scr.text)
        return True

    def enter(self):
        scr = self.screen
        text = scr.line()
        if not self.joined:
            nick = trim(text)
            scr.settle()       # the row stays as typed
            if not nick:
                scr.new_prompt(NICK_PROMPT)
                return
            self.send_line(nick)
            self.joined = True
            scr.new_prompt(nick + ": ")
            return
        if trim(text) == "quit":
            raise Leave(0, "Closed chatroom successfully.")
        scr.settle()
        if trim(text):
            self.history.append(text)
            self.send_line(text)
        self.hist_pos = len(self.history)
        self.draft = None
        scr.new_prompt(scr.prompt)


# ---------------------------------------------------------------- not a terminal

def run_piped(sock, nick):
    """Standard input is a pipe or a file: plain lines in, plain lines out."""
    out = sys.stdout
    incoming = Incoming()
    pending = b""
    joined = False      # the nickname has been sent
    welcomed = False
    if nick is not None and trim(nick):
        sock.sendall(trim(nick).encode("utf-8") + b"\n")
        joined = True
    fd = sys.stdin.fileno()
    stdin_open = True
    while True:
        r, _, _ = select.select([sock] + ([fd] if stdin_open else []), [], [])
        if sock in r:
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            lines = incoming.feed(data) if data else incoming.last()
            welcomed = welcomed or WELCOME in lines
            for l in lines:
                out.write(show_text(l) + "\n")
            out.flush()
            if not data:
                out.write("Server disconnected!\n")
                out.flush()
                return gone_status(joined, welcomed)
        if stdin_open and fd in r:
            data = os.read(fd, 65536)
            if data:
                pending += data
            parts = pending.split(b"\n")
            pending = parts.pop()
            if not data and pending:
                parts.append(pending)
                pending = b""
            for raw in parts:
                text = raw.decode("utf-8", "replace")
                if text.endswith("\r"):
                    text = text[:-1]
                if not joined:
                    if trim(text):
                        sock.sendall(trim(text).encode("utf-8") + b"\n")
                        joined = True
                    continue
                if trim(text) == "quit":
                    data = b""
                    break
                if trim(text):
                    sock.sendall(text.encode("utf-8", "replace") + b"\n")
            if not data:
                sock.close()
                out.write("Closed chatroom successfully.\n")
                out.flush()
                return 0


# ---------------------------------------------------------------- main

def main():
    opts = parse_args(sys.argv[1:])
    host, port = opts["host"], opts["port"]
    try:
        sock = socket.create_connection((host, port), timeout=10)
        sock.settimeout(None)
    except OSError as exc:
        sys.stderr.write("cannot connect to %s:%d: %s\n" % (host, port, plain_reason(exc)))
        sys.stderr.flush()
        return 1
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    if not os.isatty(sys.stdin.fileno()):
        return run_piped(sock, opts["nick"])

    in_fd = sys.stdin.fileno()
    saved = termios.tcgetattr(in_fd)
    client = Client(sock, opts["nick"])

    def on_winch(signum, frame):
        client.screen.resized()

    def on_term(signum, frame):
        raise Leave(0, "Closed chatroom successfully.")

    signal.signal(signal.SIGWINCH, on_winch)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    status = 0
    try:
        tty.setraw(in_fd, termios.TCSANOW)
        try:
            client.run()
        except Leave as leave:
            client.screen.settle()
            client.screen.write(leave.message + "\r\n")
            status = leave.status
    finally:
        try:
            sock.close()
        except OSError:
            pass
        termios.tcsetattr(in_fd, termios.TCSADRAIN, saved)
    return status


if __name__ == "__main__":
    sys.exit(main())
