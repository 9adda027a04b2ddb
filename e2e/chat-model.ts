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
}

const NOTHING: Outcome = Object.freeze({ shows: [], closes: [] }) as Outcome;

/** What section 7 neutralises: C0 controls, DEL, C1 controls, bidi controls, separators, invisible characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

export class ChatModel {
  private readonly members = new Map<string, Member>();
  private running = false;

  constructor(readonly limits: Limits = DEFAULT_LIMITS) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** The server listens: its console shows the waiting line (after its port line). */
  start(): Outcome {
    this.running = true;
    return { shows: [{ party: CONSOLE, lines: [WAITING] }], closes: [] };
  }

  /** Connections open now, joined or registering: what --max-clients counts. */
  get connections(): number {
    return [...this.members.values()].filter((m) => m.state !== "gone").length;
  }

  get isFull(): boolean {
    return this.connections >= this.limits.maxClients;
  }

  /** A new connection: accepted (console line), and refused at once when the room is full. */
  connect(name: string, port: string): Outcome {
    if (this.members.has(name)) throw new Error(`there is already a connection named ${name}`);
    const full = this.isFull;
    this.members.set(name, { name, port, nick: "", state: full ? "gone" : "registering" });
    const accepted: Shows = { party: CONSOLE, lines: [WAITING] };
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
        { party: CONSOLE, lines: [notice, count, PROPAGATED] },
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
        { party: CONSOLE, lines: [chatReceived(member.nick, member.port), PROPAGATED, ""] },
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
    if (!wasJoined || !this.running) return NOTHING;
    const left = leftNotice(member.nick);
    return {
      shows: [
        { party: CONSOLE, lines: [left, PROPAGATED, "", participants(this.joinedMembers().length)] },
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

  /** SIGINT or SIGTERM: every connection is told and closed; no leaves are announced (section 9). */
  shutdown(): Outcome {
    const open = this.openMembers();
    this.stopped();
    return {
      shows: [{ party: CONSOLE, lines: [SERVER_SHUTTING_DOWN, SERVER_CLOSED] }, ...open.map((m) => ({ party: m.name, lines: [SHUTDOWN_NOTICE] }))],
      closes: open.map((m) => m.name),
    };
  }

  /** The server dies without a word: every connection just ends. */
  kill(): Outcome {
    const open = this.openMembers();
    this.stopped();
    return { shows: [], closes: open.map((m) => m.name) };
  }

  /** The member's state; "gone" for a name the server never saw connect. */
  stateOf(name: string): MemberState {
    return this.members.get(name)?.state ?? "gone";
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

  private stopped(): void {
    this.running = false;
    for (const m of this.members.values()) m.state = "gone";
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
