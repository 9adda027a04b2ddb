/** Who takes part in a scenario (the server, clients in terminals, raw connections) and how to reach each. */
import { NICKNAME_PROMPT } from "./chat-lines.js";
import type { Display } from "./display.js";
import { InputLine } from "./input-line.js";
import type { RawConnection } from "./raw-connection.js";
import { SERVER } from "./scenario-parser.js";
import type { PtyTerminal } from "./terminal.js";

export interface ServerActor {
  kind: "server";
  name: string;
  term: PtyTerminal;
}

export interface ClientActor {
  kind: "client";
  name: string;
  term: PtyTerminal;
  /** The prompt its input line starts with now: the nickname prompt, then `NICK: ` once a nickname was sent. */
  prompt: string;
  /** What the input line should hold: the runner's model of it. */
  input: InputLine;
}

export interface RawActor {
  kind: "raw";
  name: string;
  conn: RawConnection;
}

/** A client or raw connection: what can join the chat. */
export type Member = ClientActor | RawActor;
export type Actor = ServerActor | Member;

export function newClient(name: string, term: PtyTerminal): ClientActor {
  return { kind: "client", name, term, prompt: NICKNAME_PROMPT, input: new InputLine() };
}

/** The placeholder a member's port gets in every transcript. */
export function portName(name: string): string {
  return `<${name}-port>`;
}

/** The actors by name, in the order they appeared; lookups fail with messages a scenario writer can act on. */
export class Actors {
  private readonly byName = new Map<string, Actor>();

  add(actor: Actor): void {
    this.byName.set(actor.name, actor);
  }

  find(name: string): Actor | undefined {
    return this.byName.get(name);
  }

  get server(): ServerActor | undefined {
    const server = this.byName.get(SERVER);
    return server?.kind === "server" ? server : undefined;
  }

  /** The name, if no actor has it yet. */
  newName(name: string): string {
    if (this.byName.has(name)) throw new Error(`there is already an actor named ${name}`);
    return name;
  }

  displayOf(name: string): Display {
    const actor = this.byName.get(name);
    if (!actor) throw new Error(`no actor named ${name} yet`);
    return actor.kind === "raw" ? actor.conn : actor.term;
  }

  member(name: string): Member {
    const actor = this.byName.get(name);
    if (!actor) throw new Error(`no actor named ${name} yet: it must join, start or connect first`);
    if (actor.kind === "server") throw new Error(`this action is for clients and raw connections, not the server`);
    return actor;
  }

  client(name: string, purpose: string): ClientActor {
    const actor = this.member(name);
    if (actor.kind !== "client") throw new Error(`${name} is a raw connection, which cannot ${purpose}: use "${name} sends:"`);
    return actor;
  }

  raw(name: string, purpose: string): RawActor {
    const actor = this.member(name);
    if (actor.kind !== "raw") throw new Error(`${name} is a client in a terminal, which cannot ${purpose}: only raw connections ("${name} connects") can`);
    return actor;
  }

  /** Clients in terminals, in the order they appeared. */
  clients(): ClientActor[] {
    return [...this.byName.values()].filter((a): a is ClientActor => a.kind === "client");
  }
}
