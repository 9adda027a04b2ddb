/** A stand-in server for client checks: it accepts the client and sends exactly the bytes a check scripts. */
import { createServer, type Server, type Socket } from "node:net";
import { waitUntil, WaitTimeout } from "../../e2e/wait.js";
import { CheckFailure, type CheckContext, type Owned } from "../check.js";
import { formatSeconds, Probe } from "./probe.js";

export class ScriptedServer implements Owned {
  readonly name = "scripted server";
  private readonly accepted: Probe[] = [];
  private readonly servers: Server[] = [];
  private constructor(
    private readonly ctx: CheckContext,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 and, when the machine has it, ::1, on one free port: `localhost` reaches it either way. */
  static async start(ctx: CheckContext): Promise<ScriptedServer> {
    let scripted: ScriptedServer | undefined;
    const onConnection = (socket: Socket): void => scripted?.add(socket);
    const v4 = createServer({ noDelay: true }, onConnection);
    const port = await listen(v4, "127.0.0.1", 0);
    scripted = new ScriptedServer(ctx, port);
    scripted.servers.push(v4);
    const v6 = createServer({ noDelay: true }, onConnection);
    if (await listen(v6, "::1", port).then(() => true, () => false)) scripted.servers.push(v6);
    ctx.own(scripted);
    return scripted;
  }

  private add(socket: Socket): void {
    const inbox = new Probe("client's connection", socket, (line) => this.ctx.log(line));
    this.accepted.push(inbox);
    this.ctx.own(inbox);
    this.ctx.log(`scripted server: accepted a connection from port ${socket.remotePort}`);
  }

  /** The first connection, once the client has made it; fails at once when `gone()` says the client gave up. */
  async connection(what: string, within: number, gone: () => string | undefined = () => undefined): Promise<Probe> {
    try {
      await waitUntil(
        () => {
          if (this.accepted.length > 0) return true;
          const why = gone();
          if (why !== undefined) throw new CheckFailure(what, `a connection to localhost:${this.port}`, why);
          return false;
        },
        () => what,
        [],
        Date.now() + within,
      );
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      throw new CheckFailure(what, `a connection to localhost:${this.port}`, `none within ${formatSeconds(within)}`);
    }
    return this.accepted[0]!;
  }

  async dispose(): Promise<boolean> {
    await Promise.all(this.servers.map((server) => new Promise((resolve) => server.close(resolve))));
    return true;
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
}
