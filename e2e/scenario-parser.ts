/** Reads a scenario file: one action per line, actors by name, `#` comments (see e2e/README.md). */
import { KEY_NAMES, keyNamed, type Key } from "./keys.js";
import { limitsFromFlags } from "./limits.js";

/** Where an action came from, for messages: the file, its line number and the line as written. */
export interface Origin {
  file: string;
  line: number;
  source: string;
}

export type Action = Origin &
  (
    /** flags: `--max-clients 2 ...` as written, already checked against the documented limits. */
    /** server: "" for `server starts`, "A" for `server A starts` (several make a cluster through Redis). */
    | { kind: "server-start"; flags: string[]; server: string }
    | { kind: "server-stop"; server: string }
    | { kind: "server-kill"; server: string }
    /** A client is spawned and answers the nickname prompt, or a raw connection sends its nickname line. server: `joins A`, or undefined. */
    | { kind: "join"; actor: string; answer: string; server?: string }
    /** A client is spawned and left at its nickname prompt. */
    | { kind: "start"; actor: string; server?: string }
    /** A client is spawned against a port nobody listens on. */
    | { kind: "start-without-server"; actor: string }
    | { kind: "say"; actor: string; text: string }
    | { kind: "type"; actor: string; text: string }
    /** One write holding several lines ("\r" between them), as a terminal sends a paste. */
    | { kind: "paste"; actor: string; text: string }
    | { kind: "press"; actor: string; keys: Key[] }
    | { kind: "kill"; actor: string }
    | { kind: "see"; actor: string; text: string }
    | { kind: "see-pattern"; actor: string; pattern: RegExp }
    /** No colour, attribute, title or bell ever reached the terminal. */
    | { kind: "see-plain"; actor: string }
    /** The server's registration timeout refuses the connection, which never sent a nickname. */
    | { kind: "time-out"; actor: string }
    | { kind: "connect"; actor: string; server?: string }
    | { kind: "send"; actor: string; bytes: Buffer }
    | { kind: "close"; actor: string }
  );

export type ActionKind = Action["kind"];

export interface Scenario {
  /** The file name without directory and extension: the fixture directory's name. */
  name: string;
  file: string;
  actions: Action[];
}

export class ScenarioParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = "ScenarioParseError";
  }
}

export const SERVER = "server";
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** A server's name in a cluster: a capital letter, then letters and digits (`server A starts`, `Lion joins A`). */
const SERVER_NAME = "[A-Z][A-Za-z0-9]*";

/** The actor (and fixture) name of a server: "server", or "server-A" for server A. */
export function serverActor(server: string): string {
  return server === "" ? SERVER : `${SERVER}-${server}`;
}
const MAX_REPEAT = 100;
/** The most times a quoted text can be repeated with `"TEXT" xN`. */
const MAX_TEXT_REPEAT = 100_000;

const CLIENT_ACTIONS = [
  "NAME joins [SERVER]",
  'NAME joins [SERVER] as "TEXT"',
  "NAME starts",
  "NAME starts on SERVER",
  "NAME starts with no server",
  "NAME says: TEXT",
  "NAME types: TEXT",
  "NAME pastes: TEXT",
  "NAME presses KEY[, KEY...]",
  "NAME is killed",
  "NAME sees: TEXT",
  "NAME sees /REGEX/",
  "NAME sees only plain text",
  "NAME times out",
  "NAME connects",
  "NAME connects to SERVER",
  "NAME sends: TEXT",
  'NAME sends bytes: "BYTES"',
  "NAME closes",
];
const SERVER_ACTIONS = ["server [NAME] starts", "server [NAME] starts with FLAGS", "server [NAME] stops", "server [NAME] is killed", "server [NAME] sees: TEXT", "server [NAME] sees /REGEX/"];

/** Parses a whole scenario; the first problem found is thrown as a ScenarioParseError. */
export function parseScenario(text: string, file: string, name = scenarioName(file)): Scenario {
  const actions: Action[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const source = raw.trim();
    if (source === "" || source.startsWith("#")) return;
    actions.push(parseLine(source, { file, line: index + 1, source }));
  });
  return { name, file, actions };
}

export function scenarioName(file: string): string {
  return file.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
}

function parseLine(source: string, origin: Origin): Action {
  const fail = (problem: string): never => {
    throw new ScenarioParseError(origin.file, origin.line, problem);
  };
  const space = source.search(/[\s:]/);
  const actor = space < 0 ? source : source.slice(0, space);
  const rest = space < 0 ? "" : source.slice(space).trimStart();

  if (!NAME.test(actor)) {
    fail(`expected an actor name (a letter, then letters, digits, "-" or "_") at the start of the line, found ${JSON.stringify(actor)}`);
  }
  if (actor === SERVER) return parseServerAction(rest, origin, fail);

  const action = parseActorAction(actor, rest, origin, fail);
  if (action === undefined) {
    fail(`expected one of these after ${JSON.stringify(actor)}: ${CLIENT_ACTIONS.map((a) => a.replace(/^NAME /, "")).join(" | ")}; found ${JSON.stringify(rest)}`);
  }
  return action!;
}

type Fail = (problem: string) => never;

function parseServerAction(all: string, origin: Origin, fail: Fail): Action {
  const named = new RegExp(`^(${SERVER_NAME})(?:\\s+(.*)|:(.*))?$`).exec(all);
  const server = named ? named[1]! : "";
  const rest = named ? (named[2] ?? (named[3] !== undefined ? ":" + named[3] : "")).trim() : all;
  if (rest === "starts") return { ...origin, kind: "server-start", flags: [], server };
  const withFlags = /^starts with\s+(.*)$/.exec(rest);
  if (withFlags) {
    const flags = withFlags[1]!.split(/\s+/);
    try {
      limitsFromFlags(flags);
    } catch (error) {
      fail((error as Error).message);
    }
    return { ...origin, kind: "server-start", flags, server };
  }
  if (rest === "stops") return { ...origin, kind: "server-stop", server };
  if (rest === "is killed") return { ...origin, kind: "server-kill", server };
  const see = parseSee(serverActor(server), rest, origin, fail);
  if (see) return see;
  return fail(`expected one of ${SERVER_ACTIONS.map((a) => JSON.stringify(a)).join(", ")}; found "server ${all}"`);
}

function parseActorAction(actor: string, rest: string, origin: Origin, fail: Fail): Action | undefined {
  switch (rest) {
    case "joins":
      return { ...origin, kind: "join", actor, answer: actor };
    case "starts":
      return { ...origin, kind: "start", actor };
    case "starts with no server":
      return { ...origin, kind: "start-without-server", actor };
    case "is killed":
      return { ...origin, kind: "kill", actor };
    case "connects":
      return { ...origin, kind: "connect", actor };
    case "closes":
      return { ...origin, kind: "close", actor };
    case "times out":
      return { ...origin, kind: "time-out", actor };
    case "sees only plain text":
      return { ...origin, kind: "see-plain", actor };
  }
  const onServer = new RegExp(`^(joins|starts on|connects to)\\s+(${SERVER_NAME})$`).exec(rest);
  if (onServer) {
    const server = onServer[2]!;
    if (onServer[1] === "joins") return { ...origin, kind: "join", actor, answer: actor, server };
    return { ...origin, kind: onServer[1] === "starts on" ? "start" : "connect", actor, server };
  }
  const joinsAs = new RegExp(`^joins(?:\\s+(${SERVER_NAME}))? as\\s+(.*)$`).exec(rest);
  if (joinsAs) {
    const quoted = joinsAs[2]!;
    if (!quoted.startsWith('"')) fail(`expected the nickname text in double quotes after "joins as", e.g. joins as "  Big Cat  "`);
    const join: Action = { ...origin, kind: "join", actor, answer: utf8Text(parseQuoted(quoted, fail), fail) };
    return joinsAs[1] === undefined ? join : { ...join, server: joinsAs[1] };
  }
  const presses = /^presses\s+(.*)$/.exec(rest);
  if (presses) return { ...origin, kind: "press", actor, keys: parseKeys(presses[1]!, fail) };

  const see = parseSee(actor, rest, origin, fail);
  if (see) return see;

  const labelled = /^(says|types|pastes|sends bytes|sends):(.*)$/.exec(rest);
  if (!labelled) return undefined;
  const [, label, value] = labelled as unknown as [string, string, string];
  const argument = value.trim();
  if (label === "sends bytes") {
    if (!argument.startsWith('"')) fail(`expected the bytes in double quotes after "sends bytes:", e.g. sends bytes: "hi\\r\\n"`);
    return { ...origin, kind: "send", actor, bytes: parseQuoted(argument, fail) };
  }
  if (argument === "") fail(`expected text after "${label}:"`);
  const text = utf8Text(parseText(argument, fail), fail);
  if (label === "sends") return { ...origin, kind: "send", actor, bytes: Buffer.from(text + "\n", "utf8") };
  if (text === "") fail(`expected text after "${label}:", found an empty quoted text`);
  if (label === "pastes") {
    if (text.includes("\n")) fail(`a paste ends its lines with "\\r", as a terminal sends them, not "\\n"`);
    return { ...origin, kind: "paste", actor, text };
  }
  return { ...origin, kind: label === "says" ? "say" : "type", actor, text };
}

/** `sees: TEXT` or `sees /REGEX/flags`, or undefined when the line is no `sees`. */
function parseSee(actor: string, rest: string, origin: Origin, fail: Fail): Action | undefined {
  const text = /^sees:(.*)$/.exec(rest);
  if (text) {
    const argument = text[1]!.trim();
    if (argument === "") fail(`expected text after "sees:"`);
    return { ...origin, kind: "see", actor, text: utf8Text(parseText(argument, fail), fail) };
  }
  const pattern = /^sees\s+\/(.*)\/([a-z]*)$/.exec(rest);
  if (pattern) {
    try {
      // g and y would make test() remember where it stopped: a pattern here is tested afresh each time.
      return { ...origin, kind: "see-pattern", actor, pattern: new RegExp(pattern[1]!, pattern[2]!.replace(/[gy]/g, "")) };
    } catch (err) {
      fail(`invalid regular expression /${pattern[1]}/${pattern[2]}: ${(err as Error).message}`);
    }
  }
  if (/^sees\b/.test(rest)) fail(`expected "sees: TEXT" or "sees /REGEX/" after ${JSON.stringify(actor)}, found ${JSON.stringify(rest)}`);
  return undefined;
}

/** "Enter", "Left x3, Backspace": names separated by commas, each optionally repeated with xN. */
function parseKeys(list: string, fail: Fail): Key[] {
  const keys: Key[] = [];
  for (const item of list.split(",")) {
    const match = /^\s*(\S+)(?:\s+x(\d+))?\s*$/.exec(item);
    if (!match) fail(`expected a key name, optionally followed by xN (e.g. "Left x3"), found ${JSON.stringify(item.trim())}`);
    const key = keyNamed(match![1]!);
    if (key === undefined) fail(`unknown key ${JSON.stringify(match![1])}: expected one of ${KEY_NAMES.join(", ")}`);
    const times = match![2] === undefined ? 1 : Number(match![2]);
    if (times < 1 || times > MAX_REPEAT) fail(`a key can be repeated 1 to ${MAX_REPEAT} times, not ${times}`);
    for (let i = 0; i < times; i++) keys.push(key!);
  }
  return keys;
}

/** Unquoted text is taken as written (trimmed); "quoted" text keeps its spaces and escapes. */
function parseText(argument: string, fail: Fail): Buffer {
  return argument.startsWith('"') ? parseQuoted(argument, fail) : Buffer.from(argument, "utf8");
}

function utf8Text(bytes: Buffer, fail: Fail): string {
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) fail(`expected valid UTF-8 text here; "\\xNN" escapes of raw bytes belong in "sends bytes:"`);
  return text;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", e: "\x1b", "0": "\0", '"': '"', "\\": "\\" };

/**
 * A double-quoted text with escapes: \n \r \t \e (escape) \0 \" \\, \xHH (one byte) and
 * \u{H...} (a character). After the closing quote, ` xN` repeats the whole text N times
 * (`"0123456789" x200` is 2,000 characters); nothing else may follow it.
 */
export function parseQuoted(argument: string, fail: Fail): Buffer {
  const parts: Buffer[] = [];
  let literal = "";
  const flush = (): void => {
    if (literal !== "") parts.push(Buffer.from(literal, "utf8"));
    literal = "";
  };
  let i = 1;
  for (;;) {
    if (i >= argument.length) fail(`unterminated quoted text: expected a closing " in ${argument}`);
    const char = argument[i]!;
    if (char === '"') break;
    if (char !== "\\") {
      literal += char;
      i++;
      continue;
    }
    const next = argument[i + 1] ?? "";
    if (next in SIMPLE_ESCAPES) {
      literal += SIMPLE_ESCAPES[next];
      i += 2;
    } else if (next === "x" && /^[0-9a-fA-F]{2}$/.test(argument.slice(i + 2, i + 4))) {
      flush();
      parts.push(Buffer.from([parseInt(argument.slice(i + 2, i + 4), 16)]));
      i += 4;
    } else if (next === "u" && /^\{[0-9a-fA-F]{1,6}\}/.test(argument.slice(i + 2))) {
      const close = argument.indexOf("}", i);
      const code = parseInt(argument.slice(i + 3, close), 16);
      if (code > 0x10ffff) fail(`\\u{${code.toString(16)}} is not a character`);
      literal += String.fromCodePoint(code);
      i = close + 1;
    } else {
      fail(`unknown escape "\\${next}": expected one of \\n \\r \\t \\e \\0 \\" \\\\ \\xHH \\u{HHHH}`);
    }
  }
  const after = argument.slice(i + 1).trim();
  let times = 1;
  if (after !== "") {
    const repeat = /^x(\d+)$/.exec(after);
    if (!repeat) fail(`unexpected text after the closing quote: ${JSON.stringify(after)} (only xN, to repeat the text N times, may follow it)`);
    times = Number(repeat![1]);
    if (times < 1 || times > MAX_TEXT_REPEAT) fail(`a quoted text can be repeated 1 to ${MAX_TEXT_REPEAT} times, not ${times}`);
  }
  flush();
  const once = Buffer.concat(parts);
  return times === 1 ? once : Buffer.concat(Array.from({ length: times }, () => once));
}
