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
  NICK_CONTROLS,
  nickTooLong,
  participants,
  registrationTimedOut,
  SERVER_CLOSED,
  SERVER_SHUTTING_DOWN,
  serverFull,
  SHUTDOWN_NOTICE,
} from "../../e2e/chat-lines.js";
import { CheckFailure, type Check } from "../check.js";
import { quoteText } from "../programs/quote.js";
import { ServerUnderTest } from "../programs/server-under-test.js";

const said = (nick: string, port: number, text: string): string => chatLine(nick, String(port), text);

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

/** A nickname line the server refuses with one line, then closes; the others hear nothing of it. */
function refusalCheck(id: string, name: string, nickLine: string, refusal: string, hint: string, flags: string[] = []): Check {
  return check({
    id,
    name,
    section: "3 Registration",
    hint,
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, flags);
      const lion = await server.join("Lion");
      const lionMark = lion.mark();
      const refused = await server.connect("Refused");
      await refused.send(nickLine);
      await refused.expectLines([refusal], 0, `the server refuses the nickname ${quoteText(nickLine.replace(/\n$/, ""))}`);
      await refused.expectEnd(0, "then the server closes the connection");
      // Nobody was told: Lion hears of Tiger's join, as the second participant, and nothing else.
      await server.join("Tiger");
      await lion.expectLines([participants(2)], lionMark, "Lion is then told that Tiger joined, as the second participant");
      const heard = lion.linesSince(lionMark).lines.filter((line) => line.includes(`(${refused.localPort})`) || line.includes("left chatroom"));
      if (heard.length > 0) throw new CheckFailure("Lion hears nothing of the refused connection", "only Tiger's join notice", lion.arrivedSince(lionMark));
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
    hint: 'count open connections, joined or not; past the limit send ">>> The chatroom is full (N clients). Try again later." and close at once',
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
    hint: 'start a timer per connection; when it fires before the nickname line, send ">>> No nickname received within S seconds. Closing connection." (1 second for 1000 ms) and close',
    async run(ctx) {
      const server = await ServerUnderTest.start(ctx, ["--registration-timeout-ms", "1000"]);
      const lion = await server.join("Lion");
      const quiet = await server.connect("Quiet");
      const half = await server.connect("Half");
      await half.send("Li");
      const notice = registrationTimedOut(1000);
      await quiet.expectLines([notice], 0, "Quiet, who sent nothing, is told so", { within: 4_000 });
      await half.expectLines([notice], 0, "Half, who sent half a nickname, is told so", { within: 4_000 });
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
      const server = await ServerUnderTest.start(ctx, ["--max-queued-bytes", "262144"]);
      const [lion, tiger, slow] = await server.joinAll("Lion", "Tiger", "Slow");
      slow!.pauseReading();
      // Rounds that Lion keeps up with, until Slow's backlog, past both kernels' socket
      // buffers, reaches the cap: 64 KiB a round, at most 16 MiB.
      const line = "m".repeat(1000);
      for (let round = 0; round < 256 && !lion!.hasReceived(left("Slow")); round++) {
        const mark = lion!.mark();
        await tiger!.send(Array.from({ length: 64 }, (_, i) => `${line} ${round}.${i}\n`).join(""));
        await lion!.expectLines([said("Tiger", tiger!.localPort, `${line} ${round}.63`)], mark, `Lion receives Tiger's lines (round ${round + 1}) while Slow reads nothing`, { within: 5_000 });
      }
      await lion!.expectLines([left("Slow")], 0, "Lion is told that Slow left, once Slow's backlog passed the cap", { within: 5_000 });
      const mark = lion!.mark();
      await tiger!.send("still flowing\n");
      await lion!.expectLines([said("Tiger", tiger!.localPort, "still flowing")], mark, "Lion keeps receiving after Slow was dropped");
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
];
