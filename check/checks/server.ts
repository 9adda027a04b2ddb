/**
 * Server checks of the protocol itself (what the seed report had, with its framing fixed),
 * over raw sockets, no terminal but the server's own console. Each starts its own server.
 */
import { chatLine, chatReceived, JOINED as WELCOME_TEXT, leftNotice as left, participants as count, PROPAGATED, WAITING } from "../../e2e/chat-lines.js";
import { CheckFailure, type Check, type CheckContext } from "../check.js";
import { quoteText } from "../programs/quote.js";
import { ServerUnderTest } from "../programs/server-under-test.js";
import { freePort } from "../../e2e/free-port.js";

const joined = (nick: string, port: number | string): string => `${nick}(${port}) has joined the chatroom!!`;
const said = (nick: string, port: number, text: string): string => chatLine(nick, String(port), text);

type ServerCheck = Omit<Check, "group" | "judges" | "needs"> & { needs?: string[] };

/** A server check of the protocol group; it needs the server to answer a nickname unless told otherwise. */
function check(c: ServerCheck): Check {
  return { group: "server", judges: ["server"], needs: ["server/answers-nickname"], ...c };
}

const start = (ctx: CheckContext, flags: string[] = []): Promise<ServerUnderTest> => ServerUnderTest.start(ctx, flags);

export const serverChecks: Check[] = [
  check({
    id: "server/starts",
    name: "starts with --port 0, prints its port line and the waiting line, and accepts a connection",
    section: "1 Programs",
    needs: [],
    hint: 'print ">>> Server is up on PORT:N" with the port you actually got (read it back from the socket after bind), then ">>> Waiting for clients..."',
    async run(ctx) {
      const server = await start(ctx);
      if (server.port === 0) throw new CheckFailure("the port line names the port the server listens on", ">>> Server is up on PORT:N with N not 0", ">>> Server is up on PORT:0");
      await server.expectConsole([`>>> Server is up on PORT:${server.port}`, WAITING], 0, "the port line is followed by the waiting line");
      await server.connect("Lion");
    },
  }),
  check({
    id: "server/port-flag",
    name: "listens on the port --port names",
    section: "1 Programs",
    needs: ["server/starts"],
    hint: "take the port from --port N; only --port 0 means any free port",
    async run(ctx) {
      const port = await freePort("127.0.0.1");
      const server = await ServerUnderTest.start(ctx, [], port);
      if (server.port !== port) throw new CheckFailure(`started with --port ${port}, the server says it listens there`, `>>> Server is up on PORT:${port}`, `>>> Server is up on PORT:${server.port}`);
      await server.connect("Lion");
    },
  }),
  check({
    id: "server/answers-nickname",
    name: "answers a client's nickname line with a line",
    section: "3 Registration",
    needs: ["server/starts"],
    hint: "read the first line a client sends as its nickname, then send it the welcome; end every line you send with \\n",
    async run(ctx) {
      const server = await start(ctx);
      await server.join("Lion");
    },
  }),
  check({
    id: "server/welcome",
    name: "welcomes a newcomer with the welcome line and one blank line",
    section: "6 What the server sends",
    hint: `send exactly ${quoteText(WELCOME_TEXT + "\n\n")} to the client that joined`,
    async run(ctx) {
      const server = await start(ctx);
      const lion = await server.connect("Lion");
      await lion.send("Lion\n");
      await lion.expectLines([WELCOME_TEXT, ""], 0, "the newcomer receives the welcome, then a blank line", { blanks: true });
      const { lines } = lion.linesSince(0);
      if (lines[0] !== WELCOME_TEXT || lines[1] !== "") {
        throw new CheckFailure("the welcome is the first thing the newcomer receives", quoteText(WELCOME_TEXT + "\n\n"), lion.arrivedSince(0));
      }
    },
  }),
  check({
    id: "server/join-notice",
    name: "tells the members already there who joined, with the newcomer's port",
    section: "6 What the server sends",
    hint: "send NICK(PORT) has joined the chatroom!! and Now participants: N to every other joined client; PORT is the newcomer's own port (its socket's remote port)",
    async run(ctx) {
      const server = await start(ctx);
      const lion = await server.join("Lion");
      const mark = lion.mark();
      await server.join("Tiger");
      // The model's notice (PROTOCOL.md section 6), told to Lion, the member already there.
      const notice = [joined("Tiger", server.model.portOf("Tiger")), count(server.model.joined().length)];
      await lion.expectLines(notice, mark, "Lion is told that Tiger joined");
    },
  }),
  check({
    id: "server/join-count",
    name: "counts the participants in join notices, the newcomer included",
    section: "6 What the server sends",
    hint: "N in Now participants: N is the number of joined clients after the join, counting the newcomer",
    async run(ctx) {
      const server = await start(ctx);
      const lion = await server.join("Lion");
      const mark = lion.mark();
      const tiger = await server.join("Tiger");
      const tigerMark = tiger.mark();
      await server.join("Rabbit");
      await lion.expectLines([count(2)], mark, "Lion's notice of the second join counts 2");
      await lion.expectLines([count(3)], mark, "Lion's notice of the third join counts 3");
      await tiger.expectLines([count(3)], tigerMark, "Tiger's notice of the third join counts 3");
    },
  }),
  check({
    id: "server/relay",
    name: "relays a chat line to another member as NICK(PORT): text",
    section: "4 Chat",
    hint: "send NICK(PORT): TEXT with the sender's nickname and port, and the text as it came, to the other members",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      const outcome = await server.says(lion!, "hi there");
      await tiger!.expectLines(ServerUnderTest.linesFor(outcome, tiger!), mark, "Tiger receives Lion's line");
    },
  }),
  check({
    id: "server/relay-to-all",
    name: "relays a chat line to every other member",
    section: "4 Chat",
    hint: "send each line to every joined client but its sender, not only to one",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger, rabbit] = await server.joinAll("Lion", "Tiger", "Rabbit");
      const marks = [lion!.mark(), tiger!.mark()];
      const outcome = await server.says(rabbit!, "hi all");
      await lion!.expectLines(ServerUnderTest.linesFor(outcome, lion!), marks[0]!, "Lion receives Rabbit's line");
      await tiger!.expectLines(ServerUnderTest.linesFor(outcome, tiger!), marks[1]!, "Tiger receives Rabbit's line");
    },
  }),
  check({
    id: "server/no-echo",
    name: "does not send a line back to its sender",
    section: "4 Chat",
    hint: "skip the sender when you relay its line",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const lionMark = lion!.mark();
      const tigerMark = tiger!.mark();
      await lion!.send("is there an echo?\n");
      await tiger!.expectLines([said("Lion", lion!.localPort, "is there an echo?")], tigerMark, "Tiger receives Lion's line");
      // Tiger answers after it got Lion's line: an echo to Lion would have come before the answer.
      await tiger!.send("no echo here\n");
      await lion!.expectLines([said("Tiger", tiger!.localPort, "no echo here")], lionMark, "Lion receives Tiger's answer");
      const { lines } = lion!.linesSince(lionMark);
      if (lines.some((line) => line.includes("is there an echo?"))) {
        throw new CheckFailure("Lion receives nothing of its own line", quoteText(said("Tiger", tiger!.localPort, "no echo here") + "\n"), lion!.arrivedSince(lionMark));
      }
    },
  }),
  check({
    id: "server/order",
    name: "keeps the order of one sender's lines",
    section: "4 Chat",
    hint: "relay lines in the order they arrive, each as soon as it is complete",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      const texts = Array.from({ length: 20 }, (_, i) => `line ${String(i + 1).padStart(2, "0")} of 20`);
      await lion!.sendPieces(texts.map((text) => text + "\n"));
      await tiger!.expectLines(texts.map((text) => said("Lion", lion!.localPort, text)), mark, "Tiger receives Lion's 20 lines, in order");
    },
  }),
  check({
    id: "server/spaces-kept",
    name: "relays a line with its leading and trailing spaces",
    section: "4 Chat",
    hint: "relay the text as sent: strip only the \\n (and a \\r before it), not spaces",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      await lion!.send("   indented, and spaces after   \n");
      await tiger!.expectLines([said("Lion", lion!.localPort, "   indented, and spaces after   ")], mark, "Tiger receives the line with its spaces");
    },
  }),
  check({
    id: "server/empty-lines",
    name: "ignores empty lines and lines of only spaces",
    section: "4 Chat",
    hint: "do not relay a line that is empty or only white space",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      await lion!.sendPieces(["\n", "   \n", "\t\n", "after the empty ones\n"]);
      const after = said("Lion", lion!.localPort, "after the empty ones");
      await tiger!.expectLines([after], mark, "Tiger receives the line after the empty ones");
      const first = tiger!.linesSince(mark).lines.find((line) => line !== "");
      if (first !== after) throw new CheckFailure("nothing of the empty lines is relayed", quoteText(after + "\n"), tiger!.arrivedSince(mark));
    },
  }),
  check({
    id: "server/crlf",
    name: 'takes "\\r\\n" as a line end',
    section: "2 Framing",
    hint: "when a line ends with \\r\\n, drop the \\r as well as the \\n",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      await lion!.send("sent with CRLF\r\n");
      await tiger!.expectLines([said("Lion", lion!.localPort, "sent with CRLF")], mark, "Tiger receives the line without its \\r");
    },
  }),
  check({
    id: "server/split-line",
    name: "joins a line that arrives in several pieces",
    section: "2 Framing",
    hint: "keep the bytes of an unfinished line until its \\n arrives; one recv() is not one line",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      await lion!.sendPieces(["this line ", "arrives in ", "three pieces\n"]);
      await tiger!.expectLines([said("Lion", lion!.localPort, "this line arrives in three pieces")], mark, "Tiger receives the line whole");
    },
  }),
  check({
    id: "server/glued-lines",
    name: "splits two lines that arrive in one piece",
    section: "2 Framing",
    hint: "one recv() may hold several lines: split on \\n and relay each as its own line",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      await lion!.send("first line\nsecond line\n");
      await tiger!.expectLines([said("Lion", lion!.localPort, "first line"), said("Lion", lion!.localPort, "second line")], mark, "Tiger receives two lines, each with its prefix");
    },
  }),
  check({
    id: "server/glued-nickname",
    name: "takes a nickname and a first chat line that arrive in one piece",
    section: "2 Framing",
    hint: "the nickname is the first line, not the first recv(): what follows its \\n is already chat",
    async run(ctx) {
      const server = await start(ctx);
      const tiger = await server.join("Tiger");
      const mark = tiger.mark();
      const lion = await server.connect("Lion");
      await lion.send("Lion\nhello in the same packet\n");
      await tiger.expectLines([said("Lion", lion.localPort, "hello in the same packet")], mark, "Tiger receives the line that came with the nickname, from Lion");
    },
  }),
  check({
    id: "server/utf8-split",
    name: "keeps a character whose UTF-8 bytes are split between two pieces",
    section: "2 Framing",
    hint: "decode a line only once it is complete (bytes, then decode), never each recv() on its own",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = tiger!.mark();
      const bytes = Buffer.from("안녕하세요, split\n", "utf8");
      await lion!.sendPieces([bytes.subarray(0, 4), bytes.subarray(4, 8), bytes.subarray(8)]);
      await tiger!.expectLines([said("Lion", lion!.localPort, "안녕하세요, split")], mark, "Tiger receives the Korean text whole");
    },
  }),
  check({
    id: "server/last-line",
    name: "relays a last line without newline when its sender closes",
    section: "2 Framing",
    hint: "when the connection ends, a line still buffered without \\n counts: relay it before the leave notice",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = lion!.mark();
      await tiger!.send("last words, no newline");
      server.leaves(tiger!, "end");
      await lion!.expectLines([said("Tiger", tiger!.localPort, "last words, no newline"), left("Tiger")], mark, "Lion receives the last line, then the leave notice");
    },
  }),
  check({
    id: "server/nick-trimmed",
    name: "trims spaces around a nickname",
    section: "3 Registration",
    hint: "strip white space from both ends of the nickname line (and its \\n) before using it",
    async run(ctx) {
      const server = await start(ctx);
      const tiger = await server.join("Tiger");
      const mark = tiger.mark();
      const cat = await server.join("Cat", "   Big_Cat  \n");
      await cat.send("meow\n");
      await tiger.expectLines([said("Big_Cat", cat.localPort, "meow")], mark, "Tiger receives Big_Cat's line");
    },
  }),
  check({
    id: "server/leave-notice",
    name: "tells the others when a member closes its connection",
    section: "6 What the server sends",
    hint: 'send User "NICK" left chatroom. followed by \\n to every other joined client',
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = lion!.mark();
      const outcome = server.leaves(tiger!, "end");
      await lion!.expectLines(ServerUnderTest.linesFor(outcome, lion!), mark, "Lion is told that Tiger left");
    },
  }),
  check({
    id: "server/leave-on-reset",
    name: "tells the others when a member's connection is reset",
    section: "5 Leaving",
    hint: "a reset (ECONNRESET) or a failed send is a leave too: catch it for that client alone and announce the leave",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = lion!.mark();
      const outcome = server.leaves(tiger!, "reset");
      await lion!.expectLines(ServerUnderTest.linesFor(outcome, lion!), mark, "Lion is told that Tiger left");
    },
  }),
  check({
    id: "server/leave-count",
    name: "counts one participant fewer after a leave",
    section: "5 Leaving",
    hint: "remove a client from the room when it leaves, so the next join notice counts right",
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      await server.settle(tiger!, [lion!]);
      const mark = lion!.mark();
      server.leaves(tiger!, "end");
      await tiger!.expectEnd(0, "the server closes Tiger's connection after Tiger's FIN");
      await server.join("Rabbit");
      await lion!.expectLines([count(2)], mark, "after Tiger left, the notice of Rabbit's join counts 2");
    },
  }),
  check({
    id: "server/half-close",
    name: "closes a connection whose client sent FIN",
    section: "5 Leaving",
    hint: "when recv() returns no bytes the client is done: close your side too",
    async run(ctx) {
      const server = await start(ctx);
      const [, tiger] = await server.joinAll("Lion", "Tiger");
      server.leaves(tiger!, "end");
      await tiger!.expectEnd(0, "the server closes Tiger's connection after Tiger's FIN");
    },
  }),
  check({
    id: "server/silent-unjoined",
    name: "does not announce a connection that leaves before its nickname",
    section: "5 Leaving",
    hint: "only a client that has joined is in the room: announce and count leaves of joined clients only",
    async run(ctx) {
      const server = await start(ctx);
      const lion = await server.join("Lion");
      const mark = lion.mark();
      const shy = await server.connect("Shy");
      server.leaves(shy, "end");
      await shy.expectEnd(0, "the server closes Shy's connection after Shy's FIN");
      await server.join("Tiger");
      await lion.expectLines([count(2)], mark, "Lion is then told that Tiger joined, as the second participant");
      const heard = lion.linesSince(mark).lines.filter((line) => line.includes(`(${shy.localPort})`) || line.includes("left chatroom"));
      if (heard.length > 0) throw new CheckFailure("Lion is told nothing about Shy, who never joined", "only Tiger's join notice", lion.arrivedSince(mark));
    },
  }),
  check({
    id: "server/blank-lines",
    name: "ends the welcome and each join notice with one blank line, and adds no other",
    section: "6 What the server sends",
    hint: 'the welcome is ">>> You have joined the chatroom now.\\n\\n" and a join notice ends "Now participants: N\\n\\n"; chat lines and leave notices carry no blank line',
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      await tiger!.send("a chat line\n");
      const rabbit = await server.join("Rabbit");
      await rabbit.send("another\n");
      server.leaves(rabbit, "end");
      // Its leave notice, whole or not, before the last line: so the leave notice is judged too.
      await lion!.waitForText(left("Rabbit"), 0, "Lion is told that Rabbit left");
      const last = said("Tiger", tiger!.localPort, "the last line");
      await tiger!.send("the last line\n");
      await lion!.waitForText(last + "\n", 0, "Lion receives Tiger's last line");
      // Every complete line Lion received, each with the blank lines that follow it.
      const { lines } = lion!.linesSince(0);
      const blanksAfter = (i: number): number => {
        let n = 0;
        while (lines[i + 1 + n] === "") n++;
        return n;
      };
      const wrong: string[] = [];
      if (lines[0] === "") wrong.push("a blank line before the welcome");
      lines.forEach((line, i) => {
        if (line === "" || i === lines.length - 1) return;
        const want = line === WELCOME_TEXT || /^Now participants: \d+$/.test(line) ? 1 : 0;
        const got = blanksAfter(i);
        if (got !== want) wrong.push(`${got} blank line${got === 1 ? "" : "s"} after ${quoteText(line)} (PROTOCOL.md wants ${want})`);
      });
      if (wrong.length > 0) {
        throw new CheckFailure(
          "blank lines only where the protocol puts them",
          quoteText(`${WELCOME_TEXT}\n\nTiger(PORT) has joined the chatroom!!\nNow participants: 2\n\n...`),
          `${wrong.join("; ")}; Lion received ${lion!.arrivedSince(0)}`,
        );
      }
    },
  }),
  check({
    id: "server/console-accept",
    name: 'prints ">>> Waiting for clients..." for every accepted connection',
    section: "8 The server's console",
    needs: ["server/starts"],
    hint: 'print ">>> Waiting for clients..." each time accept() returns, as the seed\'s accept loop did',
    async run(ctx) {
      const server = await start(ctx);
      await server.expectConsole([WAITING], 0, "the console shows the waiting line once listening");
      const mark = server.consoleMark();
      await server.connect("Lion");
      await server.expectConsole([WAITING], mark, "the console shows one more waiting line after a connection is accepted");
    },
  }),
  check({
    id: "server/console-join",
    name: "prints a join on its console, with the count and the propagation line",
    section: "8 The server's console",
    hint: 'print NICK(PORT) has joined the chatroom!!, Now participants: N, ">>> Message successfully propagated." and a blank line',
    async run(ctx) {
      const server = await start(ctx);
      const mark = server.consoleMark();
      const lion = await server.join("Lion");
      // The next connection's accept line comes after the blank line: so the blank line is judged, not the empty row under the cursor.
      await server.connect("Tiger");
      await server.expectConsole([joined("Lion", lion.localPort), count(1), PROPAGATED, "", WAITING], mark, "the console shows Lion's join, a blank line, then the next accept line");
    },
  }),
  check({
    id: "server/console-chat",
    name: "prints each relayed line's sender on its console",
    section: "8 The server's console",
    hint: 'print "chat received from NICK(ADDRESS:PORT)", ">>> Message successfully propagated." and a blank line for each relayed line',
    async run(ctx) {
      const server = await start(ctx);
      const [lion, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = server.consoleMark();
      await lion!.send("hello\n");
      await tiger!.waitForText("hello", 0, "Tiger receives Lion's line");
      await tiger!.send("hello back\n");
      const [lionPort, tigerPort] = [lion!.localPort, tiger!.localPort];
      await server.expectConsole(
        [chatReceived("Lion", String(lionPort)), PROPAGATED, "", chatReceived("Tiger", String(tigerPort))],
        mark,
        "the console shows that Lion's line was received and propagated, a blank line, then Tiger's",
        `chat received from Lion(127.0.0.1:${lionPort})\n${PROPAGATED}\n(a blank line)\nchat received from Tiger(127.0.0.1:${tigerPort})`,
      );
    },
  }),
  check({
    id: "server/console-leave",
    name: "prints a leave on its console, with the new count",
    section: "8 The server's console",
    hint: 'print User "NICK" left chatroom., ">>> Message successfully propagated.", a blank line, then Now participants: N',
    async run(ctx) {
      const server = await start(ctx);
      const [, tiger] = await server.joinAll("Lion", "Tiger");
      const mark = server.consoleMark();
      server.leaves(tiger!, "end");
      await server.expectConsole([left("Tiger"), PROPAGATED, "", count(1)], mark, "the console shows Tiger's leave and the new count");
    },
  }),
  ...(["SIGINT", "SIGTERM"] as const).map((signal) =>
    check({
      id: `server/${signal.toLowerCase()}`,
      name: `stops on ${signal}: closes every connection and exits with status 0`,
      section: "9 Shutdown",
      hint: `handle ${signal} (in Python, KeyboardInterrupt is SIGINT; signal.signal for SIGTERM): close every client socket and the listening socket, then exit 0`,
      async run(ctx) {
        const server = await start(ctx);
        const [lion] = await server.joinAll("Lion");
        const shy = await server.connect("Shy");
        server.signal(signal);
        await lion!.expectEnd(0, `Lion's connection is closed after ${signal}`, 5_000);
        await shy.expectEnd(0, `Shy's connection (no nickname yet) is closed after ${signal}`, 5_000);
        await server.program.expectExitStatus(0, `the server exits with status 0 after ${signal}`, 5_000);
      },
    }),
  ),
];
