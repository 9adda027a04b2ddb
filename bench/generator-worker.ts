/**
 * One load-generator process of a pool (generator-pool.ts): it drives a slice of the
 * clients with a LoadGenerator and does what the coordinating process asks over the IPC
 * channel, one request at a time. It exits when the channel closes, so it never
 * outlives the run that started it.
 */
import { dialectFor, type ServerName } from "./dialects.js";
import { LoadGenerator, type RunPlan } from "./load-generator.js";

export type WorkerRequest =
  | {
      op: "init";
      options: { port: number; dialect: ServerName; clients: number; first: number; count: number; lineBytes: number; connectConcurrency: number; joinTimeoutMs: number };
    }
  | { op: "join"; upTo: number; allowRefused: boolean }
  | { op: "quiet"; ms: number }
  | { op: "prepare"; plan: RunPlan }
  | { op: "send"; startUs: number }
  | { op: "finish"; sentBy: [number, number][]; sendEndUs: number }
  | { op: "close" };

let generator: LoadGenerator | null = null;

function need(): LoadGenerator {
  if (generator === null) throw new Error("not initialised");
  return generator;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case "init":
      generator = new LoadGenerator({ ...request.options, dialect: dialectFor(request.options.dialect) });
      return null;
    case "join":
      return need().join({ upTo: request.upTo, allowRefused: request.allowRefused, settle: false });
    case "quiet":
      return need().quiet(request.ms);
    case "prepare":
      need().prepare(request.plan);
      return null;
    case "send":
      return need().send(request.startUs);
    case "finish": {
      const sent = new Float64Array(need().clients);
      for (const [sender, lines] of request.sentBy) sent[sender] = lines;
      return need().finish(sent, request.sendEndUs);
    }
    case "close":
      generator?.close();
      generator = null;
      return null;
  }
}

process.on("message", (message: { id: number; request: WorkerRequest }) => {
  handle(message.request).then(
    (result) => process.send!({ id: message.id, ok: true, result }),
    (err: unknown) => process.send!({ id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.on("disconnect", () => {
  generator?.close();
  process.exit(0);
});
