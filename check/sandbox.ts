/** --sandbox: every program runs under bubblewrap (implemented with the batch mode). */
import { SetupError } from "./check.js";

export function sandboxWrapper(): (command: readonly string[]) => string[] {
  throw new SetupError("--sandbox is not built yet");
}
