/** Every check, in the order they are run and shown. */
import type { Check } from "./check.js";
import { clientChecks } from "./checks/client.js";
import { serverRobustnessChecks } from "./checks/server-robustness.js";
import { serverChecks } from "./checks/server.js";
import { sessionChecks } from "./checks/sessions.js";

export function allChecks(root: string): Check[] {
  return [...serverChecks, ...serverRobustnessChecks, ...clientChecks, ...sessionChecks(root)];
}
