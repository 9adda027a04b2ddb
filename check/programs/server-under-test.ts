/** The server being checked: started with --port and flags in a terminal, its port read from its console. */
import { describeExit } from "../../e2e/expectations.js";
import { waitUntil, WaitTimeout } from "../../e2e/wait.js";
import { ARRIVAL_MS, CheckFailure, type CheckContext } from "../check.js";
import { Inbox } from "./inbox.js";
import { isListening } from "./tcp-table.js";
import { TerminalProgram } from "./terminal-program.js";

/** The line a server prints once it listens (PROTOCOL.md section 1); group 1 is the port. */
export const PORT_LINE = /^>>> Server is up on PORT:(\d+)$/;
/** How long a server may take to print its port line. */
export const STARTUP_MS = 10_000;

export class ServerUnderTest {
  private constructor(
    private readonly ctx: CheckContext,
    readonly program: TerminalProgram,
    readonly port: number,
  ) {}

  /**
   * Runs the server command with `--port PORT` (0 unless given) and the flags, and waits
   * for its port line. Fails, saying what it printed, when it exits or never prints it.
   */
  static async start(ctx: CheckContext, flags: readonly string[] = [], port = 0): Promise<ServerUnderTest> {
    const args = ["--port", String(port), ...flags];
    const program = new TerminalProgram(ctx, "server", [...ctx.programs.server, ...args]);
    const portLine = (): RegExpExecArray | undefined => program.term.rows().map((row) => PORT_LINE.exec(row.trimEnd())).find((m) => m !== null) ?? undefined;
    const what = `the server, started with ${args.join(" ")}, prints ">>> Server is up on PORT:N"`;
    try {
      await waitUntil(
        () => {
          if (portLine() !== undefined) return true;
          if (program.term.finished()) throw new CheckFailure(what, ">>> Server is up on PORT:N", `it exited (${describeExit(program.term)}) first; its screen:\n${program.screen()}`);
          return false;
        },
        () => what,
        [program.term],
        Date.now() + STARTUP_MS,
      );
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      throw new CheckFailure(what, ">>> Server is up on PORT:N", `not within ${STARTUP_MS / 1000} s; its screen:\n${program.screen()}`);
    }
    return new ServerUnderTest(ctx, program, Number(portLine()![1]));
  }

  /**
   * Opens a connection, as a client would, without sending anything; first waits a moment
   * for the port to listen: a server may print its port line just before it listens.
   */
  async connect(name: string): Promise<Inbox> {
    await waitUntil(() => isListening(this.port) || this.program.term.finished(), () => "the port to listen", [this.program.term], Date.now() + ARRIVAL_MS).catch(() => {});
    let inbox: Inbox;
    try {
      inbox = await Inbox.open(name, this.port, (line) => this.ctx.log(line));
    } catch (error) {
      throw new CheckFailure(`${name} connects to the server on port ${this.port}`, "the connection accepted", (error as Error).message);
    }
    this.ctx.own(inbox);
    return inbox;
  }

  /**
   * Connects and sends the nickname line; resolves once the server answered with a line
   * (the welcome, whatever it says: the check "server/welcome" judges its text) and each
   * member given has received a line since (its join notice, whatever it says), or a
   * while has passed: so what they receive later is not mistaken for the notice.
   */
  async join(name: string, nickLine = name + "\n", members: readonly Inbox[] = []): Promise<Inbox> {
    const inbox = await this.connect(name);
    const mark = inbox.mark();
    const marks = members.map((m) => m.mark());
    await inbox.send(nickLine);
    await inbox.nextLine(mark, `the server answers ${name}'s nickname with a line`);
    await Promise.all(members.map((m, i) => m.nextLine(marks[i]!, "").catch(() => this.ctx.log(`${m.name} received no line when ${name} joined`))));
    return inbox;
  }

  /** Joins several members, one after the other, each answered, and the others told, before the next connects. */
  async joinAll(...names: string[]): Promise<Inbox[]> {
    const members: Inbox[] = [];
    for (const name of names) members.push(await this.join(name, name + "\n", members));
    return members;
  }

  signal(signal: NodeJS.Signals): void {
    this.ctx.log(`server: sent ${signal}`);
    this.program.term.signal(signal);
  }

  /** A mark on the console: lines printed later show at or below it. */
  consoleMark(): number {
    return this.program.mark();
  }

  async expectConsole(block: readonly (string | RegExp)[], since: number, what: string, expected?: string, within = ARRIVAL_MS): Promise<void> {
    await this.program.expectLines(block, what, { since, within, expected });
  }
}
