// The scenario language: every action form, quoting, keys, and errors that name file and line.
import { describe, expect, it } from "vitest";
import { parseScenario, ScenarioParseError, type Action } from "./scenario-parser.js";

/** The actions of a one-file scenario, without their origin. */
function parse(text: string): Array<Record<string, unknown>> {
  return parseScenario(text, "scenarios/t.scn").actions.map(({ file, line, source, ...rest }: Action) => rest);
}

function parseError(text: string): ScenarioParseError {
  try {
    parseScenario(text, "scenarios/bad.scn");
  } catch (err) {
    if (err instanceof ScenarioParseError) return err;
    throw err;
  }
  throw new Error("expected a parse error");
}

describe("scenario parser", () => {
  it("reads the seed session, skipping comments and blank lines, and keeps each action's origin", () => {
    const scenario = parseScenario("# the session\nserver starts\n\nLion joins\n  Rabbit says: hi there  \nTiger says: quit\n", "scenarios/lion.scn");
    expect(scenario.name).toBe("lion");
    expect(scenario.actions).toEqual([
      { file: "scenarios/lion.scn", line: 2, source: "server starts", kind: "server-start", flags: [], server: "" },
      { file: "scenarios/lion.scn", line: 4, source: "Lion joins", kind: "join", actor: "Lion", answer: "Lion" },
      { file: "scenarios/lion.scn", line: 5, source: "Rabbit says: hi there", kind: "say", actor: "Rabbit", text: "hi there" },
      { file: "scenarios/lion.scn", line: 6, source: "Tiger says: quit", kind: "say", actor: "Tiger", text: "quit" },
    ]);
  });

  it("reads every server action", () => {
    expect(parse("server starts\nserver stops\nserver is killed\nserver sees: Now participants: 2\nserver sees /participants: \\d/")).toEqual([
      { kind: "server-start", flags: [], server: "" },
      { kind: "server-stop", server: "" },
      { kind: "server-kill", server: "" },
      { kind: "see", actor: "server", text: "Now participants: 2" },
      { kind: "see-pattern", actor: "server", pattern: /participants: \d/ },
    ]);
  });

  it("reads every client action", () => {
    expect(
      parse(
        [
          'Cat joins as "  Big Cat  "',
          "Owl starts",
          "Emu starts with no server",
          "Lion types: hello wrld",
          "Lion presses Left x3, backspace, ctrl-c",
          "Lion is killed",
          "Lion sees: Tiger(<Tiger-port>): hi",
          "Lion sees /^Tiger\\(\\d+\\)/i",
        ].join("\n"),
      ),
    ).toEqual([
      { kind: "join", actor: "Cat", answer: "  Big Cat  " },
      { kind: "start", actor: "Owl" },
      { kind: "start-without-server", actor: "Emu" },
      { kind: "type", actor: "Lion", text: "hello wrld" },
      { kind: "press", actor: "Lion", keys: ["Left", "Left", "Left", "Backspace", "Ctrl-C"] },
      { kind: "kill", actor: "Lion" },
      { kind: "see", actor: "Lion", text: "Tiger(<Tiger-port>): hi" },
      { kind: "see-pattern", actor: "Lion", pattern: /^Tiger\(\d+\)/i },
    ]);
  });

  it("reads every raw connection action; sends: adds the newline, sends bytes: sends exactly the bytes", () => {
    expect(parse('Nc connects\nNc joins\nNc sends: hi\nNc sends bytes: "a\\r\\n\\e[1m\\xff\\u{1F600}"\nNc closes')).toEqual([
      { kind: "connect", actor: "Nc" },
      { kind: "join", actor: "Nc", answer: "Nc" },
      { kind: "send", actor: "Nc", bytes: Buffer.from("hi\n") },
      { kind: "send", actor: "Nc", bytes: Buffer.concat([Buffer.from("a\r\n\x1b[1m"), Buffer.from([0xff]), Buffer.from("😀")]) },
      { kind: "close", actor: "Nc" },
    ]);
  });

  it("keeps quoted text exactly, spaces and escapes included; unquoted text is trimmed", () => {
    expect(parse('Lion types: "  two  "\nLion says:   padded   \nLion says: "say \\"hi\\"\\t!"')).toEqual([
      { kind: "type", actor: "Lion", text: "  two  " },
      { kind: "say", actor: "Lion", text: "padded" },
      { kind: "say", actor: "Lion", text: 'say "hi"\t!' },
    ]);
  });

  it("takes Korean and emoji text as written", () => {
    expect(parse("Lion says: 안녕하세요 😀")).toEqual([{ kind: "say", actor: "Lion", text: "안녕하세요 😀" }]);
  });

  it.each([
    ["Lion dances", /^scenarios\/bad\.scn:1: expected one of these after "Lion": joins \[SERVER\] \| joins \[SERVER\] as "TEXT" \| .* found "dances"$/],
    ["server explodes", /^scenarios\/bad\.scn:1: expected one of "server \[NAME\] starts", "server \[NAME\] starts with FLAGS", "server \[NAME\] stops", .* found "server explodes"$/],
    ["server starts with --max-clients", /^scenarios\/bad\.scn:1: server flag --max-clients needs a whole number of at least 1, found nothing$/],
    ["server starts with --max-clients 0", /server flag --max-clients needs a whole number of at least 1, found "0"/],
    ["server starts with --max-clients two", /server flag --max-clients needs a whole number of at least 1, found "two"/],
    ["server starts with --port 9000", /unknown server flag "--port" \(the kit sets the address itself: --port 0 on localhost\): expected one of --max-line-bytes, /],
    ["server starts with --max-clients 2 --max-clients 3", /server flag --max-clients is given twice/],
    ['Lion says: "ab" x0', /a quoted text can be repeated 1 to 100000 times, not 0/],
    ['Lion says: "ab" times 3', /unexpected text after the closing quote: "times 3" \(only xN/],
    ['Lion pastes: "one\\ntwo"', /a paste ends its lines with "\\r", as a terminal sends them, not "\\n"/],
    ["Lion presses Esc", /^scenarios\/bad\.scn:1: unknown key "Esc": expected one of Enter, Ctrl-C, Ctrl-D, Backspace/],
    ["Lion presses Left x0", /a key can be repeated 1 to 100 times, not 0/],
    ["Lion presses Left three", /expected a key name, optionally followed by xN/],
    ["Lion says:", /^scenarios\/bad\.scn:1: expected text after "says:"$/],
    ['Lion says: ""', /expected text after "says:", found an empty quoted text/],
    ['Lion says: "unterminated', /unterminated quoted text: expected a closing "/],
    ['Lion says: "a" b', /unexpected text after the closing quote: "b"/],
    ['Lion says: "\\q"', /unknown escape "\\q"/],
    ['Lion says: "\\xff"', /expected valid UTF-8 text here/],
    ["Lion joins as Big Cat", /expected the nickname text in double quotes after "joins as"/],
    ["Nc sends bytes: hi", /expected the bytes in double quotes after "sends bytes:"/],
    ["Lion sees /(/", /invalid regular expression \/\(\/:/],
    ["Lion sees something", /expected "sees: TEXT" or "sees \/REGEX\/" after "Lion"/],
    ["9lives joins", /expected an actor name \(a letter, then letters, digits, "-" or "_"\) at the start of the line, found "9lives"/],
  ])("rejects %j naming the file, the line and what was expected", (line, message) => {
    expect(parseError(line).message).toMatch(message);
  });

  it("reads server flags, pastes, repeated text, plain-text checks and timeouts", () => {
    expect(
      parse(
        [
          "server starts with --max-clients 2   --max-line-bytes 64",
          'Lion pastes: "one\\rtwo\\r"',
          'Lion says: "ab" x3',
          'Nc sends bytes: "\\xff" x2',
          'Cat joins as "猫" x2',
          "Lion sees only plain text",
          "Owl times out",
        ].join("\n"),
      ),
    ).toEqual([
      { kind: "server-start", flags: ["--max-clients", "2", "--max-line-bytes", "64"], server: "" },
      { kind: "paste", actor: "Lion", text: "one\rtwo\r" },
      { kind: "say", actor: "Lion", text: "ababab" },
      { kind: "send", actor: "Nc", bytes: Buffer.from([0xff, 0xff]) },
      { kind: "join", actor: "Cat", answer: "猫猫" },
      { kind: "see-plain", actor: "Lion" },
      { kind: "time-out", actor: "Owl" },
    ]);
  });

  it("reports the right line number after comments and blank lines", () => {
    const error = parseError("# comment\n\nserver starts\nLion joins\nLion waves\n");
    expect(error.line).toBe(5);
    expect(error.message).toMatch(/^scenarios\/bad\.scn:5: /);
  });

  it("reads several named servers (a cluster) and which server each client joins", () => {
    expect(
      parse(
        [
          "server A starts",
          "server B starts with --cluster-ttl-ms 1000 --max-clients 3",
          "Lion joins A",
          'Tiger joins B as "Big Cat"',
          "Owl starts on B",
          "Nc connects to A",
          "server-A sees: hi",
          "server B sees: hello",
          "server B is killed",
          "server A stops",
        ].join("\n"),
      ),
    ).toEqual([
      { kind: "server-start", flags: [], server: "A" },
      { kind: "server-start", flags: ["--cluster-ttl-ms", "1000", "--max-clients", "3"], server: "B" },
      { kind: "join", actor: "Lion", answer: "Lion", server: "A" },
      { kind: "join", actor: "Tiger", answer: "Big Cat", server: "B" },
      { kind: "start", actor: "Owl", server: "B" },
      { kind: "connect", actor: "Nc", server: "A" },
      { kind: "see", actor: "server-A", text: "hi" },
      { kind: "see", actor: "server-B", text: "hello" },
      { kind: "server-kill", server: "B" },
      { kind: "server-stop", server: "A" },
    ]);
  });
});
