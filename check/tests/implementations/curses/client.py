#!/usr/bin/env python3
"""A curses client for the dummy-chat protocol (PROTOCOL.md).

The screen: the chat scrolls above, the input line ("NICK: text") below it.
Keys: Left, Right, Home, End, Backspace, Delete, Up/Down (history), Enter.
quit, Ctrl-D on an empty line or Ctrl-C leaves.

Usage: python3 client.py [--host H] [--port N]
"""
import argparse
import curses
import errno
import os
import select
import socket
import sys
import unicodedata

WELCOME = ">>> You have joined the chatroom now."
NICK_PROMPT = "Type your nickname>> "

# characters shown as <U+XXXX> (PROTOCOL.md section 7)
VISIBLE_AS_CODE = set([0x061C, 0x180E, 0x200B, 0x200E, 0x200F, 0x2028, 0x2029,
                       0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
                       0x2060, 0x2061, 0x2062, 0x2063, 0x2064,
                       0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF])


# ---------------------------------------------------------------- text helpers

def char_width(ch):
    """Columns a character takes in the terminal."""
    o = ord(ch)
    if o == 0x200D or o == 0x200C:
        return 0
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def text_width(s):
    return sum(char_width(c) for c in s)


def sanitize(text):
    """Never let received text change the terminal (PROTOCOL.md 7 and 11)."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\t":
            out.append(" ")
        elif o < 0x20:
            out.append("^" + chr(o + 64))
        elif o == 0x7F:
            out.append("^?")
        elif 0x80 <= o <= 0x9F:
            out.append("\ufffd")
        elif o in VISIBLE_AS_CODE:
            out.append("<U+%04X>" % o)
        else:
            out.append(ch)
    return "".join(out)


def break_received(text, width):
    """Rows for a received line: a long one is broken by us, every row after
    the first starting with two spaces (PROTOCOL.md 11, long lines)."""
    if width < 4:
        width = 4
    rows = []
    cur = ""
    col = 0
    limit = width
    for ch in text:
        w = char_width(ch)
        if col + w > limit:
            rows.append(cur)
            cur = "  "
            col = 2
            limit = width
        cur += ch
        col += w
    rows.append(cur)
    return rows


def wrap_like_terminal(text, width):
    """How the terminal would continue a long input line: no indent."""
    positions = []  # (row, col) of each character
    row, col = 0, 0
    for ch in text:
        w = char_width(ch)
        if col + w > width:
            row += 1
            col = 0
        positions.append((row, col))
        col += w
    end = (row, col)
    if col >= width:
        end = (row + 1, 0)
    return positions, end


def rows_of(text, width):
    positions, end = wrap_like_terminal(text, width)
    nrows = end[0] + 1 if end[1] > 0 or not text else end[0]
    if nrows == 0:
        nrows = 1
    rows = [""] * nrows
    for ch, (r, c) in zip(text, positions):
        rows[r] += ch
    return rows


# ---------------------------------------------------------------- the client

class Client:
    def __init__(self, sock, layout, keep):
        self.sock = sock
        self.layout = layout          # "inline" or "pinned"
        self.keep = keep              # reprint the chat after leaving curses
        self.rows = []                # every row shown above the input line
        self.prompt = NICK_PROMPT
        self.buf = []                 # the text typed so far
        self.cur = 0                  # cursor index in buf
        self.history = []
        self.hist_pos = None
        self.saved = None
        self.nick = None
        self.welcomed = False
        self.inbuf = b""
        self.scr = None

    # ---- screen
    def size(self):
        h, w = self.scr.getmaxyx()
        return h, w

    def render(self):
        scr = self.scr
        h, w = self.size()
        line = self.prompt + "".join(self.buf)
        positions, end = wrap_like_terminal(line, w)
        idx = len(self.prompt) + self.cur
        cy, cx = positions[idx] if idx < len(positions) else end
        inrows = rows_of(line, w)
        if cy >= len(inrows):
            inrows.append("")
        # an input line taller than the screen: keep the cursor's part
        skip = 0
        if len(inrows) > h:
            skip = min(cy, len(inrows) - h)
            skip = max(skip, cy - h + 1)
            inrows = inrows[skip:skip + h]
            cy -= skip
        nin = len(inrows)
        room = h - nin
        shown = self.rows[-room:] if room > 0 else []
        if self.layout == "pinned":
            top = h - nin
        else:
            top = len(shown)
        scr.erase()
        for i, r in enumerate(shown):
            self.put(i, r)
        for i, r in enumerate(inrows):
            self.put(top + i, r)
        try:
            scr.move(top + cy, min(cx, w - 1))
        except curses.error:
            pass
        scr.refresh()

    def put(self, y, text):
        try:
            self.scr.addstr(y, 0, text)
        except curses.error:
            pass  # writing the bottom-right cell moves the cursor off screen

    def show_line(self, text):
        h, w = self.size()
        self.rows.extend(break_received(sanitize(text), w))

    def keep_input_line(self):
        h, w = self.size()
        self.rows.extend(rows_of(self.prompt + "".join(self.buf), w))

    # ---- network
    def send(self, text):
        self.sock.sendall((text + "\n").encode("utf-8"))

    def on_socket(self):
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, OSError):
            data = b""
        if not data:
            if self.inbuf:
                self.show_line(self.inbuf.decode("utf-8", "replace") + " [cut off]")
                self.inbuf = b""
            return False
        self.inbuf += data
        while b"\n" in self.inbuf:
            raw, self.inbuf = self.inbuf.split(b"\n", 1)
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            text = raw.decode("utf-8", "replace")
            if text == WELCOME:
                self.welcomed = True
            self.show_line(text)
        return True

    # ---- keys
    def on_enter(self):
        text = "".join(self.buf)
        self.keep_input_line()
        self.buf, self.cur = [], 0
        self.hist_pos, self.saved = None, None
        if self.nick is None:
            nick = text.strip()
            if not nick:
                return None          # blank: ask again on the next row
            self.nick = nick
            self.send(nick)
            self.prompt = nick + ": "
            return None
        if text.strip() == "quit":
            return "leave"
        if text.strip():
            self.history.append(text)
            self.send(text)
        return None

    def on_key(self, k):
        """Returns "leave" when the user leaves."""
        if isinstance(k, str):
            if k in ("\r", "\n"):
                return self.on_enter()
            if k == "\x03":                      # Ctrl-C
                self.keep_input_line()
                return "leave"
            if k == "\x04":                      # Ctrl-D
                if not self.buf:
                    self.keep_input_line()
                    return "leave"
                if self.cur < len(self.buf):
                    del self.buf[self.cur]
                return None
            if k in ("\x7f", "\x08"):
                k = curses.KEY_BACKSPACE
            elif k == "\x01":
                k = curses.KEY_HOME
            elif k == "\x05":
                k = curses.KEY_END
            elif ord(k) < 0x20 or 0x7F <= ord(k) <= 0x9F:
                return None                      # other control keys: ignore
            else:
                self.buf.insert(self.cur, k)
                self.cur += 1
                return None
        if k == curses.KEY_ENTER:
            return self.on_enter()
        if k == curses.KEY_LEFT:
            self.cur = max(0, self.cur - 1)
        elif k == curses.KEY_RIGHT:
            self.cur = min(len(self.buf), self.cur + 1)
        elif k == curses.KEY_HOME:
            self.cur = 0
        elif k == curses.KEY_END:
            self.cur = len(self.buf)
        elif k == curses.KEY_BACKSPACE:
            if self.cur > 0:
                del self.buf[self.cur - 1]
                self.cur -= 1
        elif k == curses.KEY_DC:
            if self.cur < len(self.buf):
                del self.buf[self.cur]
        elif k == curses.KEY_UP:
            if self.history:
                if self.hist_pos is None:
                    self.saved = list(self.buf)
                    self.hist_pos = len(self.history)
                if self.hist_pos > 0:
                    self.hist_pos -= 1
                    self.buf = list(self.history[self.hist_pos])
                    self.cur = len(self.buf)
        elif k == curses.KEY_DOWN:
            if self.hist_pos is not None:
                self.hist_pos += 1
                if self.hist_pos >= len(self.history):
                    self.buf = self.saved or []
                    self.hist_pos, self.saved = None, None
                else:
                    self.buf = list(self.history[self.hist_pos])
                self.cur = len(self.buf)
        return None

    # ---- main loop
    def run(self, scr):
        self.scr = scr
        curses.raw()
        curses.noecho()
        scr.keypad(True)
        scr.nodelay(True)
        try:
            curses.set_escdelay(25)
        except AttributeError:
            pass
        self.render()
        stdin = sys.stdin.fileno()
        while True:
            ready, _, _ = select.select([self.sock, stdin], [], [], 0.5)
            if self.sock in ready:
                if not self.on_socket():
                    self.keep_input_line()
                    return "gone"
            if stdin in ready or not ready:
                while True:
                    try:
                        k = scr.get_wch()
                    except curses.error:
                        break
                    if k == curses.KEY_RESIZE:
                        continue
                    if self.on_key(k) == "leave":
                        return "leave"
            self.render()


def main():
    parser = argparse.ArgumentParser(description="dummy-chat client (curses)")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=8080)
    # "pinned" was my first layout (input on the bottom row from the start);
    # PROTOCOL.md section 11 asks for the input line right after the last line shown.
    parser.add_argument("--layout", choices=["inline", "pinned"], default="inline")
    parser.add_argument("--no-keep", dest="keep", action="store_false",
                        help="do not reprint the chat when leaving curses")
    parser.error = lambda msg: (sys.stderr.write("client.py: " + msg + "\n"), sys.exit(1))
    args = parser.parse_args()

    try:
        sock = socket.create_connection((args.host, args.port))
    except OSError as e:
        reason = (e.strerror or str(e)).lower()
        sys.stderr.write("cannot connect to %s:%d: %s\n" % (args.host, args.port, reason))
        sys.exit(1)

    client = Client(sock, args.layout, args.keep)
    try:
        how = curses.wrapper(client.run)
    except KeyboardInterrupt:
        how = "leave"
    try:
        sock.close()
    except OSError:
        pass

    # curses has put the terminal back: leave the chat readable there
    if client.keep:
        out = client.rows
    else:
        out = client.rows[-1:]
    if how == "leave":
        out = out + ["Closed chatroom successfully."]
        status = 0
    else:
        out = out + ["Server disconnected!"]
        status = 3 if (client.nick is not None and not client.welcomed) else 2
    sys.stdout.write("\n".join(out) + "\n")
    sys.stdout.flush()
    sys.exit(status)


if __name__ == "__main__":
    main()
