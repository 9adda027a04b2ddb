/** --batch: every submission folder checked in turn (implemented below). */
import { SetupError } from "./check.js";
import type { Options } from "./options.js";

export async function runBatch(_options: Options, _context: unknown): Promise<number> {
  throw new SetupError("--batch is not built yet");
}
