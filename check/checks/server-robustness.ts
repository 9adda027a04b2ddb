/**
 * Server checks of what the seed report never had: limits (with their flags), refusals,
 * hostile bytes, slow readers and a graceful shutdown. A server can pass the protocol
 * group without these.
 */
import {
  BLANK_NICK,
  chatLine,
  leftNotice as left,
  lineTooLong,
  NICK_CHARACTERS,
  NICK_CONTROLS,
  NICK_SCRIPTS,
  nickTaken,
  nickTooLong,
  participants,
  registrationTimedOut,
  SERVER_CLOSED,
  SERVER_SHUTTING_DOWN,
  serverFull,
  SHUTDOWN_NOTICE,
} from "../../e2e/chat-lines.js";
import { ARRIVAL_MS, CheckFailure, type Check } from "../check.js";
import { formatSeconds, type Probe } from "../programs/probe.js";
import { quoteText } from "../programs/quote.js";
import { printedLineList, printedLines, ServerUnderTest } from "../programs/server-under-test.js";
import { TerminalProgram } from "../programs/terminal-program.js";

const said = (nick: string, port: number, text: string): string => chatLine(nick, String(port), text);

/** How long a refused connection may stay open after its refusal line (PROTOCOL.md section 3). */
const REFUSAL_LINGER_MS = 1_000;
/** How late a refused connection may be closed, past the linger: a reset is looked for every 200 ms, on a busy machine. */
const LINGER_SLACK_MS = 1_000;
/** How long a server that cannot start may take to exit (PROTOCOL.md section 12). */
const START_FAILURE_MS = 5_000;
/** A flood may arrive this much sooner than its budget allows: timers and reads are not exact. */
const SLACK = 0.8;

type RobustnessCheck = Omit<Check, "group" | "judges" | "needs"> & { needs?: string[] };

function check(c: RobustnessCheck): Check {
  return { group: "server-robustness", judges: ["server"], needs: ["server/answers-nickname"], ...c };
}

/** A line of exactly n bytes of ASCII, recognisable by its start. */
function lineOfBytes(n: number, start: string): string {
  return (start + " " + "x".repeat(n)).slice(0, n);
}

/** A chat line at the limit is relayed; one byte over it is refused to its sender alone, and the connection stays. */
function lineLimitCheck(id: string, limit: number, flags: string[]): Check {
  return check({
    id,
    name: `relays a line of ${limit} bytes and refuses one of ${limit + 1} with a notice to its sender${flags.length > 0 ? ` (${flags.join(" ")})` : " (the default limit)"}`,
    section: "10 Limits",
    hint: `count a line's bytes without its \\r\\n; over the limit, send ${quoteText(lineTooLong(limit) + "\n")} to the sender only, relay nothing, keep the connection`,
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, flags);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const lionMark = lion!.mark();
      const tigerMark = tiger!.mark();
      const fits = lineOfBytes(limit, "fits");
      const over = lineOfBytes(limit + 1, "over");
      await lion!.send(fits + "\n");
      await tiger!.expectLines([said("Lion", lion!.localPort, fits)], tigerMark, `Tiger receives Lion's ${limit}-byte line`);
      const refused = await server.says(lion!, over);
      await lion!.expectLines(ServerUnderTest.linesFor(refused, lion!), lionMark, `Lion is told that its ${limit + 1}-byte line was not sent`);
      await lion!.send("still connected\n");
      const next = said("Lion", lion!.localPort, "still connected");
      await tiger!.expectLines([next], tigerMark, "Tiger receives Lion's next line: the connection stays open");
      const lines = tiger!.linesSince(tigerMark).lines.filter((line) => line !== "");
      if (lines.length !== 2) throw new CheckFailure(`Tiger receives nothing of the ${limit + 1}-byte line`, quoteText(`${said("Lion", lion!.localPort, fits)}\n${next}\n`), tiger!.arrivedSince(tigerMark));
    },
  });
}

/**
 * Tiger sends rounds of 64 lines of about 1 KB, each received by Lion before the next, until
 * Lion is told that `reader` (who reads nothing) left: at most 256 rounds, 16 MiB. Returns
 * a mark at or before the leave notice. Only what arrived since the round before is
 * searched, so the checker's own work stays linear in what arrives.
 */
async function roundsUntilLeft(lion: Probe, tiger: Probe, reader: string, line: string): Promise<number> {
  let previous = lion.mark();
  for (let round = 0; round < 256 && !lion.hasReceived(left(reader), previous); round++) {
    const mark = lion.mark();
    await tiger.send(Array.from({ length: 64 }, (_, i) => `${line} ${round}.${i}\n`).join(""));
    await lion.expectLines([said("Tiger", tiger.localPort, `${line} ${round}.63`)], mark, `Lion receives Tiger's lines (round ${round + 1}) while ${reader} reads nothing`, { within: 5_000 });
    previous = mark;
  }
  return previous;
}

/** A nickname line the server refuses with one line, then closes; the others hear nothing of it. */
function refusalCheck(id: string, name: string, nickLine: string, refusal: string, hint: string, flags: string[] = [], member = "Lion"): Check {
  return check({
    id,
    name,
    section: "3 Registration",
    hint,
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, flags);
      const lion = await server.join(member);
      const lionMark = lion.mark();
      const refused = await server.connect("Refused");
      await refused.send(nickLine);
      await refused.expectLines([refusal], 0, `the server refuses the nickname ${quoteText(nickLine.replace(/\n$/, ""))}`);
      await refused.expectEnd(0, "then the server closes the connection");
      // Nobody was told: the member there hears of Tiger's join, as the second participant, and nothing else.
      await server.join("Tiger");
      await lion.expectLines([participants(2)], lionMark, `${member} is then told that Tiger joined, as the second participant`);
      const heard = lion.linesSince(lionMark).lines.filter((line) => line.includes(`(${refused.localPort})`) || line.includes("left chatroom"));
      if (heard.length > 0) throw new CheckFailure(`${member} hears nothing of the refused connection`, "only Tiger's join notice", lion.arrivedSince(lionMark));
    },
  });
}

export const serverRobustnessChecks: Check[] = [
  check({
    id: "server-robustness/controls",
    name: "relays control characters in caret notation, a tab as a space",
    section: "7 Control characters",
    hint: "replace each C0 control and DEL by ^ and the character 64 above it (ESC → ^[, BEL → ^G, DEL → ^?), a tab by one space, before relaying",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      const outcome = await server.says(lion!, "\x1b[31mred\x1b[0m bell\x07 bs\x08 cr\rx nul\0 del\x7f tab\tend");
      // "^[[31mred^[[0m bell^G bs^H cr^Mx nul^@ del^? tab end", as the model neutralises it.
      await tiger!.expectLines(ServerUnderTest.linesFor(outcome, tiger!), mark, "Tiger receives the line with its controls neutralised");
    },
  }),
  check({
    id: "server-robustness/c1-controls",
    name: "relays C1 control characters (U+0080 to U+009F) as U+FFFD",
    section: "7 Control characters",
    hint: "replace each character from U+0080 to U+009F by U+FFFD (�) before relaying",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      const outcome = await server.says(lion!, "c1: \u009b31m csi, \u0085 nel");
      await tiger!.expectLines(ServerUnderTest.linesFor(outcome, tiger!), mark, "Tiger receives the line with its C1 controls replaced");
    },
  }),
  check({
    id: "server-robustness/invalid-utf8",
    name: "relays bytes that are not UTF-8 as U+FFFD",
    section: "2 Framing",
    hint: 'decode with replacement (Python: bytes.decode("utf-8", "replace")) instead of failing on bad bytes',
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      await lion!.send(Buffer.concat([Buffer.from("bad "), Buffer.from([0xff]), Buffer.from(" and "), Buffer.from([0xc3]), Buffer.from(" end\n")]));
      await tiger!.expectLines([said("Lion", lion!.localPort, "bad \ufffd and \ufffd end")], mark, "Tiger receives the line with each bad byte as �");
    },
  }),
  lineLimitCheck("server-robustness/line-limit", 64, ["--max-line-bytes", "64"]),
  lineLimitCheck("server-robustness/line-limit-default", 4096, []),
  refusalCheck(
    "server-robustness/nick-blank",
    "refuses a blank nickname, tells nobody, and closes",
    "   \n",
    BLANK_NICK,
    `answer a nickname that is empty after trimming with ${quoteText(BLANK_NICK + "\n")} and close the connection`,
  ),
  refusalCheck(
    "server-robustness/nick-controls",
    "refuses a nickname with a control character, tells nobody, and closes",
    "Bad\x1b[31mName\n",
    NICK_CONTROLS,
    `answer a nickname holding a control character with ${quoteText(NICK_CONTROLS + "\n")} and close the connection`,
  ),
  refusalCheck(
    "server-robustness/nick-characters",
    'refuses a nickname holding anything but letters, digits, "_", "-" and "." (a space), tells nobody, and closes',
    "Big Cat\n",
    NICK_CHARACTERS,
    `allow letters (any script), their marks, digits, "_", "-" and "."; answer anything else with ${quoteText(NICK_CHARACTERS + "\n")} and close`,
  ),
  refusalCheck(
    "server-robustness/nick-invisible",
    "refuses a nickname holding an invisible character (Tig, a zero-width joiner, er: it looks like Tiger)",
    "Tig\u200der\n",
    NICK_CHARACTERS,
    `a zero-width joiner (U+200D) is a format character, not a letter: answer with ${quoteText(NICK_CHARACTERS + "\n")} and close`,
  ),
  refusalCheck(
    "server-robustness/nick-scripts",
    "refuses a nickname mixing scripts (a Cyrillic Т in Тiger), tells nobody, and closes",
    "\u0422iger\n",
    NICK_SCRIPTS,
    `take each letter's Unicode script; letters of two scripts (Han with Hiragana, Katakana, Hangul or Bopomofo aside) get ${quoteText(NICK_SCRIPTS + "\n")}`,
  ),
  refusalCheck(
    "server-robustness/nick-taken",
    "refuses a nickname already in the room, whatever its case (LION while Lion is there)",
    "LION\n",
    nickTaken("LION"),
    `keep the joined nicknames in lower case; a newcomer whose lower-cased nickname is among them gets ${quoteText(nickTaken("LION") + "\n")} (its nickname as it sent it) and is closed`,
  ),
  refusalCheck(
    "server-robustness/nick-taken-any-letter",
    "refuses a nickname already in the room in another case of a letter beyond ASCII (ÉMILE while émile is there)",
    "ÉMILE\n",
    nickTaken("ÉMILE"),
    "lower-case nicknames by Unicode's rules, not only A to Z (Python: str.lower(); JavaScript: toLowerCase(); C: towlower() per character is enough for É)",
    [],
    "émile",
  ),
  check({
    id: "server-robustness/nick-free-again",
    name: "lets a nickname be taken again once its member left",
    section: "3 Registration",
    needs: ["server-robustness/nick-taken"],
    hint: "forget a member's nickname when it leaves (on every way out: quit, reset, a drop)",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      const outcome = server.leaves(lion!, "end");
      await tiger!.expectLines(ServerUnderTest.linesFor(outcome, tiger!), mark, "Tiger is told that Lion left");
      const again = await server.join("Again", "lion\n");
      const next = tiger!.mark();
      await again.send("the name was free\n");
      await tiger!.expectLines([said("lion", again.localPort, "the name was free")], next, "lion, the name of a member who left, joins and is heard");
    },
  }),
  check({
    id: "server-robustness/nick-any-script",
    name: "accepts nicknames of letters and digits of any one script: 호랑이, Rémy, 山田たろう, Ἀχιλλεύς, jean-luc.o_neil, R2D2",
    section: "3 Registration",
    hint: "letters are Unicode letters (Python: str.isalpha(), or the category starting with L), not just A to Z; Japanese mixes Han with Hiragana and Katakana, and that is one writing system",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const lion = await server.join("Lion");
      for (const nick of ["호랑이", "Rémy", "山田たろう", "Ἀχιλλεύς", "jean-luc.o_neil", "R2D2"]) {
        const member = await server.join(nick, nick + "\n");
        const mark = lion.mark();
        await member.send("hello\n");
        await lion.expectLines([said(nick, member.localPort, "hello")], mark, `${nick} joined and is heard`);
      }
    },
  }),
  check({
    id: "server-robustness/nick-nfc",
    name: "keeps a nickname in its composed form (NFC): Re, a combining acute accent, my joins as Rémy",
    section: "3 Registration",
    hint: 'normalise the trimmed nickname to NFC before judging and using it (Python: unicodedata.normalize("NFC", nick))',
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const lion = await server.join("Lion");
      const remy = await server.join("Remy", "Re\u0301my\n");
      const mark = lion.mark();
      await remy.send("bonjour\n");
      await lion.expectLines([said("R\u00e9my", remy.localPort, "bonjour")], mark, "Lion receives the line of Rémy, its é one composed character");
    },
  }),
  refusalCheck(
    "server-robustness/nick-too-long",
    "refuses a nickname longer than --max-nick-chars, tells nobody, and closes",
    "Elephants\n",
    nickTooLong(8),
    "count the nickname's characters (not bytes) after trimming; over the limit, answer with the refusal line and close",
    ["--max-nick-chars", "8"],
  ),
  check({
    id: "server-robustness/nick-at-limit",
    name: "accepts a nickname of exactly --max-nick-chars characters, counted after trimming, in characters not bytes",
    section: "10 Limits",
    hint: "trim first, then count characters (code points): 8 Korean syllables are 8 characters, 24 bytes",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, ["--max-nick-chars", "8"]);
      const lion = await server.join("Lion");
      const mark = lion.mark();
      const ele = await server.join("Ele", "  Elephant  \n");
      const kor = await server.join("Kor", "코끼리코끼리코끼\n");
      await ele.send("trunk\n");
      await kor.send("trunk\n");
      await lion.expectLines([said("Elephant", ele.localPort, "trunk")], mark, "Elephant (8 characters) joined and is heard");
      await lion.expectLines([said("코끼리코끼리코끼", kor.localPort, "trunk")], mark, "코끼리코끼리코끼 (8 characters) joined and is heard");
    },
  }),
  refusalCheck(
    "server-robustness/nick-too-long-default",
    "refuses a nickname of 33 characters (the default limit is 32)",
    "A".repeat(33) + "\n",
    nickTooLong(32),
    "the default nickname limit is 32 characters",
  ),
  check({
    id: "server-robustness/max-clients",
    name: "refuses a connection past --max-clients, counting those still registering, and has room again after a leave",
    section: "10 Limits",
    hint: 'count open connections, joined or not; past the limit send ">>> The chatroom is full (N clients). Try again later." and close it (its side at once, entirely within 1 s: section 3)',
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, ["--max-clients", "2"]);
      const lion = await server.join("Lion");
      const shy = await server.connect("Shy");
      const third = await server.connect("Third");
      await third.expectLines([serverFull(2)], 0, "Third is told the room is full (Lion joined, Shy still registering)");
      await third.expectEnd(0, "then the server closes Third's connection");
      server.leaves(shy, "end");
      await shy.expectEnd(0, "the server closes Shy's connection after Shy's FIN");
      const rabbit = await server.join("Rabbit");
      const mark = lion.mark();
      await rabbit.send("I got in\n");
      await lion.expectLines([said("Rabbit", rabbit.localPort, "I got in")], mark, "once Shy is gone, Rabbit joins and is heard");
    },
  }),
  check({
    id: "server-robustness/registration-timeout",
    name: "closes a connection that sends no whole nickname line within --registration-timeout-ms",
    section: "10 Limits",
    hint: `start a timer per connection; when it fires before the nickname line, send ${quoteText(registrationTimedOut(1000) + "\n")}, or ${quoteText(registrationTimedOut(1000, true) + "\n")} when bytes came but no "\\n" (1 second for 1000 ms), and close`,
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, ["--registration-timeout-ms", "1000"]);
      const lion = await server.join("Lion");
      const quiet = await server.connect("Quiet");
      const half = await server.connect("Half");
      await half.send("Li");
      await quiet.expectLines([registrationTimedOut(1000)], 0, "Quiet, who sent nothing, is told so", { within: 4_000 });
      await half.expectLines([registrationTimedOut(1000, true)], 0, 'Half, who sent half a nickname but no "\\n", is told so', { within: 4_000 });
      await quiet.expectEnd(0, "then the server closes Quiet's connection");
      await half.expectEnd(0, "then the server closes Half's connection");
      if (lion.ended) throw new CheckFailure("Lion, who joined in time, stays connected", "Lion's connection open", "the server closed it");
    },
  }),
  check({
    id: "server-robustness/slow-reader",
    name: "drops a member that stops reading once its backlog passes --max-queued-bytes; the others keep receiving",
    section: "10 Limits",
    hint: "never block the room on one client: queue its output, and disconnect it (announcing the leave) once the queue passes the cap",
    async run(ctx) {
      // No flood control: Tiger sends megabytes at once, as fast as Lion reads them.
      const server = await ServerUnderTest.start(ctx, ["--max-queued-bytes", "262144", "--rate-lines", "0", "--rate-bytes", "0"]);
      const [lion, tiger, slow] = await server.joinAll("Lion", "Tiger", "Slow");
      slow!.pauseReading();
      // Rounds that Lion keeps up with, until Slow's backlog, past both kernels' socket
      // buffers, reaches the cap: 64 KiB a round, at most 16 MiB.
      const line = "m".repeat(1000);
      const searchFrom = await roundsUntilLeft(lion!, tiger!, "Slow", line);
      await lion!.expectLines([left("Slow")], searchFrom, "Lion is told that Slow left, once Slow's backlog passed the cap", { within: 5_000 });
      const mark = lion!.mark();
      await tiger!.send("still flowing\n");
      await lion!.expectLines([said("Tiger", tiger!.localPort, "still flowing")], mark, "Lion keeps receiving after Slow was dropped");
    },
  }),
  check({
    id: "server-robustness/refusal-frees-slot",
    name: "frees a refused connection's slot at once, even while the refused client keeps its socket open",
    section: "10 Limits",
    needs: ["server-robustness/nick-blank", "server-robustness/max-clients"],
    hint: "count a connection out of --max-clients as soon as it is refused, not when its socket finally closes",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, ["--max-clients", "2"]);
      await server.join("Lion");
      const idle = await server.connect("Idle", { halfOpen: true });
      server.model.nickname("Idle", "   ");
      await idle.send("   \n");
      await idle.expectLines([BLANK_NICK], 0, "Idle's blank nickname is refused");
      const rabbit = await server.join("Rabbit");
      if (rabbit.hasReceived("full")) throw new CheckFailure("Rabbit joins: Idle was refused, so the room has a free slot", ">>> You have joined the chatroom now.", rabbit.arrivedSince(0));
    },
  }),
  check({
    id: "server-robustness/refusal-closes",
    name: "closes a refused connection entirely within 1 s of its refusal, even when the client never closes its side",
    section: "3 Registration",
    needs: ["server-robustness/nick-blank"],
    hint: "after the refusal line, close your sending side, then close the socket outright after at most 1 second (REFUSAL_LINGER_MS) whatever the client does",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const idle = await server.connect("Idle", { halfOpen: true });
      await idle.send("   \n");
      await idle.expectLines([BLANK_NICK], 0, "Idle's blank nickname is refused");
      await idle.expectClosedEntirely("the server closes Idle's connection entirely, though Idle keeps its side open", REFUSAL_LINGER_MS + LINGER_SLACK_MS);
    },
  }),
  check({
    id: "server-robustness/flood-slowed",
    name: "slows a member past --rate-lines and --burst-lines, losing none of its lines, keeping its order and its connection",
    section: "10 Limits",
    needs: ["server/glued-lines"],
    hint: "give each member a token bucket of --burst-lines lines refilled at --rate-lines a second; when it is empty, stop reading that member's socket until it refills (pause, not drop)",
    async run(ctx) {
      const [rate, burst, count] = [10, 5, 25];
      const server = await ServerUnderTest.start(ctx, ["--rate-lines", String(rate), "--burst-lines", String(burst), "--rate-bytes", "0"]);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      // Tiger's bucket is full or, if its nickname counted, a line short: the flood can only take longer.
      const mark = lion!.mark();
      const lines = Array.from({ length: count }, (_, i) => `flood ${i + 1} of ${count}`);
      const sent = performance.now();
      await tiger!.send(lines.map((line) => line + "\n").join(""));
      const least = ((count - burst) / rate) * 1000;
      await lion!.expectLines(lines.map((line) => said("Tiger", tiger!.localPort, line)), mark, `Lion receives all ${count} lines of Tiger's flood, in order`, { within: 3 * least + ARRIVAL_MS });
      const took = performance.now() - sent;
      if (took < SLACK * least) {
        throw new CheckFailure(`${count} lines at once, with --burst-lines ${burst} --rate-lines ${rate}, reach Lion over at least ${formatSeconds(least)} (${count - burst} lines past the burst at ${rate} a second)`, `the last line after ${formatSeconds(SLACK * least)} or more`, `all of them within ${formatSeconds(Math.round(took))}`);
      }
      if (tiger!.ended) throw new CheckFailure("Tiger, the flooder, stays connected: it is slowed, not dropped", "Tiger's connection open", "the server closed it");
    },
  }),
  check({
    id: "server-robustness/flood-blank-lines",
    name: "counts blank lines toward --rate-lines: the line after a flood of them is slowed too",
    section: "4 Chat",
    needs: ["server-robustness/flood-slowed"],
    hint: "charge every line read to the budget before deciding what to do with it: a blank line is relayed to nobody, but it costs a line like any other",
    async run(ctx) {
      const [rate, burst, blanks] = [10, 5, 20];
      const server = await ServerUnderTest.start(ctx, ["--rate-lines", String(rate), "--burst-lines", String(burst), "--rate-bytes", "0"]);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = lion!.mark();
      const sent = performance.now();
      await tiger!.send("\n".repeat(blanks) + "after the blanks\n");
      const least = ((blanks + 1 - burst) / rate) * 1000;
      await lion!.expectLines([said("Tiger", tiger!.localPort, "after the blanks")], mark, `Lion receives Tiger's line after its ${blanks} blank lines`, { within: 3 * least + ARRIVAL_MS });
      const took = performance.now() - sent;
      if (took < SLACK * least) {
        throw new CheckFailure(`${blanks} blank lines and a line, at once, with --burst-lines ${burst} --rate-lines ${rate}, take at least ${formatSeconds(least)} to be read (${blanks + 1 - burst} lines past the burst at ${rate} a second)`, `the line after ${formatSeconds(SLACK * least)} or more`, `it arrived within ${formatSeconds(Math.round(took))}: the blank lines cost nothing`);
      }
    },
  }),
  check({
    id: "server-robustness/flood-bytes",
    name: "slows a member past --rate-bytes and --burst-bytes, losing nothing",
    section: "10 Limits",
    needs: ["server-robustness/flood-slowed"],
    hint: "a second token bucket, of bytes (--burst-bytes, refilled at --rate-bytes a second), paces reading the same way as the one of lines",
    async run(ctx) {
      const [rate, burst, count, size] = [2048, 2048, 6, 1000];
      const server = await ServerUnderTest.start(ctx, ["--rate-bytes", String(rate), "--burst-bytes", String(burst), "--rate-lines", "0"]);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = lion!.mark();
      const lines = Array.from({ length: count }, (_, i) => (`bulk ${i + 1} of ${count} ` + "b".repeat(size)).slice(0, size - 1));
      const sent = performance.now();
      await tiger!.send(lines.map((line) => line + "\n").join(""));
      const least = ((count * size - burst) / rate) * 1000;
      await lion!.expectLines(lines.map((line) => said("Tiger", tiger!.localPort, line)), mark, `Lion receives all ${count} lines of ${size} bytes, in order`, { within: 3 * least + ARRIVAL_MS });
      const took = performance.now() - sent;
      if (took < SLACK * least) {
        throw new CheckFailure(`${count * size} bytes at once, with --burst-bytes ${burst} --rate-bytes ${rate}, reach Lion over at least ${formatSeconds(Math.round(least))}`, `the last line after ${formatSeconds(Math.round(SLACK * least))} or more`, `all of them within ${formatSeconds(Math.round(took))}`);
      }
    },
  }),
  check({
    id: "server-robustness/flood-others-flow",
    name: "relays the others' lines at once while a flooder is being slowed",
    section: "10 Limits",
    needs: ["server-robustness/flood-slowed"],
    hint: "slow the flooder by not reading its socket, not by sleeping in the code that serves everyone",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, ["--rate-lines", "2", "--burst-lines", "1", "--rate-bytes", "0"]);
      const [lion, tiger, rabbit] = await server.joinAll("Lion", "Tiger", "Rabbit");
      const mark = lion!.mark();
      await tiger!.send(Array.from({ length: 10 }, (_, i) => `flood ${i + 1}\n`).join(""));
      await lion!.expectLines([said("Tiger", tiger!.localPort, "flood 1")], mark, "Lion receives Tiger's first line");
      await rabbit!.send("may I?\n");
      await lion!.expectLines([said("Rabbit", rabbit!.localPort, "may I?")], mark, "Lion receives Rabbit's line while Tiger's flood is still being read at 2 lines a second");
      if (lion!.hasReceived(said("Tiger", tiger!.localPort, "flood 10"), mark)) {
        throw new CheckFailure("Rabbit's line arrives before the end of Tiger's flood (which takes over 4 s)", "Rabbit's line among Tiger's", lion!.arrivedSince(mark));
      }
    },
  }),
  check({
    id: "server-robustness/stalled-reader",
    name: "drops a member whose queued output has not moved for --stall-timeout-ms, long before --max-queued-bytes",
    section: "10 Limits",
    needs: ["server-robustness/slow-reader"],
    hint: "note when a member's queued output last shrank; when it has not for --stall-timeout-ms, drop the member (it is gone or stuck) and announce its leave",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, ["--max-queued-bytes", String(1 << 30), "--stall-timeout-ms", "1000", "--rate-lines", "0", "--rate-bytes", "0"]);
      const [lion, tiger, stuck] = await server.joinAll("Lion", "Tiger", "Stuck");
      stuck!.pauseReading();
      // Rounds until Stuck's backlog is past both kernels' socket buffers and waits in the
      // server: 64 KiB a round, at most 16 MiB, far below the 1 GiB --max-queued-bytes.
      const searchFrom = await roundsUntilLeft(lion!, tiger!, "Stuck", "s".repeat(1000));
      await lion!.expectLines([left("Stuck")], searchFrom, "Lion is told that Stuck left, once its output had not moved for 1 s", { within: 1_000 + ARRIVAL_MS + 2_000 });
    },
  }),
  check({
    id: "server-robustness/invisible-characters",
    name: "relays bidi controls, line separators and invisible characters as <U+XXXX>; a zero-width joiner passes",
    section: "7 Control characters",
    needs: ["server-robustness/controls"],
    hint: "replace U+061C, U+180E, U+200B, U+200E, U+200F, U+2028 to U+202E, U+2060 to U+2064, U+2066 to U+2069 and U+FEFF by <U+XXXX> (four hex digits, capitals); leave U+200C and U+200D",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      const outcome = await server.says(lion!, "\u202Eolleh zero\u200Bwidth line\u2028break isolate\u2066x\u2069 bom\uFEFF family \u{1F468}\u200D\u{1F469}");
      // "<U+202E>olleh zero<U+200B>width line<U+2028>break isolate<U+2066>x<U+2069> bom<U+FEFF> family 👨‍👩", as the model neutralises it.
      await tiger!.expectLines(ServerUnderTest.linesFor(outcome, tiger!), mark, "Tiger receives the line with its invisible characters made visible");
    },
  }),
  check({
    id: "server-robustness/console-paused",
    name: "keeps relaying while its terminal is paused with Ctrl-S, and prints again after Ctrl-Q",
    section: "8 The server's console",
    needs: ["server/glued-lines"],
    hint: "never let a console write hold up the room: write the console from a queue of bounded size (a thread, or non-blocking writes), dropping and counting lines while it is full",
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, ["--rate-lines", "0", "--rate-bytes", "0"]);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      server.program.type("\x13"); // Ctrl-S: the terminal stops taking the server's output
      // 2,000 lines make some 160 KB of console lines, far more than a terminal holds while stopped.
      const mark = lion!.mark();
      for (let batch = 0; batch < 20; batch++) {
        await tiger!.send(Array.from({ length: 100 }, (_, i) => `paused ${batch * 100 + i + 1}\n`).join(""));
      }
      await lion!.expectLines([said("Tiger", tiger!.localPort, "paused 2000")], mark, "Lion receives all 2,000 of Tiger's lines while the server's terminal is paused", { within: 10_000 });
      server.program.type("\x11"); // Ctrl-Q
      // What the server held back may be dropped (its console is bounded): newcomers join,
      // one every quarter second, until the console shows one of their joins.
      const consoleMark = server.consoleMark();
      const shown = /^Late\d+\(\d+\) has joined the chatroom!!$/;
      for (let i = 1; i <= 20; i++) {
        await server.join(`Late${i}`);
        const joinedLine = await server.expectConsole([shown], consoleMark, "", undefined, 250).then(() => true, () => false);
        if (joinedLine) return;
      }
      await server.expectConsole([shown], consoleMark, "after Ctrl-Q the console shows the joins of newcomers again", "Late1(PORT) has joined the chatroom!! (or a later newcomer's)", 1_000);
    },
  }),
  check({
    id: "server-robustness/shutdown-notice",
    name: "on SIGTERM, tells every connection the server is shutting down, and announces no leaves",
    section: "9 Shutdown",
    needs: ["server/sigterm"],
    hint: 'on SIGTERM send ">>> The server is shutting down." to every connection, joined or not, then close them without leave notices',
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      await server.settle(tiger!, [lion!]);
      const shy = await server.connect("Shy");
      const mark = lion!.mark();
      server.signal("SIGTERM");
      await lion!.expectLines([SHUTDOWN_NOTICE], mark, "Lion is told the server is shutting down", { within: 5_000 });
      await shy.expectLines([SHUTDOWN_NOTICE], 0, "Shy (no nickname yet) is told too", { within: 5_000 });
      await lion!.expectEnd(mark, "then Lion's connection is closed", 5_000);
      const lines = lion!.linesSince(mark).lines.filter((line) => line !== "");
      if (lines.length !== 1) throw new CheckFailure("Lion receives the notice and nothing else (no leave notices while closing)", quoteText(SHUTDOWN_NOTICE + "\n"), lion!.arrivedSince(mark));
    },
  }),
  check({
    id: "server-robustness/shutdown-console",
    name: 'on SIGTERM, prints ">>> Server is shutting down..." then ">>> Server closed."',
    section: "8 The server's console",
    needs: ["server/sigterm"],
    hint: 'print ">>> Server is shutting down..." when the signal arrives and ">>> Server closed." once every connection is closed',
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx);
      await server.joinAll("Lion");
      const mark = server.consoleMark();
      server.signal("SIGTERM");
      await server.expectConsole([SERVER_SHUTTING_DOWN, SERVER_CLOSED], mark, "the console shows the shutdown", undefined, 5_000);
    },
  }),
  check({
    id: "server-robustness/port-taken",
    name: "when its port is taken, says so in one line and exits with status 1",
    section: "12 Exit statuses",
    needs: ["server/starts"],
    hint: 'catch the error of bind() or listen(): print one line such as "cannot listen on localhost:PORT: address already in use" on standard error (no traceback) and exit 1; do not set SO_REUSEPORT, which lets two servers share a port',
    async run(ctx) {
      const first = await ServerUnderTest.start(ctx);
      const second = new TerminalProgram(ctx, "second-server", [...ctx.programs.server, "--port", String(first.port)]);
      await second.expectExitStatus(1, `a second server, started with --port ${first.port} where the first listens, exits with status 1`, START_FAILURE_MS);
      // The terminal shows standard output and standard error together: what is judged is that nothing else was printed.
      const lines = printedLineList(second.term);
      if (lines.length !== 1) {
        throw new CheckFailure("it says why in one line", `one line, such as "cannot listen on localhost:${first.port}: address already in use"`, `${lines.length} lines: ${printedLines(second.term)}`);
      }
    },
  }),
  check({
    id: "server-robustness/bad-port",
    name: "refuses a --port that is not a port number, with exit status 1",
    section: "12 Exit statuses",
    needs: ["server/starts"],
    hint: "take --port only as a whole number from 0 to 65535; otherwise say why on standard error and exit 1 (Python's argparse exits 2: override its error method)",
    async run(ctx) {
      for (const value of ["eighty", "65536"]) {
        const program = new TerminalProgram(ctx, `server-port-${value}`, [...ctx.programs.server, "--port", value]);
        await program.expectExitStatus(1, `the server, started with --port ${value}, exits with status 1`, START_FAILURE_MS);
      }
    },
  }),
];
