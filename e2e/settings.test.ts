// The kit's settings: commands from the environment, split as a shell would, and fixture mode.
import { describe, expect, it } from "vitest";
import { settingsFromEnv, splitCommand } from "./settings.js";

describe("settings", () => {
  it("runs the built programs by default", () => {
    const settings = settingsFromEnv({});
    expect(settings.serverCommand).toEqual(["node", "dist/server/main.js"]);
    expect(settings.clientCommand).toEqual(["node", "dist/client/main.js"]);
    expect(settings.defaultCommands).toBe(true);
    expect([settings.update, settings.ci]).toEqual([false, false]);
  });

  it("takes other programs from CHAT_SERVER_CMD and CHAT_CLIENT_CMD", () => {
    const settings = settingsFromEnv({ CHAT_SERVER_CMD: "python3 -u server.py", CHAT_CLIENT_CMD: "'./my client' --color=never" });
    expect(settings.serverCommand).toEqual(["python3", "-u", "server.py"]);
    expect(settings.clientCommand).toEqual(["./my client", "--color=never"]);
    expect(settings.defaultCommands).toBe(false);
  });

  it("reads UPDATE and CI as flags", () => {
    expect(settingsFromEnv({ UPDATE: "1", CI: "true" })).toMatchObject({ update: true, ci: true });
    expect(settingsFromEnv({ UPDATE: "0", CI: "" })).toMatchObject({ update: false, ci: false });
  });

  it("rejects a time limit that is not a positive whole number", () => {
    expect(() => settingsFromEnv({ E2E_TIMEOUT_MS: "soon" })).toThrow(/E2E_TIMEOUT_MS must be a positive whole number/);
  });

  it("splits commands with quotes and backslashes", () => {
    expect(splitCommand(`  a "b c" 'd "e"' f\\ g "h\\"i" ''`)).toEqual(["a", "b c", 'd "e"', "f g", 'h"i', ""]);
    expect(() => splitCommand(`a "b`)).toThrow(/unterminated "/);
  });
});
