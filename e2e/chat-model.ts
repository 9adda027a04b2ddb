/**
 * The chat as PROTOCOL.md specifies it, with no I/O: who is connected, who has joined, and
 * what each event must make each party see. Scenarios and the checker both ask it; only
 * the drivers around it talk to programs.
 */
import {
  chatLine,
  chatReceived,
  joinNotice,
  JOINED,
  leftNotice,
  lineTooLong,
  nickTooLong,
  participants,
  PROPAGATED,
  registrationTimedOut,
  SERVER_CLOSED,
  SERVER_SHUTTING_DOWN,
  serverFull,
  SHUTDOWN_NOTICE,
  WAITING,
} from "./chat-lines.js";
import { nicknameOf, nicknameRefusal } from "./nickname-rules.js";
import type { LineMatcher } from "./display.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";

/** The party that stands for the server's console in an outcome. */
export const CONSOLE = "server console";

/** The party of a named server's console in a cluster ("" is the one unnamed server: CONSOLE). */
export function consoleOf(server: string): string {
  return server === "" ? CONSOLE : `${CONSOLE} ${server}`;
}

/** The server whose console a party is, or undefined for a member. */
export function serverOfConsole(party: string): string | undefined {
  if (party === CONSOLE) return "";
  return party.startsWith(CONSOLE + " ") ? party.slice(CONSOLE.length + 1) : undefined;
}

/** Lines that must show, consecutively, on one party (a member's name, or CONSOLE). */
export interface Shows {
  party: string;
  lines: LineMatcher[];
}

/** What one event must cause. */
export interface Outcome {
  shows: Shows[];
  /** Members whose connection the server closes because of the event. */
  closes: string[];
}

export type MemberState = "registering" | "joined" | "gone";

interface Member {
  name: string;
  /** How the member's port is written in the lines about it: digits, or a name such as "<Lion-port>". */
  port: string;
  nick: string;
  state: MemberState;
  /** The server it connected to ("" when there is one server). */
  server: string;
}

const NOTHING: Outcome = Object.freeze({ shows: [], closes: [] }) as Outcome;

/** What section 7 neutralises: C0 controls, DEL, C1 controls, bidi controls, separators, invisible characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

/**
 * One room. Usually one server; a cluster has several (named), sharing the room through
 * Redis (CLUSTER.md): members are room-wide, each server's console shows its own members'
 * events, and --max-clients counts per server.
 */
export class ChatModel {
  private readonly members = new Map<string, Member>();
  private readonly running = new Set<string>();

  constructor(
    readonly limits: Limits = DEFAULT_LIMITS,
    /** A cluster's heartbeat ttl (--cluster-ttl-ms): how long a killed server's members stay. */
    readonly clusterTtlMs = 5_000,
  ) {}

  get isRunning(): boolean {
    return this.running.size > 0;
  }

  isServerRunning(server = ""): boolean {
    return this.running.has(server);
  }

  /** The server listens: its console shows the waiting line (after its port line). */
  start(server = ""): Outcome {
    this.running.add(server);
    return { shows: [{ party: consoleOf(server), lines: [WAITING] }], closes: [] };
  }

  /** Connections open now, joined or registering: what --max-clients counts. */
  connectionsOf(server = ""): number {
    return [...this.members.values()].filter((m) => m.state !== "gone" && m.server === server).length;
  }

  get connections(): number {
    return this.connectionsOf("");
  }

  isFullOn(server = ""): boolean {
    return this.connectionsOf(server) >= this.limits.maxClients;
  }

  get isFull(): boolean {
    return this.isFullOn("");
  }

  /** A new connection: accepted (console line), and refused at once when the room is full. */
  connect(name: string, port: string, server = ""): Outcome {
    if (this.members.has(name)) throw new Error(`there is already a connection named ${name}`);
    const full = this.isFullOn(server);
    this.members.set(name, { name, port, nick: "", state: full ? "gone" : "registering", server });
    const accepted: Shows = { party: consoleOf(server), lines: [WAITING] };
    if (!full) return { shows: [accepted], closes: [] };
    return { shows: [accepted, { party: name, lines: [serverFull(this.limits.maxClients)] }], closes: [name] };
  }

  /** Learns a member's port once it shows (a client's, from the server's join line). */
  setPort(name: string, port: string): void {
    this.member(name).port = port;
  }

  /** The refusal a nickname line gets, or undefined when it is accepted (section 3). */
  refusalOf(line: string): string | undefined {
    if (this.isTooLong(line)) return nickTooLong(this.limits.maxNickChars);
    const taken = new Set(this.joinedMembers().map((m) => m.nick.toLowerCase()));
    return nicknameRefusal(line, this.limits.maxNickChars, (key) => taken.has(key));
  }

  /**
   * The first line of a registering connection, as the server reads it (no "\n", a "\r"
   * before it dropped). A refusal goes to the sender alone and closes it; a join is
   * welcomed, logged, and announced to the others with the new count. With the port not
   * yet known, lines that hold it match any port.
   */
  nickname(name: string, line: string): Outcome {
    const member = this.member(name);
    if (member.state !== "registering") throw new Error(`${name} cannot send a nickname: it is ${member.state}`);
    const refusal = this.refusalOf(line);
    if (refusal !== undefined) {
      member.state = "gone";
      return { shows: [{ party: name, lines: [refusal] }], closes: [name] };
    }
    const others = this.joinedMembers();
    member.nick = nicknameOf(line);
    member.state = "joined";
    const notice = joinNotice(member.nick, member.port || undefined);
    const count = participants(others.length + 1);
    return {
      shows: [
        { party: consoleOf(member.server), lines: [notice, count, PROPAGATED] },
        { party: name, lines: [JOINED] },
        ...others.map((other) => ({ party: other.name, lines: [notice, count] })),
      ],
      closes: [],
    };
  }

  /** A chat line of a joined member: relayed, refused when over the line limit, or ignored when blank. */
  chat(name: string, line: string): Outcome {
    const member = this.member(name);
    if (member.state !== "joined") throw new Error(`${name} has not joined, so it cannot chat`);
    if (this.isTooLong(line)) return { shows: [{ party: name, lines: [lineTooLong(this.limits.maxLineBytes)] }], closes: [] };
    if (line.trim() === "") return NOTHING;
    const relayed = chatLine(member.nick, member.port, neutralizeControls(line));
    return {
      shows: [
        { party: consoleOf(member.server), lines: [chatReceived(member.nick, member.port), PROPAGATED, ""] },
        ...this.othersOf(member).map((other) => ({ party: other.name, lines: [relayed] })),
      ],
      closes: [],
    };
  }

  /**
   * The member's connection ends (it closed, was reset, or its program died). A joined
   * member's leave is logged with the new count and told to the others, unless the server
   * is down.
   */
  leave(name: string): Outcome {
    const member = this.member(name);
    const wasJoined = member.state === "joined";
    member.state = "gone";
    if (!wasJoined || !this.running.has(member.server)) return NOTHING;
    const left = leftNotice(member.nick);
    return {
      shows: [
        { party: consoleOf(member.server), lines: [left, PROPAGATED, "", participants(this.joinedMembers().length)] },
        ...this.othersOf(member).map((other) => ({ party: other.name, lines: [left] })),
      ],
      closes: [],
    };
  }

  /** The registration timeout passes for a connection that sent no nickname line; `partial` when it sent bytes but no "\n". */
  timeOut(name: string, partial = false): Outcome {
    const member = this.member(name);
    if (member.state !== "registering") throw new Error(`${name} cannot time out: it is ${member.state}, not waiting to send a nickname`);
    member.state = "gone";
    return { shows: [{ party: name, lines: [registrationTimedOut(this.limits.registrationTimeoutMs, partial)] }], closes: [name] };
  }

  /**
   * SIGINT or SIGTERM: every connection is told and closed; no leaves are announced
   * (section 9). In a cluster the members of the other servers see its members leave, in
   * the order they joined.
   */
  shutdown(server = ""): Outcome {
    const open = this.openMembers().filter((m) => m.server === server);
    const leaves = this.stopped(server);
    return {
      shows: [
        { party: consoleOf(server), lines: [SERVER_SHUTTING_DOWN, SERVER_CLOSED] },
        ...open.map((m) => ({ party: m.name, lines: [SHUTDOWN_NOTICE] })),
        ...leaves.shows,
      ],
      closes: open.map((m) => m.name),
    };
  }

  /**
   * The server dies without a word: every connection just ends. In a cluster, once its
   * heartbeat lapses, the members of the other servers see its members leave, and the
   * console of the server that noticed says so (the model knows which only when one other
   * server runs: `reaper`).
   */
  kill(server = "", reaper?: { server: string; id: string }): Outcome {
    const open = this.openMembers().filter((m) => m.server === server);
    const leaves = this.stopped(server);
    if (reaper !== undefined && leaves.gone > 0) {
      const n = leaves.gone;
      leaves.shows.push({ party: consoleOf(reaper.server), lines: [`>>> server ${reaper.id} went silent for ${this.clusterTtlMs} ms: its ${n} member${n === 1 ? "" : "s"} left the chatroom`] });
    }
    return { shows: leaves.shows, closes: open.map((m) => m.name) };
  }

  /** The member's state; "gone" for a name the server never saw connect. */
  stateOf(name: string): MemberState {
    return this.members.get(name)?.state ?? "gone";
  }

  /** The server the member connected to ("" when there is one). */
  serverOf(name: string): string {
    return this.member(name).server;
  }

  nickOf(name: string): string {
    return this.member(name).nick;
  }

  /** How the member's port is written in the lines about it. */
  portOf(name: string): string {
    return this.member(name).port;
  }

  /** Names of the joined members, in the order they connected. */
  joined(): string[] {
    return this.joinedMembers().map((m) => m.name);
  }

  /** The line is longer than the line limit, in bytes of UTF-8 (section 10). */
  isTooLong(line: string): boolean {
    return Buffer.byteLength(line, "utf8") > this.limits.maxLineBytes;
  }

  /** The server's members are gone; what the members of the other servers see of it (leaves, one per joined member, in join order). */
  private stopped(server: string): { shows: Shows[]; gone: number } {
    this.running.delete(server);
    const mine = [...this.members.values()].filter((m) => m.server === server);
    const joined = mine.filter((m) => m.state === "joined");
    for (const m of mine) m.state = "gone";
    const others = this.joinedMembers();
    const shows: Shows[] = others.map((other) => ({ party: other.name, lines: joined.map((m) => leftNotice(m.nick)) }));
    return { shows: joined.length === 0 ? [] : shows, gone: joined.length };
  }

  private member(name: string): Member {
    const member = this.members.get(name);
    if (!member) throw new Error(`no connection named ${name}`);
    return member;
  }

  private joinedMembers(): Member[] {
    return [...this.members.values()].filter((m) => m.state === "joined");
  }

  private openMembers(): Member[] {
    return [...this.members.values()].filter((m) => m.state !== "gone");
  }

  private othersOf(member: Member): Member[] {
    return this.joinedMembers().filter((m) => m !== member);
  }
}

/** Section 7: C0 controls and DEL in caret notation, a tab as one space, C1 controls as U+FFFD, the others as `<U+202E>`. */
export function neutralizeControls(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (c) => {
    const code = c.charCodeAt(0);
    if (code === 0x09) return " ";
    if (code < 0x20) return "^" + String.fromCharCode(code + 0x40);
    if (code === 0x7f) return "^?";
    if (code <= 0x9f) return "\ufffd";
    return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
  });
}

/** Several outcomes as one: each party's lines in order, as one block; every close. */
export function combine(outcomes: readonly Outcome[]): Outcome {
  const blocks = new Map<string, LineMatcher[]>();
  for (const outcome of outcomes) {
    for (const { party, lines } of outcome.shows) blocks.set(party, [...(blocks.get(party) ?? []), ...lines]);
  }
  return {
    shows: [...blocks].map(([party, lines]) => ({ party, lines })),
    closes: [...new Set(outcomes.flatMap((o) => o.closes))],
  };
}
