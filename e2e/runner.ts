/**
 * Plays a scenario against the real programs: spawns, types, presses, and waits after each
 * action until its effects show everywhere. What an action must cause comes from the chat
 * model (chat-model.ts); this file only drives the programs and turns outcomes into waits.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Actors, newClient, portName, type ClientActor, type Member, type RawActor } from "./actors.js";
import { chatPrompt, CLOSED, DISCONNECTED, EXIT_CANNOT_CONNECT, EXIT_NICKNAME_REFUSED, EXIT_OK, EXIT_SERVER_GONE, joinNoticeAnyPort, NICKNAME_PROMPT, SERVER_UP, WAITING } from "./chat-lines.js";
import { ChatModel, combine, serverOfConsole, type Outcome } from "./chat-model.js";
import { findBlocks, type Display, type LineMatcher } from "./display.js";
import { freePort } from "./free-port.js";
import { describeExit, exits, showsBlock, showsEmptyPrompt, showsInputLine, waitForAll, type Expectation } from "./expectations.js";
import type { Key } from "./keys.js";
import { clusterTtlFromFlags, limitsFromFlags } from "./limits.js";
import { RedisServer } from "./redis-server.js";
import { printableText, RawConnection } from "./raw-connection.js";
import type { ActionRecord, DisplaySnapshot, ScenarioRecord } from "./scenario-record.js";
import { serverActor, type Action, type Scenario } from "./scenario-parser.js";
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
  /** Environment added to every program's (the checker marks its processes this way). */
  env?: Record<string, string>;
  /** Wraps each program's command, e.g. in a sandbox. */
  wrapCommand?: (command: readonly string[]) => string[];
  /** Stops the run at once (its programs are then killed): a time limit passed. */
  signal?: AbortSignal;
}

/** One terminal's final transcript, normalised, as its fixture holds it. */
export interface Transcript {
  name: string;
  text: string;
}

export class ScenarioFailure extends Error {
  override name = "ScenarioFailure";
  /** The run as far as it went, for a report. */
  record?: ScenarioRecord;
  constructor(
    /** The scenario line that failed, as `file:line: action`. */
    readonly where: string,
    /** What went wrong: what was still awaited, or why the action could not be done. */
    readonly reason: string,
    /** Every terminal as it was then, normalised. */
    readonly screens = "",
  ) {
    super(screens === "" ? `${where}\n${reason}` : `${where}\n${reason}\n\n${screens}`);
  }
}

/** A run that went to its end: every terminal's transcript, and the record of the run. */
export interface ScenarioResult {
  transcripts: Transcript[];
  record: ScenarioRecord;
}

/**
 * Runs every action, waits until every terminal is quiet, and returns the transcripts.
 * Whatever happens, every process it started is killed (and checked gone) and every
 * terminal's recording is written to options.castDir. Failures are ScenarioFailures that
 * name the scenario line, what was awaited, and show every terminal.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioResult> {
  try {
    rmSync(options.castDir, { recursive: true, force: true });
  } catch {
    // Another run may be writing there; its files are overwritten below.
  }
  const run = new ScenarioRun(options, new Set(scenario.actions.flatMap((a) => (a.kind === "server-start" ? [a.server] : []))).size > 1);
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
    failure = run.describeFailure(scenario, current, error);
  }
  const record = run.record(scenario);
  const survivors = await run.dispose();
  run.writeRecordings();
  if (survivors.length > 0) failure ??= new ScenarioFailure(scenario.file, `still running after cleanup: ${survivors.join(", ")}`);
  if (failure) {
    failure.record = record;
    throw failure;
  }
  return { transcripts, record };
}

class ScenarioRun {
  private readonly ports = new PortNames();
  private readonly actors = new Actors();
  private readonly displays: Display[] = [];
  /** What the chat must do; replaced, with the server's limits, when the server starts. */
  private model = new ChatModel();
  /** Each server started: its port, by name ("" for the one unnamed server). */
  private readonly serverPorts = new Map<string, number>();
  /** A cluster's Redis, started by the kit before its first server. */
  private redis: RedisServer | undefined;
  private deadline = 0;
  /** Raw connections that sent bytes of a nickname but no "\n" yet: their timeout says so. */
  private readonly partialNicknames = new Set<string>();
  private readonly startedAt = performance.now();
  /** Every action so far, with what it waited for and how long it took. */
  private readonly timeline: ActionRecord[] = [];

  constructor(
    private readonly options: RunOptions,
    /** Several servers share one room through a Redis the kit starts (CLUSTER.md). */
    private readonly cluster = false,
  ) {}

  /**
   * Does the action and waits for its effects; then waits until every client still in the
   * chat shows its input line as typed (text and cursor): nothing that arrived may disturb it.
   */
  async perform(action: Action): Promise<void> {
    await this.timed({ where: `${action.file}:${action.line}`, source: action.source }, async () => {
      this.deadline = Date.now() + this.options.actionTimeoutMs;
      await this.act(action);
      await this.waitFor(this.actors.clients().filter((c) => this.isOpen(c)).map((c) => this.showsInput(c)));
    });
  }

  /** Runs a step of the timeline: its start, its duration, what it waited for, how it failed. */
  private async timed(step: { where: string; source: string }, body: () => Promise<void>): Promise<void> {
    const started = performance.now();
    const entry: ActionRecord = { ...step, startMs: Math.round(started - this.startedAt), durationMs: 0, awaited: [] };
    this.timeline.push(entry);
    try {
      await body();
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      entry.durationMs = Math.round(performance.now() - started);
    }
  }

  private async act(action: Action): Promise<void> {
    switch (action.kind) {
      case "server-start":
        return this.startServer(action.flags, action.server);
      case "server-stop":
        return this.stopServer("SIGTERM", action.server);
      case "server-kill":
        return this.stopServer("SIGKILL", action.server);
      case "start":
        await this.startClient(this.actors.newName(action.actor), action.server);
        return;
      case "start-without-server":
        return this.startWithoutServer(this.actors.newName(action.actor));
      case "join":
        return this.join(action.actor, action.answer, action.server);
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
        return this.connect(this.actors.newName(action.actor), action.server);
      case "send": {
        const raw = this.openRaw(action.actor, "send");
        if (this.model.stateOf(raw.name) === "registering" && !action.bytes.includes(0x0a)) this.partialNicknames.add(raw.name);
        return raw.conn.send(action.bytes);
      }
      case "close":
        return this.closeRaw(this.openRaw(action.actor, "close"));
    }
  }

  // ---- the server ----

  private async startServer(flags: readonly string[], server: string): Promise<void> {
    const name = serverActor(server);
    if (this.actors.find(name)) throw new Error(`${name} was already started: a server starts once`);
    if (this.serverPorts.size === 0) this.model = new ChatModel(limitsFromFlags(flags), clusterTtlFromFlags(flags));
    const clusterFlags: string[] = [];
    if (this.cluster) {
      if (server === "") throw new Error(`a scenario with several servers names each: "server A starts", "server B starts"`);
      if (!this.redis) {
        this.redis = await RedisServer.start();
        this.ports.add(this.redis.port, "<redis-port>");
      }
      clusterFlags.push("--redis", this.redis.url);
    }
    const term = this.spawn(name, [...this.options.serverCommand, "--port", "0", ...clusterFlags, ...flags]);
    this.actors.add({ kind: "server", name, term });
    this.model.start(server);
    await this.waitFor([
      {
        what: `${name} to show ">>> Server is up on PORT:NNNNN" then "${WAITING}"`,
        met: () => {
          if (term.finished()) throw new Error(`${name} exited (${describeExit(term)}) before it was up`);
          return findBlocks(term.textRows(), [SERVER_UP, WAITING], this.normalise).length > 0;
        },
      },
    ]);
    const up = term.rows().map((row) => SERVER_UP.exec(row.trimEnd())).find((m) => m !== null);
    const port = Number(up![1]);
    this.serverPorts.set(server, port);
    this.ports.add(port, server === "" ? "<server-port>" : `<${name}-port>`);
    // A cluster's server names itself on its console: the name changes from run to run.
    const id = term.rows().map((row) => /^>>> This server's id in the cluster: (\S+)$/.exec(row.trimEnd())).find((m) => m !== null);
    if (id) this.ports.addText(id[1]!, `<${name}-id>`);
  }

  private async stopServer(signal: "SIGTERM" | "SIGKILL", name: string): Promise<void> {
    const server = this.runningServer(signal === "SIGTERM" ? "stop" : "be killed", name);
    const outcome = signal === "SIGTERM" ? this.model.shutdown(name) : this.model.kill(name, this.reaperOf(name));
    const expectations = [{ what: `${server.name} to exit`, met: () => server.term.finished() }, ...this.expectationsOf(outcome)];
    // The others see a killed server's members leave once its heartbeat lapses.
    if (signal === "SIGKILL" && this.cluster) this.deadline += this.model.clusterTtlMs;
    server.term.signal(signal);
    await this.waitFor(expectations);
    if (signal === "SIGTERM") this.expectExit(server.term, EXIT_OK);
    this.afterCloses(outcome);
  }

  /** In a cluster of two running servers, the one that will notice the other's death. */
  private reaperOf(server: string): { server: string; id: string } | undefined {
    const others = [...this.serverPorts.keys()].filter((s) => s !== server && this.model.isServerRunning(s));
    if (!this.cluster || others.length !== 1) return undefined;
    return { server: others[0]!, id: `<${serverActor(server)}-id>` };
  }

  /** The server an action names, or the only one; it must be running. */
  private runningServer(purpose: string, name?: string) {
    const names = [...this.serverPorts.keys()];
    if (names.length === 0) throw new Error(`no server to ${purpose}: add "server starts" first`);
    if (name === undefined) {
      if (names.length > 1) throw new Error(`there are several servers: say which, e.g. "joins ${names[0]}", "starts on ${names[0]}", "connects to ${names[0]}"`);
      name = names[0]!;
    }
    const server = this.actors.find(serverActor(name));
    if (!server || server.kind !== "server") throw new Error(`no server ${name} to ${purpose}: add "server ${name} starts" first`);
    if (!this.model.isServerRunning(name)) throw new Error(`${server.name} is no longer running, so it cannot ${purpose}`);
    return { ...server, server: name, port: this.serverPorts.get(name)! };
  }

  // ---- clients in terminals ----

  /**
   * Starts a client; it shows the nickname prompt. On a full server it is accepted, told
   * the room is full and disconnected: it shows both lines and exits 2.
   */
  private async startClient(name: string, serverName?: string): Promise<ClientActor> {
    const server = this.runningServer(`have ${name} connect`, serverName);
    const outcome = this.model.connect(name, "", server.server);
    const client = newClient(name, this.spawn(name, [...this.options.clientCommand, "--port", String(server.port)]));
    this.actors.add(client);
    const expectations = this.expectationsOf(outcome);
    if (outcome.closes.length === 0) expectations.push(showsEmptyPrompt(client.term, NICKNAME_PROMPT, true));
    await this.waitFor(expectations);
    this.afterCloses(outcome);
    return client;
  }

  private async startWithoutServer(name: string): Promise<void> {
    const port = await freePort();
    this.ports.add(port, "<closed-port>");
    const term = this.spawn(name, [...this.options.clientCommand, "--port", String(port)]);
    this.actors.add(newClient(name, term));
    await this.waitFor([exits(term)]);
    this.expectExit(term, EXIT_CANNOT_CONNECT);
  }

  private async join(name: string, answer: string, serverName?: string): Promise<void> {
    if (this.actors.find(name) === undefined && this.model.isFullOn(this.runningServer(`have ${name} join`, serverName).server)) {
      throw new Error(`the server is full (${this.model.limits.maxClients} clients), so ${name} would be refused before it could join: write "${name} starts" to show that`);
    }
    if (this.actors.find(name) !== undefined && serverName !== undefined) throw new Error(`${name} is already connected: "${name} joins" answers its prompt, on the server it connected to`);
    const actor = this.actors.find(name) ?? (await this.startClient(this.actors.newName(name), serverName));
    if (actor.kind === "raw") {
      if (this.model.stateOf(name) !== "registering") throw new Error(`${name} cannot join: it is ${this.model.stateOf(name)}`);
      // The server reads the line as sent, a "\r" before the newline aside.
      const outcome = this.model.nickname(name, answer.replace(/\r$/, ""));
      const expectations = this.expectationsOf(outcome);
      await actor.conn.send(Buffer.from(answer + "\n", "utf8")).catch(() => {});
      await this.waitFor(expectations);
      this.afterCloses(outcome);
      return;
    }
    if (actor.kind !== "client" || this.model.stateOf(name) !== "registering") throw new Error(`${name} cannot join: it is not at the nickname prompt`);
    if (!actor.input.isEmpty) throw new Error(`${name}'s nickname prompt already holds typed text; press Enter instead`);
    actor.input.insert(answer);
    return this.submit(actor, () => actor.term.write(answer + "\r"));
  }

  private async say(name: string, text: string): Promise<void> {
    const actor = this.actors.member(name);
    if (actor.kind === "raw") {
      if (this.model.stateOf(name) !== "joined") throw new Error(`${name} has not joined: use "${name} joins" first, or "${name} sends:" for raw lines`);
      const expectations = this.expectationsOf(this.model.chat(name, text));
      await actor.conn.send(Buffer.from(text + "\n", "utf8"));
      return this.waitFor(expectations);
    }
    this.alive(actor, "say something");
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
    this.alive(client, "type");
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
    this.alive(client, `press ${key}`);
    const { term, input } = client;
    switch (key) {
      case "Enter":
        return this.submit(client, () => term.press("Enter"));
      case "Ctrl-D":
        if (!input.isEmpty) break;
        return this.leave(client, () => term.press("Ctrl-D"));
      case "Ctrl-C":
        return this.leave(client, () => term.press("Ctrl-C"));
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
    term.press(key);
    await this.waitFor([this.showsInput(client)]);
  }

  /** Up and Down recall history, which only the client knows: wait for its redraw, or for quiet if nothing changes. */
  private async recallHistory(client: ClientActor, key: "Up" | "Down"): Promise<void> {
    const { term } = client;
    const before = term.outputCount;
    const sentAt = performance.now();
    term.press(key);
    const quietFor = this.options.quietMs * 3;
    await this.waitFor([
      {
        what: `${client.name} to redraw its input line after ${key}`,
        met: () => term.settled() && performance.now() - Math.max(sentAt, term.lastOutputAt) >= (term.outputCount > before ? this.options.quietMs : quietFor),
      },
    ]);
    const { before: left, after } = term.cursorLine(client.prompt);
    if (!left.startsWith(client.prompt)) throw new Error(`${client.name}'s input line should start with ${JSON.stringify(client.prompt)} but shows ${JSON.stringify(left + after)}`);
    client.input.resetTo(left.slice(client.prompt.length), after);
  }

  /** Enter (or a one-write line ending in "\r"): what the line holds decides who must see what. */
  private async submit(client: ClientActor, write: () => void): Promise<void> {
    const line = client.input.text;
    if (this.model.stateOf(client.name) === "registering") {
      const nick = line.trim();
      if (nick === "") {
        const expectations = [this.showsBlock(client.term, [NICKNAME_PROMPT.trimEnd()]), showsEmptyPrompt(client.term, NICKNAME_PROMPT, true)];
        write();
        client.input.clear();
        return this.waitFor(expectations);
      }
      // The client sends the nickname trimmed, and switches to the chat prompt at once.
      const outcome = this.model.nickname(client.name, nick);
      client.prompt = chatPrompt(nick);
      client.input.clear();
      const expectations = this.expectationsOf(outcome);
      if (outcome.closes.length === 0) expectations.push(showsEmptyPrompt(client.term, client.prompt, false));
      write();
      await this.waitFor(expectations);
      if (outcome.closes.length > 0) return this.afterCloses(outcome, client.name);
      this.learnPort(client.name, nick);
      return;
    }
    if (line.trim() === "quit") return this.leave(client, write);
    const expectations = [
      ...(line.trim() === "" ? [this.showsBlock(client.term, [client.prompt.trimEnd()])] : this.expectationsOf(this.model.chat(client.name, line))),
      showsEmptyPrompt(client.term, client.prompt, false),
    ];
    write();
    client.input.clear();
    await this.waitFor(expectations);
  }

  /** quit, Ctrl-C or Ctrl-D: the client says goodbye and exits 0; the others see it leave. */
  private async leave(client: ClientActor, write: () => void): Promise<void> {
    const expectations = [this.showsBlock(client.term, [CLOSED]), exits(client.term), ...this.expectationsOf(this.model.leave(client.name))];
    write();
    await this.waitFor(expectations);
    this.expectExit(client.term, EXIT_OK);
  }

  /**
   * One write holding several lines, as a terminal sends a paste: each "\r" ends a line,
   * which is sent (or, blank, only shows a new prompt), in order; text after the last "\r"
   * stays on the input line. The others must show the relayed lines as one block, in order.
   */
  private async paste(client: ClientActor, text: string): Promise<void> {
    this.alive(client, "paste");
    if (this.model.stateOf(client.name) !== "joined") throw new Error(`${client.name} can paste only after joining`);
    if (!client.input.atEnd) throw new Error(`${client.name}'s cursor is not at the end of its input line: a paste there is each editor's own business; press End first`);
    const pieces = text.split("\r");
    const rest = pieces.pop()!;
    const lines = pieces.map((piece, i) => (i === 0 ? client.input.text + piece : piece));
    if (lines.some((line) => line.trim() === "quit")) throw new Error(`a pasted "quit" would leave in the middle of the paste: use "${client.name} says: quit"`);
    const tooLong = lines.filter((line) => line.trim() !== "" && this.model.isTooLong(line)).length;
    const outcome = combine(lines.map((line) => this.model.chat(client.name, line)));
    const expectations: Expectation[] = [
      showsInputLine(client.term, client.prompt + rest, ""),
      ...this.expectationsOf({ shows: outcome.shows.filter((s) => s.party !== client.name), closes: [] }),
    ];
    if (tooLong === 0) {
      // Its own screen: every line after the prompt, blank ones too, with nothing between them.
      expectations.push(this.showsBlock(client.term, lines.map((line) => client.prompt + line)));
    } else {
      // Its notices interleave with its lines: count them.
      const notice = outcome.shows.find((s) => s.party === client.name)!.lines[0]!;
      expectations.push(this.showsBlock(client.term, [notice], tooLong));
    }
    client.term.write(text);
    client.input.clear();
    client.input.insert(rest);
    await this.waitFor(expectations);
  }

  /** The registration timeout passes without a nickname: the server says so and closes. */
  private async timeOut(member: Member): Promise<void> {
    const outcome = this.model.timeOut(member.name, this.partialNicknames.has(member.name));
    // The server's timer, not this action, sends the notice: it may have arrived already
    // (while an earlier action waited), so it must show, not show once more.
    const display = this.actors.displayOf(member.name);
    const block = this.closedBlock(member, outcome.shows[0]!.lines);
    const shown: Expectation = {
      what: `${member.name} to show ${block.map((line) => JSON.stringify(line)).join(" then ")}`,
      met: () => display.settled() && findBlocks(display.textRows(), block, this.normalise).length > 0,
    };
    // The wait is for the server's timer: its deadline comes on top of the action's.
    this.deadline += this.model.limits.registrationTimeoutMs;
    await this.waitFor([shown, this.ends(member)]);
    this.afterCloses(outcome);
  }

  /**
   * Everything the terminal shows, scrollback included, is plain text: no colour,
   * attribute, title or bell. The client's own prompt rows are its own business (it may
   * style them); every other row shows what it received, in plain text or in the one style
   * the client gives everything it received (that of its first received line).
   */
  private seePlain(client: ClientActor): Promise<void> {
    return this.waitFor([
      {
        what: `${client.name} to have shown plain text only`,
        met: () => {
          if (!client.term.settled()) return false;
          const prompts = [NICKNAME_PROMPT, client.prompt].map((p) => p.trimEnd());
          const rows = client.term.rows();
          const received = new Set(rows.flatMap((row, i) => (prompts.some((p) => row.startsWith(p)) ? [] : [i])));
          // A style the client gives all it prints (curses paints every cell) is its own: the style of the first line it received.
          const first = [...received].find((i) => rows[i]!.trim() !== "");
          const own = new Set(first === undefined ? [] : [client.term.rowStyle(first)]);
          const styling = [...client.term.effects(), ...client.term.styledCells(received, own)];
          if (styling.length > 0) throw new Error(`${client.name} shows more than plain text:\n${styling.map((s) => `  - ${s}`).join("\n")}`);
          return true;
        },
      },
    ]);
  }

  // ---- raw connections ----

  private async connect(name: string, serverName?: string): Promise<void> {
    const server = this.runningServer(`have ${name} connect`, serverName);
    const conn = await RawConnection.open(name, server.port);
    this.displays.push(conn);
    this.ports.add(conn.localPort, portName(name));
    this.actors.add({ kind: "raw", name, conn });
    const outcome = this.model.connect(name, portName(name), server.server);
    await this.waitFor(this.expectationsOf(outcome));
    this.afterCloses(outcome);
  }

  private openRaw(name: string, purpose: string): RawActor {
    const actor = this.actors.raw(name, purpose);
    if (actor.conn.closed) throw new Error(`${name}'s connection is closed`);
    return actor;
  }

  private async closeRaw(actor: RawActor): Promise<void> {
    const expectations = [closes(actor), ...this.expectationsOf(this.model.leave(actor.name))];
    actor.conn.end();
    await this.waitFor(expectations);
  }

  // ---- any actor ----

  private async kill(actor: Member): Promise<void> {
    if (!this.isOpen(actor)) throw new Error(`${actor.name} is already gone`);
    const expectations = [this.ends(actor), ...this.expectationsOf(this.model.leave(actor.name))];
    if (actor.kind === "client") actor.term.signal("SIGKILL");
    else actor.conn.reset();
    await this.waitFor(expectations);
  }

  private async see(name: string, found: (lines: string[]) => boolean, what: string): Promise<void> {
    const display = this.actors.displayOf(name);
    await this.waitFor([{ what: `${name} to show ${what}`, met: () => display.settled() && found(normaliseRows(display.rows(), this.ports)) }]);
  }

  // ---- from the model's outcomes to waits ----

  /**
   * What must show for an outcome: each party's lines on its display (the console on the
   * server's terminal). A member the server closes shows its lines as a client does when
   * the server goes away, and exits; a raw connection is closed.
   */
  private expectationsOf(outcome: Outcome): Expectation[] {
    const expectations: Expectation[] = [];
    const shown = new Set<string>();
    for (const { party, lines } of outcome.shows) {
      const server = serverOfConsole(party);
      if (server !== undefined) {
        expectations.push(this.showsBlock(this.serverTerm(server), lines));
        continue;
      }
      shown.add(party);
      const member = this.actors.member(party);
      const closed = outcome.closes.includes(party);
      expectations.push(this.showsBlock(this.actors.displayOf(party), closed ? this.closedBlock(member, lines) : lines));
      if (closed) expectations.push(this.ends(member));
    }
    for (const party of outcome.closes.filter((p) => !shown.has(p))) {
      const member = this.actors.member(party);
      if (member.kind === "client") expectations.push(this.showsBlock(member.term, this.closedBlock(member, [])));
      expectations.push(this.ends(member));
    }
    return expectations;
  }

  /**
   * What a member shows when the server closes it after these lines: a raw connection just
   * the lines; a client the lines, its input line left as typed (so unsent text stays
   * readable), then "Server disconnected!".
   */
  private closedBlock(member: Member, lines: readonly LineMatcher[]): LineMatcher[] {
    if (member.kind === "raw") return [...lines];
    return [...lines, (member.prompt + member.input.text).trimEnd(), DISCONNECTED];
  }

  /**
   * Once the waits are met: every client the server closed exited with status 2, or 3
   * for the one whose nickname was refused.
   */
  private afterCloses(outcome: Outcome, refusedNickname?: string): void {
    for (const party of outcome.closes) {
      const member = this.actors.member(party);
      if (member.kind === "client") this.expectExit(member.term, party === refusedNickname ? EXIT_NICKNAME_REFUSED : EXIT_SERVER_GONE);
    }
  }

  /** The server's join line is where a client's port first shows. */
  private learnPort(name: string, nick: string): void {
    const ports = this.serverTerm(this.model.serverOf(name)).rows().flatMap((row) => joinNoticeAnyPort(nick).exec(row.trimEnd())?.[1] ?? []);
    const port = ports[ports.length - 1];
    if (port !== undefined && /^\d+$/.test(port)) this.ports.add(Number(port), portName(name));
    this.model.setPort(name, portName(name));
  }

  // ---- expectations ----

  private showsBlock(display: Display, block: readonly LineMatcher[], times = 1): Expectation {
    return showsBlock(display, block, this.normalise, times);
  }

  /** The input line shows the prompt and what the model says was typed, the cursor where the keys left it. */
  private showsInput(client: ClientActor): Expectation {
    return showsInputLine(client.term, client.prompt + client.input.beforeCursor, client.input.afterCursor.trimEnd());
  }

  /** The member's program exited, or its connection closed. */
  private ends(member: Member): Expectation {
    return member.kind === "client" ? exits(member.term) : closes(member);
  }

  private isOpen(member: Member): boolean {
    return member.kind === "client" ? member.term.exit === null : !member.conn.closed;
  }

  private alive(client: ClientActor, purpose: string): void {
    if (!this.isOpen(client)) throw new Error(`${client.name} has exited and cannot ${purpose}`);
  }

  private expectExit(term: PtyTerminal, status: number): void {
    const exit = term.exit!;
    if (exit.signal !== 0 || exit.exitCode !== status) {
      throw new Error(`${term.name} exited (${describeExit(term)}); expected exit status ${status}`);
    }
  }

  private waitFor(expectations: Expectation[]): Promise<void> {
    this.timeline.at(-1)?.awaited.push(...expectations.map((e) => e.what));
    return waitForAll(expectations, this.displays, this.deadline, this.options.signal);
  }

  /** Every terminal has rendered all it received and has been silent for the quiet window. */
  settle(): Promise<void> {
    this.deadline = Date.now() + this.options.actionTimeoutMs;
    const quiet = (d: Display): boolean => d.settled() && performance.now() - d.lastOutputAt >= this.options.quietMs;
    const what = `every terminal to be quiet for ${this.options.quietMs} ms`;
    return this.timed({ where: "(end)", source: "the final screens" }, async () => {
      this.timeline.at(-1)!.awaited.push(what);
      await waitUntil(
        () => this.displays.every(quiet),
        () => `${what}: ${this.displays.filter((d) => !quiet(d)).map((d) => d.name).join(", ")} still busy`,
        this.displays,
        this.deadline,
        { signal: this.options.signal },
      );
    });
  }

  /** The timeline and every terminal and connection as they are now (before they are disposed of). */
  record(scenario: Scenario): ScenarioRecord {
    const displays: DisplaySnapshot[] = this.displays.map((d) => {
      const base = { name: d.name, status: this.statusOf(d), rows: normaliseRows(d.rows(), this.ports), cast: d.recording.toString() };
      if (d instanceof PtyTerminal) return { ...base, kind: "terminal", screen: d.screenHtml(), received: printableText(d.output()) };
      return { ...base, kind: "connection", received: (d as RawConnection).text };
    });
    return { name: scenario.name, file: scenario.file, actions: this.timeline, displays, ports: this.ports.byName() };
  }

  transcripts(): Transcript[] {
    return this.displays.map((d) => ({ name: d.name, text: transcriptText(d.rows(), this.ports) }));
  }

  describeFailure(scenario: Scenario, action: Action | undefined, error: unknown): ScenarioFailure {
    const where = action ? `${action.file}:${action.line}: ${action.source}` : `${scenario.file}: after the last action`;
    const reason = error instanceof WaitTimeout || error instanceof Error ? error.message : String(error);
    const screens = this.displays.map((d) => {
      const lines = normaliseRows(d.rows(), this.ports);
      return `──── ${d.name} (${this.statusOf(d)}) ────\n${lines.join("\n")}${lines.length ? "\n" : ""}`;
    });
    return new ScenarioFailure(
      where,
      reason,
      ["Every terminal now (normalised; <NAME-port> stands for a learned port):", ...screens, `Recordings (asciinema play FILE): ${this.options.castDir}/*.cast`].join("\n"),
    );
  }

  /** Kills whatever still runs; returns the names of processes that would not die. */
  async dispose(): Promise<string[]> {
    const deadline = Date.now() + CLEANUP_MS;
    const results = await Promise.all(
      this.displays.map(async (d) => ((await (d instanceof PtyTerminal ? d.destroy(deadline) : (d as RawConnection).destroy(deadline))) ? [] : [d.name])),
    );
    await this.redis?.dispose();
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

  private serverTerm(server: string): PtyTerminal {
    const actor = this.actors.find(serverActor(server));
    if (!actor || actor.kind !== "server") throw new Error(`no ${serverActor(server)}`);
    return actor.term;
  }

  private spawn(name: string, command: string[]): PtyTerminal {
    const wrapped = this.options.wrapCommand ? this.options.wrapCommand(command) : command;
    const term = new PtyTerminal({ name, command: wrapped, cwd: this.options.cwd, cols: this.options.cols, rows: this.options.rows, env: this.options.env });
    this.displays.push(term);
    return term;
  }

  /** How lines are read before they are matched: trailing spaces gone, learned ports named. */
  private readonly normalise = (line: string): string => this.ports.replaceIn(line.trimEnd());

  private statusOf(display: Display): string {
    if (display instanceof PtyTerminal) return display.exit ? describeExit(display) : "running";
    return (display as RawConnection).closed ? "connection closed" : "connection open";
  }
}

function closes(member: RawActor): Expectation {
  return { what: `${member.name}'s connection to close`, met: () => member.conn.closed };
}
