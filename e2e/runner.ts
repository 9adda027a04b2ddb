/** Plays a scenario against the real programs, waiting after each action until its effects show everywhere. */
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Actors, portName, promptOf, type ClientActor, type Member, type RawActor } from "./actors.js";
import {
  BLANK_NICK,
  chatLine,
  chatPrompt,
  chatReceived,
  CLOSED,
  DISCONNECTED,
  EXIT_CANNOT_CONNECT,
  EXIT_OK,
  EXIT_SERVER_GONE,
  joinNotice,
  JOINED,
  leftNotice,
  lineTooLong,
  NICK_CONTROLS,
  nickTooLong,
  NICKNAME_PROMPT,
  participants,
  PROPAGATED,
  registrationTimedOut,
  SERVER_CLOSED,
  SERVER_SHUTTING_DOWN,
  SERVER_UP,
  serverFull,
  SHUTDOWN_NOTICE,
  WAITING,
} from "./chat-lines.js";
import { findBlocks, type Display, type LineMatcher } from "./display.js";
import { describeExit, exits, showsBlock, showsEmptyPrompt, showsInputLine, waitForAll, type Expectation } from "./expectations.js";
import { InputLine } from "./input-line.js";
import { KEYS, type Key } from "./keys.js";
import { DEFAULT_LIMITS, limitsFromFlags, type Limits } from "./limits.js";
import { RawConnection } from "./raw-connection.js";
import { SERVER, type Action, type Scenario } from "./scenario-parser.js";
import { PtyTerminal } from "./terminal.js";
import { normaliseRows, PortNames, transcriptText } from "./transcript.js";
import { waitUntil, WaitTimeout } from "./wait.js";

/** How long cleanup waits for a killed program to be gone. */
const CLEANUP_MS = 5_000;

export interface RunOptions {
  /** The server program; `--port 0` is appended. */
  serverCommand: readonly string[];
  /** The client program; `--port PORT` is appended. */
  clientCommand: readonly string[];
  cwd: string;
  actionTimeoutMs: number;
  quietMs: number;
  /** Directory for one .cast recording per terminal; emptied first. */
  castDir: string;
  cols?: number;
  rows?: number;
}

/** One terminal's final transcript, normalised, as its fixture holds it. */
export interface Transcript {
  name: string;
  text: string;
}

export class ScenarioFailure extends Error {
  override name = "ScenarioFailure";
}

/**
 * Runs every action, waits until every terminal is quiet, and returns the transcripts.
 * Whatever happens, every process it started is killed (and checked gone) and every
 * terminal's recording is written to options.castDir. Failures are ScenarioFailures that
 * name the scenario line, what was awaited, and show every terminal.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<Transcript[]> {
  try {
    rmSync(options.castDir, { recursive: true, force: true });
  } catch {
    // Another run may be writing there; its files are overwritten below.
  }
  const run = new ScenarioRun(options);
  let failure: ScenarioFailure | undefined;
  let transcripts: Transcript[] = [];
  let current: Action | undefined;
  try {
    for (const action of scenario.actions) {
      current = action;
      await run.perform(action);
    }
    current = undefined;
    await run.settle();
    transcripts = run.transcripts();
  } catch (error) {
    failure = new ScenarioFailure(run.describeFailure(scenario, current, error));
  }
  const survivors = await run.dispose();
  run.writeRecordings();
  if (failure) throw failure;
  if (survivors.length > 0) throw new ScenarioFailure(`${scenario.file}: still running after cleanup: ${survivors.join(", ")}`);
  return transcripts;
}

class ScenarioRun {
  private readonly ports = new PortNames();
  private readonly actors = new Actors();
  private readonly displays: Display[] = [];
  private serverPort = 0;
  private deadline = 0;
  /** The server's limits, as its flags set them: what the runner expects when one is hit. */
  private limits: Limits = DEFAULT_LIMITS;

  constructor(private readonly options: RunOptions) {}

  /**
   * Does the action and waits for its effects; then waits until every client still in the
   * chat shows its input line as typed (text and cursor): nothing that arrived may disturb it.
   */
  async perform(action: Action): Promise<void> {
    this.deadline = Date.now() + this.options.actionTimeoutMs;
    await this.act(action);
    await this.waitFor(this.actors.clients().filter((c) => c.state !== "gone").map((c) => this.showsInput(c)));
  }

  private async act(action: Action): Promise<void> {
    switch (action.kind) {
      case "server-start":
        return this.startServer(action.flags);
      case "server-stop":
        return this.stopServer("SIGTERM");
      case "server-kill":
        return this.stopServer("SIGKILL");
      case "start":
        await this.startClient(this.actors.newName(action.actor));
        return;
      case "start-without-server":
        return this.startWithoutServer(this.actors.newName(action.actor));
      case "join":
        return this.join(action.actor, action.answer);
      case "say":
        return this.say(action.actor, action.text);
      case "type":
        return this.typeText(this.actors.client(action.actor, "type"), action.text);
      case "paste":
        return this.paste(this.actors.client(action.actor, "paste"), action.text);
      case "press":
        for (const key of action.keys) await this.press(this.actors.client(action.actor, `press ${key}`), key);
        return;
      case "kill":
        return this.kill(this.actors.member(action.actor));
      case "see":
        return this.see(action.actor, (lines) => lines.some((line) => line.includes(action.text)), JSON.stringify(action.text));
      case "see-pattern":
        return this.see(action.actor, (lines) => lines.some((line) => action.pattern.test(line)), String(action.pattern));
      case "see-plain":
        return this.seePlain(this.actors.client(action.actor, "be checked for colours"));
      case "time-out":
        return this.timeOut(this.actors.member(action.actor));
      case "connect":
        return this.connect(this.actors.newName(action.actor));
      case "send":
        return this.actors.raw(action.actor, "send").conn.send(action.bytes);
      case "close":
        return this.closeRaw(this.actors.raw(action.actor, "close"));
    }
  }

  // ---- the server ----

  private async startServer(flags: readonly string[]): Promise<void> {
    if (this.actors.server) throw new Error("the server was already started: a scenario has one server");
    this.limits = limitsFromFlags(flags);
    const term = this.spawn(SERVER, [...this.options.serverCommand, "--port", "0", ...flags]);
    this.actors.add({ kind: "server", name: SERVER, term, running: true });
    await this.waitFor([
      {
        what: `the server to show ">>> Server is up on PORT:NNNNN" then "${WAITING}"`,
        met: () => {
          if (term.finished()) throw new Error(`the server exited (${describeExit(term)}) before it was up`);
          return findBlocks(this.lines(term), [SERVER_UP, WAITING]).length > 0;
        },
      },
    ]);
    const up = this.lines(term).map((line) => SERVER_UP.exec(line)).find((m) => m !== null);
    this.serverPort = Number(up![1]);
    this.ports.add(this.serverPort, "<server-port>");
  }

  private async stopServer(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const server = this.actors.runningServer(signal === "SIGTERM" ? "stop" : "be killed");
    const graceful = signal === "SIGTERM";
    const expectations: Expectation[] = [{ what: "the server to exit", met: () => server.term.finished() }];
    if (graceful) expectations.push(this.showsBlock(server.term, [SERVER_SHUTTING_DOWN, SERVER_CLOSED]));
    const connected = this.actors.members().filter((m) => m.state !== "gone");
    // A graceful shutdown tells every connection, joined or not; a killed server says nothing.
    for (const member of connected) {
      if (member.kind === "client") {
        expectations.push(this.showsBlock(member.term, this.goneLines(member, graceful ? [SHUTDOWN_NOTICE] : [])), exits(member.term));
      } else {
        if (graceful) expectations.push(this.showsBlock(member.conn, [SHUTDOWN_NOTICE]));
        expectations.push(closes(member));
      }
    }
    server.term.signal(signal);
    await this.waitFor(expectations);
    server.running = false;
    if (signal === "SIGTERM") this.expectExit(server.term, EXIT_OK);
    for (const member of connected) {
      member.state = "gone";
      if (member.kind === "client") this.expectExit(member.term, EXIT_SERVER_GONE);
    }
  }

  // ---- clients in terminals ----

  /**
   * Starts a client; it shows the nickname prompt. On a full server it is accepted, told
   * the room is full and disconnected: it shows both lines and exits 2.
   */
  private async startClient(name: string): Promise<ClientActor> {
    const server = this.actors.runningServer(`have ${name} connect`);
    const accepted = this.showsBlock(server.term, [WAITING]);
    const full = this.serverIsFull();
    const term = this.spawn(name, [...this.options.clientCommand, "--port", String(this.serverPort)]);
    const client: ClientActor = { kind: "client", name, term, state: "prompting", nick: "", input: new InputLine() };
    this.actors.add(client);
    if (full) {
      await this.waitFor([accepted, this.showsBlock(term, this.goneLines(client, [serverFull(this.limits.maxClients)])), exits(term)]);
      client.state = "gone";
      this.expectExit(term, EXIT_SERVER_GONE);
      return client;
    }
    await this.waitFor([accepted, showsEmptyPrompt(client.term, NICKNAME_PROMPT, true)]);
    return client;
  }

  /** Every connection counts, joined or still to send its nickname, up to --max-clients. */
  private serverIsFull(): boolean {
    return this.actors.members().filter((m) => m.state !== "gone").length >= this.limits.maxClients;
  }

  private async startWithoutServer(name: string): Promise<void> {
    const port = await freePort();
    this.ports.add(port, "<closed-port>");
    const term = this.spawn(name, [...this.options.clientCommand, "--port", String(port)]);
    this.actors.add({ kind: "client", name, term, state: "gone", nick: "", input: new InputLine() });
    await this.waitFor([exits(term)]);
    this.expectExit(term, EXIT_CANNOT_CONNECT);
  }

  private async join(name: string, answer: string): Promise<void> {
    if (this.actors.find(name) === undefined && this.serverIsFull()) {
      throw new Error(`the server is full (${this.limits.maxClients} clients), so ${name} would be refused before it could join: write "${name} starts" to show that`);
    }
    const actor = this.actors.find(name) ?? (await this.startClient(this.actors.newName(name)));
    if (actor.kind === "raw") {
      if (actor.state !== "connected") throw new Error(`${name} cannot join: it is ${actor.state}`);
      // The server reads the line as sent, a "\r" before the newline aside.
      const refusal = this.nicknameRefusal(answer.replace(/\r$/, ""));
      if (refusal !== undefined) return this.refuseNickname(actor, refusal, () => void actor.conn.send(Buffer.from(answer + "\n", "utf8")).catch(() => {}));
      const expectations = this.joinEffects(actor, answer.trim());
      await actor.conn.send(Buffer.from(answer + "\n", "utf8"));
      return this.completeJoin(actor, answer.trim(), expectations);
    }
    if (actor.kind !== "client" || actor.state !== "prompting") throw new Error(`${name} cannot join: it is not at the nickname prompt`);
    if (!actor.input.isEmpty) throw new Error(`${name}'s nickname prompt already holds typed text; press Enter instead`);
    actor.input.insert(answer);
    return this.submit(actor, () => actor.term.write(answer + "\r"));
  }

  private async say(name: string, text: string): Promise<void> {
    const actor = this.actors.member(name);
    if (actor.kind === "raw") {
      if (actor.state !== "joined") throw new Error(`${name} has not joined: use "${name} joins" first, or "${name} sends:" for raw lines`);
      const expectations = this.lineEffects(actor, text);
      await actor.conn.send(Buffer.from(text + "\n", "utf8"));
      return this.waitFor(expectations);
    }
    alive(actor, "say something");
    if (actor.input.isEmpty) {
      // One write is safe on an empty line: readline appends pasted text at the end anyway.
      actor.input.insert(text);
      return this.submit(actor, () => actor.term.write(text + "\r"));
    }
    await this.typeText(actor, text);
    return this.press(actor, "Enter");
  }

  /** Types without Enter; waits until the input line shows the text. */
  private async typeText(client: ClientActor, text: string): Promise<void> {
    alive(client, "type");
    if (client.input.atEnd) {
      client.input.insert(text);
      client.term.write(text);
      return this.waitFor([this.showsInput(client)]);
    }
    // Away from the end of the line readline inserts only the last character of a read at
    // the cursor, so each character goes in its own write, after the previous one shows.
    for (const char of text) {
      client.input.insert(char);
      client.term.write(char);
      await this.waitFor([this.showsInput(client)]);
    }
  }

  private async press(client: ClientActor, key: Key): Promise<void> {
    alive(client, `press ${key}`);
    const { term, input } = client;
    switch (key) {
      case "Enter":
        return this.submit(client, () => term.write(KEYS.Enter));
      case "Ctrl-D":
        if (!input.isEmpty) break;
        return this.leave(client, () => term.write(KEYS["Ctrl-D"]));
      case "Ctrl-C":
        return this.leave(client, () => term.write(KEYS["Ctrl-C"]));
      case "Up":
      case "Down":
        return this.recallHistory(client, key);
    }
    const edits: Partial<Record<Key, () => void>> = {
      Left: () => input.left(),
      Right: () => input.right(),
      Home: () => input.home(),
      End: () => input.end(),
      Backspace: () => input.deleteLeft(),
      Delete: () => input.deleteRight(),
      "Ctrl-D": () => input.deleteRight(),
    };
    edits[key]!();
    term.write(KEYS[key]);
    await this.waitFor([this.showsInput(client)]);
  }

  /** Up and Down recall history, which only the client knows: wait for its redraw, or for quiet if nothing changes. */
  private async recallHistory(client: ClientActor, key: "Up" | "Down"): Promise<void> {
    const { term } = client;
    const before = term.outputCount;
    const sentAt = performance.now();
    term.write(KEYS[key]);
    const quietFor = this.options.quietMs * 3;
    await this.waitFor([
      {
        what: `${client.name} to redraw its input line after ${key}`,
        met: () => term.settled() && performance.now() - Math.max(sentAt, term.lastOutputAt) >= (term.outputCount > before ? this.options.quietMs : quietFor),
      },
    ]);
    const { before: left, after } = term.cursorLine();
    const prompt = promptOf(client);
    if (!left.startsWith(prompt)) throw new Error(`${client.name}'s input line should start with ${JSON.stringify(prompt)} but shows ${JSON.stringify(left + after)}`);
    client.input.resetTo(left.slice(prompt.length), after);
  }

  /** Enter (or a one-write line ending in "\r"): what the line holds decides who must see what. */
  private async submit(client: ClientActor, write: () => void): Promise<void> {
    const line = client.input.text;
    if (client.state === "prompting") {
      const nick = line.trim();
      if (nick === "") {
        const expectations = [this.showsBlock(client.term, [NICKNAME_PROMPT.trimEnd()]), showsEmptyPrompt(client.term, NICKNAME_PROMPT, true)];
        write();
        client.input.clear();
        return this.waitFor(expectations);
      }
      // The client sends the nickname trimmed.
      const refusal = this.nicknameRefusal(nick);
      // The client has already switched to the chat prompt of the nickname it sent.
      if (refusal !== undefined) return this.refuseNickname(client, refusal, write, nick);
      const expectations = this.joinEffects(client, nick);
      write();
      return this.completeJoin(client, nick, expectations);
    }
    if (line.trim() === "quit") return this.leave(client, write);
    const expectations = [
      ...(line.trim() === "" ? [this.showsBlock(client.term, [`${client.nick}:`])] : this.lineEffects(client, line)),
      showsEmptyPrompt(client.term, promptOf(client), false),
    ];
    write();
    client.input.clear();
    await this.waitFor(expectations);
  }

  /** quit, Ctrl-C or Ctrl-D: the client says goodbye and exits 0; the others see it leave. */
  private async leave(client: ClientActor, write: () => void): Promise<void> {
    const expectations = [this.showsBlock(client.term, [CLOSED]), exits(client.term), ...this.leaveEffects(client)];
    write();
    await this.waitFor(expectations);
    client.state = "gone";
    this.expectExit(client.term, EXIT_OK);
  }

  /**
   * One write holding several lines, as a terminal sends a paste: each "\r" ends a line,
   * which is sent (or, blank, only shows a new prompt), in order; text after the last "\r"
   * stays on the input line. The others must show the relayed lines as one block, in order.
   */
  private async paste(client: ClientActor, text: string): Promise<void> {
    alive(client, "paste");
    if (client.state !== "joined") throw new Error(`${client.name} can paste only after joining`);
    if (!client.input.atEnd) throw new Error(`${client.name}'s cursor is not at the end of its input line: a paste there is each editor's own business; press End first`);
    const pieces = text.split("\r");
    const rest = pieces.pop()!;
    const lines = pieces.map((piece, i) => (i === 0 ? client.input.text + piece : piece));
    if (lines.some((line) => line.trim() === "quit")) throw new Error(`a pasted "quit" would leave in the middle of the paste: use "${client.name} says: quit"`);
    const sent = lines.filter((line) => line.trim() !== "");
    const tooLong = sent.filter((line) => this.isTooLong(line));
    const relayed = sent.filter((line) => !this.isTooLong(line));
    const server = this.actors.runningServer("relay a paste");
    const port = portName(client);
    const expectations: Expectation[] = [showsInputLine(client.term, promptOf(client) + rest, "")];
    if (tooLong.length === 0) {
      // Its own screen: every line after the prompt, blank ones too, with nothing between them.
      expectations.push(this.showsBlock(client.term, lines.map((line) => `${client.nick}: ${line}`)));
    } else {
      expectations.push(this.showsBlock(client.term, [lineTooLong(this.limits.maxLineBytes)], tooLong.length));
    }
    if (relayed.length > 0) {
      const received = relayed.flatMap(() => [chatReceived(client.nick, port), PROPAGATED, ""]).slice(0, -1);
      expectations.push(this.showsBlock(server.term, received));
      for (const other of this.actors.others(client)) {
        expectations.push(this.showsBlock(this.actors.displayOf(other.name), relayed.map((line) => chatLine(client.nick, port, line))));
      }
    }
    client.term.write(text);
    client.input.clear();
    client.input.insert(rest);
    await this.waitFor(expectations);
  }

  /**
   * A nickname the server refuses: it answers with one line and closes. A client shows
   * that line and "Server disconnected!" and exits 2; a raw connection receives the line
   * and is closed. The server's console shows nothing more.
   */
  private async refuseNickname(member: Member, refusal: string, write: () => void, nick = ""): Promise<void> {
    const expectations =
      member.kind === "client"
        ? [this.showsBlock(member.term, [refusal, chatPrompt(nick).trimEnd(), DISCONNECTED]), exits(member.term)]
        : [this.showsBlock(member.conn, [refusal]), closes(member)];
    write();
    await this.waitFor(expectations);
    member.state = "gone";
    if (member.kind === "client") this.expectExit(member.term, EXIT_SERVER_GONE);
  }

  /** The line the server answers a nickname line with when it refuses it (PROTOCOL.md, registration). */
  private nicknameRefusal(line: string): string | undefined {
    const nick = line.trim();
    if (Buffer.byteLength(line, "utf8") > this.limits.maxLineBytes) return nickTooLong(this.limits.maxNickChars);
    if (nick === "") return BLANK_NICK;
    if (/[\u0000-\u001f\u007f-\u009f]/.test(nick)) return NICK_CONTROLS;
    if ([...nick].length > this.limits.maxNickChars) return nickTooLong(this.limits.maxNickChars);
    return undefined;
  }

  /** The registration timeout passes without a nickname: the server says so and closes. */
  private async timeOut(member: Member): Promise<void> {
    if (member.state !== "prompting" && member.state !== "connected") throw new Error(`${member.name} cannot time out: it is ${member.state}, not waiting to send a nickname`);
    const notice = registrationTimedOut(this.limits.registrationTimeoutMs);
    // The server's timer, not this action, sends the notice: it may have arrived already
    // (while an earlier action waited), so it must show, not show once more.
    const display = this.actors.displayOf(member.name);
    const block = member.kind === "client" ? this.goneLines(member, [notice]) : [notice];
    const shown: Expectation = {
      what: `${member.name} to show ${block.map((line) => JSON.stringify(line)).join(" then ")}`,
      met: () => display.settled() && findBlocks(this.lines(display), block).length > 0,
    };
    const expectations = [shown, member.kind === "client" ? exits(member.term) : closes(member)];
    // The wait is for the server's timer: its deadline comes on top of the action's.
    this.deadline += this.limits.registrationTimeoutMs;
    await this.waitFor(expectations);
    member.state = "gone";
    if (member.kind === "client") this.expectExit(member.term, EXIT_SERVER_GONE);
  }

  /** Everything on the terminal, scrollback included, is plain text: no colour, attribute, title or bell. */
  private seePlain(client: ClientActor): Promise<void> {
    return this.waitFor([
      {
        what: `${client.name} to have shown plain text only`,
        met: () => {
          if (!client.term.settled()) return false;
          const styling = client.term.styling();
          if (styling.length > 0) throw new Error(`${client.name} shows more than plain text:\n${styling.map((s) => `  - ${s}`).join("\n")}`);
          return true;
        },
      },
    ]);
  }

  // ---- raw connections ----

  private async connect(name: string): Promise<void> {
    const server = this.actors.runningServer(`have ${name} connect`);
    const accepted = this.showsBlock(server.term, [WAITING]);
    const full = this.serverIsFull();
    const conn = await RawConnection.open(name, this.serverPort);
    this.displays.push(conn);
    this.ports.add(conn.localPort, `<${name}-port>`); // as portName() says
    const actor: RawActor = { kind: "raw", name, conn, state: "connected", nick: "" };
    this.actors.add(actor);
    if (full) {
      // Accepted, told the room is full, and closed by the server.
      await this.waitFor([accepted, this.showsBlock(conn, [serverFull(this.limits.maxClients)]), closes(actor)]);
      actor.state = "gone";
      return;
    }
    await this.waitFor([accepted]);
  }

  private async closeRaw(actor: RawActor): Promise<void> {
    const expectations = [closes(actor), ...this.leaveEffects(actor)];
    actor.conn.end();
    await this.waitFor(expectations);
    actor.state = "gone";
  }

  // ---- any actor ----

  private async kill(actor: Member): Promise<void> {
    if (actor.state === "gone") throw new Error(`${actor.name} is already gone`);
    const expectations = this.leaveEffects(actor);
    if (actor.kind === "client") {
      expectations.push(exits(actor.term));
      actor.term.signal("SIGKILL");
    } else {
      expectations.push(closes(actor));
      actor.conn.reset();
    }
    await this.waitFor(expectations);
    actor.state = "gone";
  }

  private async see(name: string, found: (lines: string[]) => boolean, what: string): Promise<void> {
    const display = this.actors.displayOf(name);
    await this.waitFor([{ what: `${name} to show ${what}`, met: () => display.settled() && found(normaliseRows(display.rows(), this.ports)) }]);
  }

  // ---- effects: what each kind of event must make visible ----

  private joinEffects(joiner: Member, nick: string): Expectation[] {
    const count = participants(this.actors.joined().length + 1);
    const server = this.actors.runningServer("see a join");
    const expectations = [
      this.showsBlock(server.term, [joinNotice(nick), count, PROPAGATED]),
      this.showsBlock(this.actors.displayOf(joiner.name), [JOINED]),
      ...this.actors.others(joiner).map((other) => this.showsBlock(this.actors.displayOf(other.name), [joinNotice(nick), count])),
    ];
    if (joiner.kind === "client") expectations.push(showsEmptyPrompt(joiner.term, chatPrompt(nick), false));
    return expectations;
  }

  private completeJoin(joiner: Member, nick: string, expectations: Expectation[]): Promise<void> {
    return this.waitFor(expectations).then(() => {
      joiner.state = "joined";
      joiner.nick = nick;
      if (joiner.kind === "client") joiner.input.clear();
      // The server's join line is where a client's port first shows.
      const ports = this.lines(this.actors.server!.term).flatMap((line) => joinNotice(nick).exec(line)?.[1] ?? []);
      const port = ports[ports.length - 1];
      if (port !== undefined && /^\d+$/.test(port)) this.ports.add(Number(port), portName(joiner));
    });
  }

  /**
   * A chat line as sent (not blank): relayed, or, past --max-line-bytes, refused with a
   * notice to its sender alone.
   */
  private lineEffects(sender: Member, line: string): Expectation[] {
    if (line.trim() === "") return [];
    if (this.isTooLong(line)) return [this.showsBlock(this.actors.displayOf(sender.name), [lineTooLong(this.limits.maxLineBytes)])];
    return this.sayEffects(sender, line);
  }

  private isTooLong(line: string): boolean {
    return Buffer.byteLength(line, "utf8") > this.limits.maxLineBytes;
  }

  /** The server logs the line and every other member shows it; the sender's own screen is its business. */
  private sayEffects(sender: Member, line: string): Expectation[] {
    const server = this.actors.runningServer("relay a line");
    const port = portName(sender);
    return [
      this.showsBlock(server.term, [chatReceived(sender.nick, port), PROPAGATED]),
      ...this.actors.others(sender).map((other) => this.showsBlock(this.actors.displayOf(other.name), [chatLine(sender.nick, port, line)])),
    ];
  }

  /** A joined member leaving, however: the server logs it, the others are told. */
  private leaveEffects(leaver: Member): Expectation[] {
    const server = this.actors.server;
    if (leaver.state !== "joined" || !server?.running) return [];
    const count = participants(this.actors.joined().length - 1);
    const left = leftNotice(leaver.nick);
    return [
      this.showsBlock(server.term, [left, PROPAGATED, "", count]),
      ...this.actors.others(leaver).map((other) => this.showsBlock(this.actors.displayOf(other.name), [left])),
    ];
  }

  // ---- expectations ----

  private showsBlock(display: Display, block: LineMatcher[], times = 1): Expectation {
    return showsBlock(display, block, (d) => this.lines(d), times);
  }

  /**
   * What a client shows when the server closes the connection: the server's last lines, its
   * input line left as typed (so unsent text stays readable), then "Server disconnected!".
   */
  private goneLines(client: ClientActor, notices: string[]): string[] {
    return [...notices, (promptOf(client) + client.input.text).trimEnd(), DISCONNECTED];
  }

  /** The input line shows the prompt and what the model says was typed, the cursor where the keys left it. */
  private showsInput(client: ClientActor): Expectation {
    return showsInputLine(client.term, promptOf(client) + client.input.beforeCursor, client.input.afterCursor.trimEnd());
  }

  private expectExit(term: PtyTerminal, status: number): void {
    const exit = term.exit!;
    if (exit.signal !== 0 || exit.exitCode !== status) {
      throw new Error(`${term.name} exited (${describeExit(term)}); expected exit status ${status}`);
    }
  }

  private waitFor(expectations: Expectation[]): Promise<void> {
    return waitForAll(expectations, this.displays, this.deadline);
  }

  /** Every terminal has rendered all it received and has been silent for the quiet window. */
  settle(): Promise<void> {
    this.deadline = Date.now() + this.options.actionTimeoutMs;
    const quiet = (d: Display): boolean => d.settled() && performance.now() - d.lastOutputAt >= this.options.quietMs;
    return waitUntil(
      () => this.displays.every(quiet),
      () => `every terminal to be quiet for ${this.options.quietMs} ms: ${this.displays.filter((d) => !quiet(d)).map((d) => d.name).join(", ")} still busy`,
      this.displays,
      this.deadline,
    );
  }

  transcripts(): Transcript[] {
    return this.displays.map((d) => ({ name: d.name, text: transcriptText(d.rows(), this.ports) }));
  }

  describeFailure(scenario: Scenario, action: Action | undefined, error: unknown): string {
    const where = action ? `${action.file}:${action.line}: ${action.source}` : `${scenario.file}: after the last action`;
    const reason = error instanceof WaitTimeout || error instanceof Error ? error.message : String(error);
    const screens = this.displays.map((d) => {
      const lines = normaliseRows(d.rows(), this.ports);
      return `──── ${d.name} (${this.statusOf(d)}) ────\n${lines.join("\n")}${lines.length ? "\n" : ""}`;
    });
    return [
      where,
      reason,
      "",
      "Every terminal now (normalised; <NAME-port> stands for a learned port):",
      ...screens,
      `Recordings (asciinema play FILE): ${this.options.castDir}/*.cast`,
    ].join("\n");
  }

  /** Kills whatever still runs; returns the names of processes that would not die. */
  async dispose(): Promise<string[]> {
    const deadline = Date.now() + CLEANUP_MS;
    const results = await Promise.all(
      this.displays.map(async (d) => ((await (d instanceof PtyTerminal ? d.destroy(deadline) : (d as RawConnection).destroy(deadline))) ? [] : [d.name])),
    );
    return results.flat();
  }

  /** Best effort: a recording that cannot be written (another run emptied the directory) fails nothing. */
  writeRecordings(): void {
    for (const d of this.displays) {
      const path = join(this.options.castDir, `${d.name}.cast`);
      try {
        d.recording.writeTo(path);
      } catch (error) {
        console.warn(`could not write ${path}: ${(error as Error).message}`);
      }
    }
  }

  // ---- lookups ----

  private spawn(name: string, command: string[]): PtyTerminal {
    const term = new PtyTerminal({ name, command, cwd: this.options.cwd, cols: this.options.cols, rows: this.options.rows });
    this.displays.push(term);
    return term;
  }

  /** Normalised logical lines: what expectations are matched against. */
  private lines(display: Display): string[] {
    return display.logicalLines().map((line) => this.ports.replaceIn(line.trimEnd()));
  }

  private statusOf(display: Display): string {
    if (display instanceof PtyTerminal) return display.exit ? describeExit(display) : "running";
    return (display as RawConnection).closed ? "connection closed" : "connection open";
  }
}

function closes(member: RawActor): Expectation {
  return { what: `${member.name}'s connection to close`, met: () => member.conn.closed };
}

function alive(client: ClientActor, purpose: string): void {
  if (client.state === "gone") throw new Error(`${client.name} has exited and cannot ${purpose}`);
}

/** A port nothing listens on: bound, read, released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen({ host: "localhost", port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
