/**
 * Client checks: the client runs in a terminal against a scripted server that sends
 * exactly the bytes a check needs. What is judged is what a person reads on the screen
 * and what goes over the wire, never how the client redraws.
 */
import { CLOSED, CUT_OFF, DISCONNECTED, EXIT_NICKNAME_REFUSED, JOINED as WELCOME_TEXT, NICKNAME_PROMPT, nickTaken } from "../../e2e/chat-lines.js";
import { freePort } from "../../e2e/free-port.js";
import { CheckFailure, type Check } from "../check.js";
import { joinClient, startClient } from "../programs/client-under-test.js";
import { quoteText } from "../programs/quote.js";
import { TerminalProgram } from "../programs/terminal-program.js";

type ClientCheck = Omit<Check, "group" | "judges" | "needs"> & { needs?: string[]; group?: Check["group"] };

/** A client check; it needs a client that sends its nickname unless told otherwise. */
function check(c: ClientCheck): Check {
  return { group: "client", judges: ["client"], needs: ["client/sends-nickname"], ...c };
}

export const clientChecks: Check[] = [
  check({
    id: "client/starts",
    name: "connects to the server on localhost at the port --port names",
    section: "1 Programs",
    needs: [],
    hint: "take the port from --port N and connect to localhost:N",
    async run(ctx) {
      await startClient(ctx);
    },
  }),
  check({
    id: "client/nickname-prompt",
    name: 'asks "Type your nickname>> " with the cursor after it',
    section: "11 The client",
    needs: ["client/starts"],
    hint: `show the prompt ${quoteText(NICKNAME_PROMPT)} (note the space at its end) and read the nickname on the same line`,
    async run(ctx) {
      const { client } = await startClient(ctx);
      await client.expectInputLine(NICKNAME_PROMPT, "", "the client shows the nickname prompt");
    },
  }),
  check({
    id: "client/sends-nickname",
    name: "sends the nickname typed at its prompt, trimmed, as a line",
    section: "11 The client",
    needs: ["client/starts"],
    hint: 'send the nickname without the spaces around it, followed by "\\n"',
    async run(ctx) {
      const { client, conn } = await startClient(ctx, { prompted: true });
      client.type("  Lion \r");
      const line = await conn.nextLine(0, "the server receives the nickname line");
      if (line !== "Lion") throw new CheckFailure("the nickname line is the nickname, trimmed", quoteText("Lion\n"), conn.arrivedSince(0));
    },
  }),
  check({
    id: "client/nickname-blank",
    name: "sends no blank nickname: asks again",
    section: "11 The client",
    hint: "on Enter with an empty (or all-space) answer, send nothing and show the nickname prompt again",
    async run(ctx) {
      // Whatever the prompt says (client/nickname-prompt judges that), it must come back.
      const { client, conn } = await startClient(ctx, { prompted: true });
      const prompt = client.term.cursorLine().before;
      client.type("\r");
      client.type("   \r");
      await client.expectLines([prompt.trimEnd(), prompt.trimEnd(), prompt.trimEnd()], "the prompt is asked three times: once, then after each blank answer");
      await client.expectInputLine(prompt, "", "after two blank answers, the nickname prompt is shown again, empty");
      client.type("Lion\r");
      const line = await conn.nextLine(0, "the server receives the nickname line");
      if (line !== "Lion") throw new CheckFailure("the first line sent is the first non-blank nickname", quoteText("Lion\n"), conn.arrivedSince(0));
    },
  }),
  check({
    id: "client/chat-prompt",
    name: 'shows the chat prompt "NICK: " right after sending the nickname, and keeps the nickname row',
    section: "11 The client",
    hint: 'after sending the nickname, show the input line "NICK: " at once, without waiting for the server',
    async run(ctx) {
      const { client, conn } = await startClient(ctx, { prompted: true });
      client.type("Lion\r");
      await conn.nextLine(0, "the server receives the nickname line");
      await client.expectLinesAboveInput([NICKNAME_PROMPT + "Lion"], "Lion: ", "", "the nickname row stays on the screen as typed, and the input line below it becomes the empty chat prompt (the server has not answered)");
    },
  }),
  check({
    id: "client/shows-lines",
    name: "shows each line it receives, in order",
    section: "11 The client",
    hint: "print every line the server sends as it is, each on its own line, above the input line",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      const lines = ["Tiger(4242): hi there", "Rabbit(4243): hello back", 'User "Tiger" left chatroom.'];
      await conn.send(lines.map((line) => line + "\n").join(""));
      await client.expectLines(lines, "the client shows the three lines, in order");
    },
  }),
  check({
    id: "client/blank-lines",
    name: "shows the blank lines it receives",
    section: "11 The client",
    hint: "print an empty line the server sends as an empty line: the welcome and join notices end with one",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      await conn.send("Tiger(4242) has joined the chatroom!!\nNow participants: 2\n\nTiger(4242): after a blank line\n");
      await client.expectLines(
        [WELCOME_TEXT, "", "Tiger(4242) has joined the chatroom!!", "Now participants: 2", "", "Tiger(4242): after a blank line"],
        "the client shows the welcome, a blank line, the join notice, a blank line, then the chat line",
      );
    },
  }),
  check({
    id: "client/normal-screen",
    name: "prints on the terminal's normal screen, so lines that scroll off stay in its scrollback",
    section: "11 The client",
    hint: "do not switch to the alternate screen (full-screen curses, prompt_toolkit's full_screen=True, \\e[?1049h): print each line and let the terminal scroll, as a shell does",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      const lines = Array.from({ length: 30 }, (_, i) => `Tiger(4242): line ${i + 1} of 30`);
      await conn.send(lines.map((line) => line + "\n").join(""));
      await client.expectLines(lines.slice(-3), "the client shows the last three lines");
      if (client.term.usedAlternateScreen()) {
        throw new CheckFailure("the client prints on the normal screen, whose rows the terminal keeps in its scrollback as they scroll off", "the normal screen throughout", "it switched to the alternate screen (a full-screen program's): the rows that scroll off it are lost to the user");
      }
      await client.expectLines(lines, "all 30 lines stay on the screen or in its scrollback, in order");
    },
  }),
  check({
    id: "client/split-lines",
    name: "shows a line that arrives in pieces as one line, and two lines that arrive together as two",
    section: "2 Framing",
    hint: "keep the bytes of an unfinished line until its \\n arrives; print only whole lines",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      await conn.sendPieces(["Tiger(4242): one li", "ne in pieces\nTiger(4242): two\nTig", "er(4242): three\n"]);
      await client.expectLines(["Tiger(4242): one line in pieces", "Tiger(4242): two", "Tiger(4242): three"], "the client shows three whole lines");
    },
  }),
  check({
    id: "client/utf8-split",
    name: "shows a character whose UTF-8 bytes arrive in two pieces",
    section: "2 Framing",
    hint: "decode a line only once it is complete: never decode each recv() on its own",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      const bytes = Buffer.from("Tiger(4242): 안녕하세요\n", "utf8");
      await conn.sendPieces([bytes.subarray(0, 14), bytes.subarray(14, 20), bytes.subarray(20)]);
      await client.expectLines(["Tiger(4242): 안녕하세요"], "the client shows the Korean text whole");
    },
  }),
  check({
    id: "client/long-line",
    name: "shows a received line longer than the terminal is wide, whole",
    section: "11 The client",
    hint: "print long lines whole: the terminal (or your program) continues them on the next rows",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      const line = "Nc(4244): " + "[a piece of fifty characters, a long line of six]".repeat(6);
      await conn.send(line + "\n");
      await client.expectLines([line], "the client shows the 310-character line whole");
    },
  }),
  check({
    id: "client/wrap-indent",
    name: "breaks a received line longer than the terminal itself, every further row indented by two spaces",
    section: "11 The client",
    needs: ["client/long-line"],
    hint: "split a received line into rows of the terminal's width (its columns, counting wide characters as two) and start every row after the first with two spaces: then no padded message can show a line of its own at column 0",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      // Nc's line, padded to the 80th column, would show a fake line of Lion's on the next row.
      const fake = "Lion(4242): the server moved, reconnect to port 9999";
      const line = "Nc(4244): hi" + " ".repeat(80 - "Nc(4244): hi".length) + fake;
      await conn.send(line + "\n");
      await client.expectLines([line], "the client shows Nc's padded line whole");
      const forged = client.term.textRows().filter((row) => row.text.startsWith(fake.slice(0, 20)));
      if (forged.length > 0) {
        throw new CheckFailure("the second row of Nc's line starts with the two-space indent, so it cannot pass for a line of Lion's", `"  ${fake}"`, `a row at column 0: ${quoteText(forged[0]!.text.trimEnd())}; the screen:\n${client.screen()}`);
      }
    },
  }),
  check({
    id: "client/cut-line",
    name: `shows a last line that arrived without its "\\n" marked as cut ("${CUT_OFF.trim()}")`,
    section: "11 The client",
    needs: ["client/server-gone"],
    hint: `when the connection ends inside a line, show what arrived of it followed by ${quoteText(CUT_OFF)}, then the usual "Server disconnected!"`,
    async run(ctx) {
      const { client, conn, prompt } = await joinClient(ctx);
      await conn.send("Tiger(4242): half a li");
      conn.end();
      await client.expectLines(["Tiger(4242): half a li" + CUT_OFF, prompt, DISCONNECTED], "the client shows the cut line marked, its input line, then the notice");
    },
  }),
  check({
    id: "client/sends-line",
    name: "sends a typed line, exactly as typed, as a line",
    section: "11 The client",
    hint: 'send the text as typed, spaces kept, followed by "\\n"',
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      const mark = conn.mark();
      client.type("hi there\r");
      const first = await conn.nextLine(mark, "the server receives the typed line");
      if (first !== "hi there") throw new CheckFailure("the line sent is the text typed", quoteText("hi there\n"), conn.arrivedSince(mark));
      const next = conn.mark();
      client.type("  spaced out  \r");
      const second = await conn.nextLine(next, "the server receives the second typed line");
      if (second !== "  spaced out  ") throw new CheckFailure("the line sent keeps its spaces", quoteText("  spaced out  \n"), conn.arrivedSince(next));
    },
  }),
  check({
    id: "client/own-line",
    name: "keeps a sent line on the screen after its prompt, and shows a new empty prompt",
    section: "11 The client",
    hint: 'after Enter, leave "NICK: text" on the screen and show a fresh, empty input line below it',
    async run(ctx) {
      const { client, conn, prompt } = await joinClient(ctx);
      const mark = conn.mark();
      client.type("my own line\r");
      await conn.nextLine(mark, "the server receives the typed line");
      await client.expectLinesAboveInput([prompt + "my own line"], prompt, "", "the sent line stays on the screen after its prompt, and a new, empty input line follows");
    },
  }),
  check({
    id: "client/blank-not-sent",
    name: "sends no empty line and no line of only spaces",
    section: "11 The client",
    hint: "on Enter with an empty or all-space line, send nothing",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      const mark = conn.mark();
      client.type("\r");
      client.type("   \r");
      client.type("after the blank ones\r");
      const line = await conn.nextLine(mark, "the server receives the line typed after the blank ones");
      if (line !== "after the blank ones") throw new CheckFailure("nothing is sent for the blank lines", quoteText("after the blank ones\n"), conn.arrivedSince(mark));
    },
  }),
  check({
    id: "client/pinned-input",
    name: "keeps a half-typed line and its cursor while lines arrive above it",
    section: "11 The client",
    hint: "print incoming lines above the input line and redraw the input line with its text and cursor (prompt_toolkit: patch_stdout)",
    async run(ctx) {
      const { client, conn, prompt } = await joinClient(ctx);
      client.type("helo");
      await client.expectInputLine(prompt + "helo", "", "the input line shows what was typed");
      client.press("Left");
      await client.expectInputLine(prompt + "hel", "o", "Left moves the cursor back one character");
      const lines = ["Tiger(4242): one", "Tiger(4242): two", "Tiger(4242): three"];
      await conn.send(lines.map((line) => line + "\n").join(""));
      await client.expectLinesAboveInput(lines, prompt + "hel", "o", "the three lines that arrived show above the input line, and the half-typed line and its cursor are as they were");
      const mark = conn.mark();
      client.type("l\r");
      const sent = await conn.nextLine(mark, "Enter sends the edited line");
      if (sent !== "hello") throw new CheckFailure("the line sent is the line as edited", quoteText("hello\n"), conn.arrivedSince(mark));
    },
  }),
  check({
    id: "client/quit",
    name: "on quit, says goodbye, closes the connection without sending quit, and exits with status 0",
    section: "11 The client",
    hint: 'on "quit" send nothing, close the socket, print "Closed chatroom successfully." and exit 0',
    async run(ctx) {
      const { client, conn, prompt } = await joinClient(ctx);
      const mark = conn.mark();
      client.type("quit\r");
      await client.expectLines([prompt + "quit", CLOSED], "the client shows its quit line, then the goodbye");
      await conn.expectEnd(mark, "the client closes its connection");
      conn.expectNothingSince(mark, "quit is not sent to the server, nor anything else");
      await client.expectExitStatus(0, "the client exits with status 0");
    },
  }),
  check({
    id: "client/server-gone",
    name: "when the server goes away, shows what arrived, keeps the input line, and says Server disconnected!",
    section: "11 The client",
    hint: 'when recv() returns no bytes, print any last lines, leave the input line as typed and print "Server disconnected!" below it',
    async run(ctx) {
      const { client, conn, prompt } = await joinClient(ctx);
      client.type("half a line");
      await client.expectInputLine(prompt + "half a line", "", "the input line shows what was typed");
      await conn.send("Tiger(4242): last words\n");
      conn.end();
      await client.expectLines(["Tiger(4242): last words", prompt + "half a line", DISCONNECTED], "the client shows the last line, its input line as typed, then the notice");
    },
  }),
  check({
    id: "client/server-gone-exits",
    name: "when the server goes away, exits with status 2 at once",
    section: "12 Exit statuses",
    hint: "when the server closes the connection, end the input loop too and exit with status 2",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      conn.end();
      await client.expectExitStatus(2, "the client exits with status 2 once the server closed the connection");
    },
  }),
  check({
    id: "client/refused-exits",
    name: `when the server closes the connection after the nickname, before the welcome, exits with status ${EXIT_NICKNAME_REFUSED}`,
    section: "12 Exit statuses",
    needs: ["client/server-gone-exits"],
    hint: `remember whether the welcome line came; if the connection ends after you sent the nickname and before it, the nickname was refused: exit with status ${EXIT_NICKNAME_REFUSED}`,
    async run(ctx) {
      const { client, conn } = await startClient(ctx, { prompted: true });
      client.type("Lion\r");
      await conn.nextLine(0, "the server receives the nickname line");
      await conn.send(nickTaken("Lion") + "\n");
      conn.end();
      await client.expectLines([nickTaken("Lion")], "the client shows the refusal");
      await client.expectExitStatus(EXIT_NICKNAME_REFUSED, `the client exits with status ${EXIT_NICKNAME_REFUSED}: its nickname was refused`);
    },
  }),
  check({
    id: "client-robustness/ctrl-d",
    group: "client-robustness",
    name: "on Ctrl-D on an empty line, leaves as on quit",
    section: "11 The client",
    hint: "treat end of input (Ctrl-D, EOFError in Python) on an empty line like quit",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      const mark = conn.mark();
      client.press("Ctrl-D");
      await client.expectLines([CLOSED], "the client says goodbye");
      await conn.expectEnd(mark, "the client closes its connection");
      await client.expectExitStatus(0, "the client exits with status 0");
    },
  }),
  check({
    id: "client-robustness/ctrl-c",
    group: "client-robustness",
    name: "on Ctrl-C, keeps the input line as typed and leaves as on quit",
    section: "11 The client",
    hint: "catch Ctrl-C (KeyboardInterrupt in Python): keep the input line on screen, then leave as on quit",
    async run(ctx) {
      const { client, conn, prompt } = await joinClient(ctx);
      client.type("half a line");
      await client.expectInputLine(prompt + "half a line", "", "the input line shows what was typed");
      const mark = conn.mark();
      client.press("Ctrl-C");
      await client.expectLines([prompt + "half a line", CLOSED], "the client shows its input line as typed, then the goodbye");
      await conn.expectEnd(mark, "the client closes its connection");
      conn.expectNothingSince(mark, "the half-typed line is not sent, nor anything else");
      await client.expectExitStatus(0, "the client exits with status 0");
    },
  }),
  check({
    id: "client-robustness/escapes",
    group: "client-robustness",
    name: "does not obey escape sequences it receives: no colour, clearing, title or bell",
    section: "11 The client",
    hint: "neutralise control characters before printing: show ESC as ^[ (caret notation), never write it to the terminal",
    async run(ctx) {
      const { client, conn } = await joinClient(ctx);
      await conn.send("Tiger(4242): before the escapes\n");
      await client.expectLines(["Tiger(4242): before the escapes"], "the client shows the first line");
      const effects = client.term.effects().length;
      await conn.send("Nc(4244): \x1b[31mred\x1b[0m \x1b[1;4mbold\x1b[0m\x1b[2J\x1b[3J\x1b[H\x1b]0;pwned\x07\x07\x1b[A\x1b[2K\nTiger(4242): after the escapes\n");
      await client.expectLines(["Tiger(4242): after the escapes"], "the client shows the line after the escapes");
      // The client may style its own prompt: only the rows that show what was received, and titles or bells, are judged.
      // It may give all it prints a style of its own (curses paints every cell): the style of the line before the escapes.
      const rows = client.term.textRows();
      const received = new Set(rows.flatMap((row, i) => (/^(Nc\(4244\)|Tiger\(4242\)): /.test(row.text) ? [i] : [])));
      const own = new Set([client.term.rowStyle(rows.findIndex((row) => row.text.trimEnd() === "Tiger(4242): before the escapes"))]);
      const obeyed = [...client.term.effects().slice(effects), ...client.term.styledCells(received, own)];
      if (obeyed.length > 0) throw new CheckFailure("the lines received show as plain text, and nothing else happened", "no colour, attribute, title or bell", obeyed.join("; "));
      await client.expectLines(["Tiger(4242): before the escapes"], "the line before the escapes is still on the screen: nothing was cleared or erased");
      await client.expectLines([/^Nc\(4244\): .*red.*bold/], "the text around the escapes shows", { expected: "Nc(4244): ... red ... bold ..." });
    },
  }),
  check({
    id: "client-robustness/cannot-connect",
    group: "client-robustness",
    name: "when no server listens, says so in one line and exits with status 1",
    section: "11 The client",
    needs: [],
    hint: 'catch the connection error: print "cannot connect to localhost:PORT: connection refused" (no traceback) and exit 1',
    async run(ctx) {
      const port = await freePort();
      const client = new TerminalProgram(ctx, "client", [...ctx.programs.client, "--port", String(port)]);
      await client.expectExitStatus(1, "the client exits with status 1 when nothing listens on its port", 5_000);
      await client.expectLines([new RegExp(`^cannot connect to localhost:${port}\\b`)], "the client says it cannot connect", { expected: `cannot connect to localhost:${port}: connection refused` });
    },
  }),
];
