/** The server being checked: started with --port and flags in a terminal, its port read from its console. */
import { SERVER_UP } from "../../e2e/chat-lines.js";
import { ChatModel, type Outcome } from "../../e2e/chat-model.js";
import { limitsFromFlags } from "../../e2e/limits.js";
import { describeExit } from "../../e2e/expectations.js";
import type { PtyTerminal } from "../../e2e/terminal.js";
import { waitUntil, WaitTimeout } from "../../e2e/wait.js";
import { ARRIVAL_MS, CheckFailure, type CheckContext } from "../check.js";
import { quoteText } from "./quote.js";
import { Probe } from "./probe.js";
import { isListening } from "./tcp-table.js";
import { TerminalProgram } from "./terminal-program.js";

/** The start of every line that refuses a newcomer (PROTOCOL.md sections 3 and 6). */
const REFUSAL = /^>>> (Nickname |No nickname |The chatroom is full)/;

/** How long a server may take to print its port line. */
export const STARTUP_MS = 10_000;

/** The non-blank lines a terminal printed, its wrapped rows joined. */
export function printedLineList(term: PtyTerminal): string[] {
  const text = term
    .textRows()
    .map((row) => row.text.trimEnd() + (row.next === "continues" ? "" : "\n"))
    .join("");
  return text.split("\n").filter((line) => line !== "");
}

/** What a terminal printed, lines separated by " | ". */
export function printedLines(term: PtyTerminal): string {
  const lines = printedLineList(term);
  return lines.length === 0 ? "nothing" : lines.join(" | ").slice(0, 500);
}

/**
 * Waits for the port line (PROTOCOL.md section 1) and returns the port. Fails, saying how
 * the program ended or that time ran out, and what it printed instead.
 */
export async function portLine(term: PtyTerminal, what: string, within = STARTUP_MS): Promise<number> {
  const found = (): number | undefined => {
    const match = term.rows().map((row) => SERVER_UP.exec(row.trimEnd())).find((m) => m !== null);
    return match ? Number(match[1]) : undefined;
  };
  try {
    await waitUntil(() => found() !== undefined || term.finished(), () => what, [term], Date.now() + within);
  } catch (error) {
    if (!(error instanceof WaitTimeout)) throw error;
  }
  const port = found();
  if (port !== undefined) return port;
  const how = term.exit ? `it exited (${describeExit(term)})` : `not within ${within / 1000} s`;
  throw new CheckFailure(what, ">>> Server is up on PORT:N", `${how}; it printed: ${printedLines(term)}`);
}

export class ServerUnderTest {
  /** What the chat must do (PROTOCOL.md, as e2e/chat-model.ts models it), kept in step with the connections. */
  readonly model: ChatModel;

  private constructor(
    private readonly ctx: CheckContext,
    readonly program: TerminalProgram,
    readonly port: number,
    flags: readonly string[],
  ) {
    this.model = new ChatModel(limitsFromFlags(flags));
    this.model.start();
  }

  /**
   * Runs the server command with `--port PORT` (0 unless given) and the flags, and waits
   * for its port line. Fails, saying what it printed, when it exits or never prints it.
   */
  static async start(ctx: CheckContext, flags: readonly string[] = [], port = 0): Promise<ServerUnderTest> {
    const args = ["--port", String(port), ...flags];
    const program = new TerminalProgram(ctx, "server", [...ctx.programs.server, ...args]);
    const bound = await portLine(program.term, `the server, started with ${args.join(" ")}, prints ">>> Server is up on PORT:N"`);
    return new ServerUnderTest(ctx, program, bound, flags);
  }

  /**
   * Opens a connection, as a client would, without sending anything (`halfOpen`: one that
   * stays open after the server's FIN). A refused connection is tried once more when the
   * port listens: a server may print its port line just before it listens.
   */
  async connect(name: string, options: { halfOpen?: boolean } = {}): Promise<Probe> {
    const open = (): Promise<Probe> => Probe.open(name, this.port, (line) => this.ctx.log(line), options.halfOpen);
    let probe: Probe;
    try {
      probe = await open().catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== "ECONNREFUSED") throw error;
        await waitUntil(() => isListening(this.port) || this.program.term.finished(), () => "the port to listen", [this.program.term], Date.now() + ARRIVAL_MS, { pollMs: 25 }).catch(() => {});
        return open();
      });
    } catch (error) {
      throw new CheckFailure(`${name} connects to the server on port ${this.port}`, "the connection accepted", (error as Error).message);
    }
    this.ctx.own(probe);
    this.model.connect(name, String(probe.localPort));
    return probe;
  }

  /**
   * Connects and sends the nickname line; resolves once the server answered with a line
   * (the welcome, whatever it says: the check "server/welcome" judges its text) and each
   * member given has received a line since (its join notice, whatever it says), or a
   * while has passed. A server that closes the connection instead refused the nickname.
   */
  async join(name: string, nickLine = name + "\n", members: readonly Probe[] = []): Promise<Probe> {
    const probe = await this.connect(name);
    const mark = probe.mark();
    const marks = members.map((m) => m.mark());
    this.model.nickname(name, nickLine.replace(/\r?\n$/, ""));
    await probe.send(nickLine);
    const answer = await probe.nextLine(mark, `the server answers ${name}'s nickname with a line`);
    await Promise.all(members.map((m, i) => m.nextLine(marks[i]!, "").catch(() => this.ctx.log(`${m.name} received no line when ${name} joined`))));
    if (probe.ended || REFUSAL.test(answer)) {
      const how = probe.ended ? "then the server closed the connection" : "a refusal";
      throw new CheckFailure(`${name} joins with the nickname ${quoteText(nickLine.replace(/\n$/, ""))}`, ">>> You have joined the chatroom now.", `${probe.arrivedSince(mark)}, ${how}`);
    }
    return probe;
  }

  /** Joins several members, one after the other, each answered, and the others told, before the next connects. */
  async joinAll(...names: string[]): Promise<Probe[]> {
    const members: Probe[] = [];
    for (const name of names) members.push(await this.join(name, name + "\n", members));
    return members;
  }

  /**
   * Makes sure everything the server sent the members before now has arrived: `from` says a
   * line, and each of the others waits for it (a server sends one member's output in order).
   * So a mark taken after this is not confused by the tail of an earlier notice.
   */
  async settle(from: Probe, others: readonly Probe[]): Promise<void> {
    const text = `settling ${Math.random().toString(36).slice(2, 10)}`;
    const marks = others.map((o) => o.mark());
    await from.send(text + "\n");
    await Promise.all(others.map((o, i) => o.waitForText(text, marks[i]!, `${o.name} receives ${from.name}'s line (so that everything sent before it has arrived)`)));
  }

  /** A member says a line; what it must make each party see. */
  async says(member: Probe, text: string): Promise<Outcome> {
    const outcome = this.model.chat(member.name, text);
    await member.send(text + "\n");
    return outcome;
  }

  /** A member leaves, by FIN or by reset; what it must make each party see. */
  leaves(member: Probe, how: "end" | "reset"): Outcome {
    if (how === "end") member.end();
    else member.reset();
    return this.model.leave(member.name);
  }

  /** The lines an outcome must show a member (ports are known: every line is exact). */
  static linesFor(outcome: Outcome, member: Probe): string[] {
    return outcome.shows.filter((s) => s.party === member.name).flatMap((s) => s.lines.map(String));
  }

  signal(signal: NodeJS.Signals): void {
    this.ctx.log(`server: sent ${signal}`);
    this.program.term.signal(signal);
  }

  /** A mark on the console: lines printed later show at or below it. */
  consoleMark(): number {
    return this.program.rowMark();
  }

  async expectConsole(block: readonly (string | RegExp)[], since: number, what: string, expected?: string, within = ARRIVAL_MS): Promise<void> {
    await this.program.expectLines(block, what, { since, within, expected });
  }
}

