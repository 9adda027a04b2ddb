/** Who takes part in a scenario (the server, clients in terminals, raw connections) and in what state. */
import { chatPrompt, NICKNAME_PROMPT } from "./chat-lines.js";
import type { Display } from "./display.js";
import type { InputLine } from "./input-line.js";
import type { RawConnection } from "./raw-connection.js";
import { SERVER } from "./scenario-parser.js";
import type { PtyTerminal } from "./terminal.js";

export interface ServerActor {
  kind: "server";
  name: string;
  term: PtyTerminal;
  running: boolean;
}

export interface ClientActor {
  kind: "client";
  name: string;
  term: PtyTerminal;
  state: "prompting" | "joined" | "gone";
  nick: string;
  /** What the input line should hold: the runner's model of it. */
  input: InputLine;
}

export interface RawActor {
  kind: "raw";
  name: string;
  conn: RawConnection;
  state: "connected" | "joined" | "gone";
  nick: string;
}

/** A client or raw connection: what can join the chat. */
export type Member = ClientActor | RawActor;
export type Actor = ServerActor | Member;

/** The placeholder a member's port gets in every transcript. */
export function portName(member: Member): string {
  return `<${member.name}-port>`;
}

/** The prompt a client's input line starts with now. */
export function promptOf(client: ClientActor): string {
  return client.state === "prompting" ? NICKNAME_PROMPT : chatPrompt(client.nick);
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

  runningServer(purpose: string): ServerActor {
    const server = this.server;
    if (!server) throw new Error(`no server to ${purpose}: add "server starts" first`);
    if (!server.running) throw new Error(`the server is no longer running, so it cannot ${purpose}`);
    return server;
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
    if (actor.state === "gone") throw new Error(`${name}'s connection is closed`);
    return actor;
  }

  members(): Member[] {
    return [...this.byName.values()].filter((a): a is Member => a.kind !== "server");
  }

  /** Clients in terminals, in the order they appeared. */
  clients(): ClientActor[] {
    return this.members().filter((m): m is ClientActor => m.kind === "client");
  }

  /** Joined members, in the order they appeared. */
  joined(): Member[] {
    return this.members().filter((m) => m.state === "joined");
  }

  /** The other joined members: who must see what this one does. */
  others(member: Member): Member[] {
    return this.joined().filter((m) => m !== member);
  }
}
