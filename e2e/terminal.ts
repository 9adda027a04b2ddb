/** A program in a pseudo-terminal of fixed size, rendered by a headless xterm: what a person would see. */
import { readdirSync, readFileSync } from "node:fs";
import { spawn, type IPty } from "node-pty";
import xtermHeadless, { type IBufferCell, type IBufferLine } from "@xterm/headless";
import unicode11 from "@xterm/addon-unicode11";
import serialize from "@xterm/addon-serialize";
import { AsciicastRecorder } from "./asciicast.js";
import { HANGING_INDENT, joinReadings, rowReadings, type Display, type Readings, type TextRow } from "./display.js";
import { ChangeNotifier, waitUntil } from "./wait.js";
import { keyBytes, type Key } from "./keys.js";
import { keepLastOutput } from "./pty-last-output.js";

const { Terminal: XTerm } = xtermHeadless;
const { Unicode11Addon } = unicode11;
const { SerializeAddon } = serialize;

/** True when a process of the group runs; true too where /proc cannot tell. */
function liveMembers(pgid: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(pgrp) === pgid && state !== "Z";
    } catch {
      return false; // Gone meanwhile.
    }
  });
}

/** The only environment a spawned program gets, so every machine renders the same screens. */
export function terminalEnvironment(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    TERM: "xterm-256color",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TZ: "UTC",
  };
}

export interface TerminalOptions {
  name: string;
  /** The program and its arguments. */
  command: readonly string[];
  cwd: string;
  cols?: number;
  rows?: number;
  /** Rows kept above the screen; generous, so a transcript never loses its beginning. */
  scrollback?: number;
  /** Variables added to the environment (terminalEnvironment() holds the rest). */
  env?: Record<string, string>;
}

/** The input line as the screen shows it: the text left of the cursor (prompt included) and right of it. */
export interface CursorLine {
  before: string;
  after: string;
}

/** A screen as HTML: the container's style, and each row's inner HTML. */
export interface ScreenHtml {
  style: string;
  rows: string[];
  cols: number;
}

export interface ExitStatus {
  exitCode: number;
  /** The signal that ended the process, or 0. */
  signal: number;
}

export class PtyTerminal implements Display {
  readonly name: string;
  readonly recording: AsciicastRecorder;
  readonly pid: number;
  private readonly pty: IPty;
  private readonly xterm: InstanceType<typeof XTerm>;
  private readonly serializer = new SerializeAddon();
  private readonly changes = new ChangeNotifier();
  private unrendered = 0;
  private received = 0;
  private lastOutput = performance.now();
  private exitStatus: ExitStatus | null = null;
  private destroying = false;
  /** What the program did to the terminal besides text: titles set, bells rung. */
  private readonly effectList: string[] = [];
  private alternateScreenUsed = false;

  constructor(options: TerminalOptions) {
    const cols = options.cols ?? 80;
    const rows = options.rows ?? 24;
    const [file, ...args] = options.command;
    if (file === undefined) throw new Error(`${options.name}: empty command`);
    this.name = options.name;
    const env = { ...terminalEnvironment(), ...options.env };
    this.recording = new AsciicastRecorder({ width: cols, height: rows, title: options.name, env: { TERM: env.TERM!, SHELL: "" } });
    this.xterm = new XTerm({ cols, rows, scrollback: options.scrollback ?? 10_000, allowProposedApi: true });
    // Node's readline counts emoji as two columns, as Unicode 11 does; xterm's default (6) counts one.
    this.xterm.loadAddon(new Unicode11Addon());
    this.xterm.unicode.activeVersion = "11";
    this.xterm.loadAddon(this.serializer);
    this.xterm.onTitleChange((title) => this.effectList.push(`set the window title to ${JSON.stringify(title)}`));
    this.xterm.onBell(() => this.effectList.push("rang the bell"));
    this.xterm.buffer.onBufferChange((buffer) => {
      if (buffer.type === "alternate") this.alternateScreenUsed = true;
    });
    this.pty = spawn(file, args, { name: env.TERM!, cols, rows, cwd: options.cwd, env });
    keepLastOutput(this.pty);
    this.pid = this.pty.pid;
    // A terminal answers queries (cursor position, device attributes): prompt_toolkit,
    // curses and others wait for the answer, so it goes back to the program as input.
    this.xterm.onData((reply) => this.send(reply));
    this.pty.onData((data) => {
      this.received++;
      this.lastOutput = performance.now();
      this.recording.output(data);
      this.unrendered++;
      this.xterm.write(data, () => {
        this.unrendered--;
        this.changes.notify();
      });
      this.changes.notify();
    });
    // node-pty reports the exit once the pty has been read to its end (EIO), or after 200 ms
    // (then keepLastOutput reads what is left before node-pty lets the pty go).
    this.pty.onExit(({ exitCode, signal }) => {
      this.exitStatus = { exitCode, signal: signal ?? 0 };
      this.changes.notify();
    });
  }

  onChange(listener: () => void): () => void {
    return this.changes.onChange(listener);
  }

  get outputCount(): number {
    return this.received;
  }

  get lastOutputAt(): number {
    return this.lastOutput;
  }

  settled(): boolean {
    return this.unrendered === 0;
  }

  /** Null while the program runs; after its exit, with all its output read. */
  get exit(): ExitStatus | null {
    return this.exitStatus;
  }

  /** True once the program exited and everything it wrote is on the screen. */
  finished(): boolean {
    return this.exitStatus !== null && this.settled();
  }

  /** Types into the terminal: one write, which the program may read in one piece. */
  write(data: string): void {
    this.recording.input(data);
    this.send(data);
  }

  /** Presses a key: the bytes xterm would send for it in the mode the program set. */
  press(key: Key): void {
    this.write(keyBytes(key, this.xterm.modes.applicationCursorKeysMode));
  }

  /** Writes to the program, unless it is gone (the pty's descriptor would be closed). */
  private send(data: string): void {
    if (this.exitStatus === null && !this.destroying) this.pty.write(data);
  }

  /** Sends a signal to the program's whole process group (it leads its own session). */
  signal(signal: NodeJS.Signals): void {
    if (this.exitStatus !== null) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** True while any process of the program's group is still alive (a zombie, dead but not yet reaped, is not). */
  groupAlive(): boolean {
    try {
      process.kill(-this.pid, 0);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
    return liveMembers(this.pid);
  }

  /** Kills the program's group and waits, up to the deadline, for it to be gone; false if it survived. */
  async destroy(deadline: number): Promise<boolean> {
    this.destroying = true;
    // The whole group, even when its leader has exited: what it started may still run.
    const kill = (): void => {
      try {
        process.kill(-this.pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    };
    kill();
    try {
      await waitUntil(
        () => {
          if (this.exitStatus === null) return false;
          if (!this.groupAlive()) return true;
          kill(); // A process that joined the group meanwhile, or one still being torn down.
          return false;
        },
        () => `${this.name} to exit`,
        [this],
        deadline,
      );
    } catch {
      // Reported below as a survivor.
    }
    const gone = this.exitStatus !== null && !this.groupAlive();
    this.xterm.dispose();
    return gone;
  }

  rows(): string[] {
    const buffer = this.xterm.buffer.active;
    const rows: string[] = [];
    for (let i = 0; i < buffer.length; i++) rows.push(buffer.getLine(i)?.translateToString(true) ?? "");
    return rows;
  }

  /**
   * Rows with how each line goes on (see TextRow). A row's never-written cells are left out:
   * a wide character that does not fit in the last column leaves such a cell behind as it
   * wraps, and it is no part of the text (a typed space is written, and stays). But a row
   * followed by one that starts with the hanging indent may be a line the program broke
   * there: it is read to the edge, never-written cells as the blanks a person sees.
   */
  textRows(): TextRow[] {
    const buffer = this.xterm.buffer.active;
    const cols = this.xterm.cols;
    const cell = buffer.getNullCell();
    const rows: TextRow[] = [];
    // getLine past the last row is not always undefined: a full buffer (the alternate screen's) wraps around to its first.
    const line = (i: number): IBufferLine | undefined => (i < buffer.length ? buffer.getLine(i) : undefined);
    let row = line(0);
    let text = row?.translateToString(true) ?? "";
    for (let i = 0; row !== undefined; i++) {
      // Each row is read once: as the next row of this one, then as the row itself.
      const after = line(i + 1);
      const afterText = after?.translateToString(true) ?? "";
      const end = this.writtenUpTo(row);
      const indentFollows = after !== undefined && !after.isWrapped && afterText.startsWith(HANGING_INDENT);
      // A wide character that did not fit in the last column went to the next row, leaving that cell unwritten.
      const wideWentOn = end === cols - 1 && after?.getCell(indentFollows ? HANGING_INDENT.length : 0, cell)?.getWidth() === 2;
      if (after?.isWrapped === true) {
        // A blank in the last column, then a wide character the terminal wrapped: GNU readline's " \e[K", which an xterm erases.
        const edgeBlank = end === cols && text.endsWith(" ") && after.getCell(0, cell)?.getWidth() === 2;
        rows.push(edgeBlank ? { text, next: "continues", edgeBlank } : { text, next: "continues" });
      }
      else if (end === cols || wideWentOn) rows.push({ text, next: "may-continue" });
      // A program that draws with cursor moves (curses) skips blanks already on the screen:
      // a row it broke may end short of the edge, its blanks never written but seen.
      else if (indentFollows) rows.push({ text: text + " ".repeat(cols - end), next: "may-continue" });
      else if (end === cols - 1) rows.push({ text, next: "may-continue" });
      else rows.push({ text, next: "ends" });
      [row, text] = [after, afterText];
    }
    return rows;
  }

  /** How many columns of the row were written, up to its last written cell. */
  private writtenUpTo(row: IBufferLine): number {
    const cell = this.xterm.buffer.active.getNullCell();
    for (let x = row.length - 1; x >= 0; x--) {
      row.getCell(x, cell);
      if (cell.getWidth() === 0 || cell.getChars() !== "") return x + 1;
    }
    return 0;
  }

  /**
   * Everything but plain text the program showed: cells with a colour or attribute
   * (bold, underline, inverse...), in the scrollback too, and titles or bells. Empty when
   * all it ever showed was plain text.
   */
  styling(): string[] {
    return [...this.effects(), ...this.styledCells()];
  }

  /** True once the program switched to the alternate screen (a full-screen program's, whose rows never reach the scrollback). */
  usedAlternateScreen(): boolean {
    return this.alternateScreenUsed;
  }

  /** What the program did to the terminal besides text, in order: titles set, bells rung. */
  effects(): string[] {
    return [...this.effectList];
  }

  /**
   * The first cell of each row (of the given rows, or of every row) whose colours or
   * attributes are neither plain nor one of the `own` styles (what `rowStyle` gives): the
   * style a client gives all it prints is its own, not obeyed from what it received.
   */
  styledCells(rows?: ReadonlySet<number>, own: ReadonlySet<string> = new Set()): string[] {
    const allowed = new Set([...own, ...[...own].map(blankStyle)]);
    const found: string[] = [];
    const buffer = this.xterm.buffer.active;
    const cell = buffer.getNullCell();
    for (let i = 0; i < buffer.length; i++) {
      if (rows !== undefined && !rows.has(i)) continue;
      const row = buffer.getLine(i);
      if (row === undefined) continue;
      for (let x = 0; x < row.length; x++) {
        row.getCell(x, cell);
        const style = cellStyle(cell);
        if (style !== "" && !allowed.has(style)) {
          found.push(`row ${i + 1}, column ${x + 1} (${JSON.stringify(cell.getChars() || " ")}): ${style}`);
          break; // One cell a row says enough.
        }
      }
    }
    return found;
  }

  /** The colours and attributes of the row's first character ("" when plain, or when the row is blank). */
  rowStyle(index: number): string {
    const buffer = this.xterm.buffer.active;
    const row = index >= 0 && index < buffer.length ? buffer.getLine(index) : undefined;
    const cell = buffer.getNullCell();
    for (let x = 0; row !== undefined && x < row.length; x++) {
      row.getCell(x, cell);
      if (cell.getChars().trim() !== "") return cellStyle(cell);
    }
    return "";
  }

  /** The buffer row the cursor is on (scrollback rows counted). */
  cursorRow(): number {
    const buffer = this.xterm.buffer.active;
    return buffer.baseY + buffer.cursorY;
  }

  /**
   * The screen as HTML, scrollback included, as @xterm/addon-serialize renders it (colours
   * and attributes), one element per row; each wide character is marked so that a page can
   * give it two columns, and the cursor's cell is marked. Rows after the last one written
   * (and after the cursor's) are left out.
   */
  screenHtml(): ScreenHtml {
    const serialized = this.serializer.serializeAsHTML({ includeGlobalBackground: true });
    const container = /<pre><div style='([^']*)'>([\s\S]*)<\/div><\/pre>/.exec(serialized);
    const rowsHtml = container ? [...container[2]!.matchAll(/<div>([\s\S]*?)<\/div>/g)].map((m) => m[1]!) : [];
    const buffer = this.xterm.buffer.active;
    const cursor = { row: buffer.baseY + buffer.cursorY, col: buffer.cursorX };
    let last = cursor.row;
    for (let i = 0; i < buffer.length; i++) if ((buffer.getLine(i)?.translateToString(true) ?? "").trim() !== "") last = Math.max(last, i);
    const cell = buffer.getNullCell();
    const rows = rowsHtml.slice(0, last + 1).map((html, i) => {
      // The width of every cell that holds a character, in the order the serializer wrote them.
      const widths: number[] = [];
      const cursorAt = i === cursor.row ? cursor.col : -1;
      let cursorIndex = -1;
      const line = buffer.getLine(i);
      for (let x = 0; line !== undefined && x < line.length; x++) {
        line.getCell(x, cell);
        if (cell.getWidth() === 0) continue;
        if (x === cursorAt || (cursorAt > x && cursorAt < x + cell.getWidth())) cursorIndex = widths.length;
        widths.push(cell.getWidth());
      }
      let index = 0;
      const marked = html.replace(/(<[^>]*>)|(&[a-z]+;|[^<&])/gu, (token, tag: string | undefined) => {
        if (tag !== undefined) return tag;
        const k = index++;
        const classes = [widths[k] === 2 ? "wide" : "", k === cursorIndex ? "cursor" : ""].filter(Boolean).join(" ");
        return classes ? `<span class="${classes}">${token}</span>` : token;
      });
      // A cursor past the row's last written cell.
      return cursorAt >= 0 && cursorIndex < 0 ? `${marked}<span class="cursor"> </span>` : marked;
    });
    return { style: container?.[1] ?? "", rows, cols: this.xterm.cols };
  }

  /** Everything the program wrote, as it arrived: escape sequences and all. */
  output(): string {
    return this.recording.outputText();
  }

  /** The rows the screen shows now (no scrollback), for failure reports. */
  screen(): string[] {
    const buffer = this.xterm.buffer.active;
    const rows: string[] = [];
    for (let i = buffer.viewportY; i < buffer.viewportY + this.xterm.rows; i++) rows.push(buffer.getLine(i)?.translateToString(true) ?? "");
    return rows;
  }

  /**
   * The line the cursor is on, split at the cursor: `before` holds the prompt and what is
   * typed left of the cursor, `after` the rest without trailing spaces. Rows above belong
   * to it when the terminal wrapped them, or may when they are full (the program may
   * break a long input line itself): one reading per possible start, nearest first.
   */
  cursorLines(): CursorLine[] {
    const buffer = this.xterm.buffer.active;
    const rows = this.textRows();
    const row = buffer.baseY + buffer.cursorY;
    const current = buffer.getLine(row);
    const continues = (rows[row]?.next ?? "ends") !== "ends";
    const head = current?.translateToString(false, 0, buffer.cursorX) ?? "";
    const broken = (r: number): boolean => r > 0 && rows[r - 1]!.next === "may-continue";
    // What follows the cursor: the rest of its row, then the rows the line goes on in.
    const rest = current?.translateToString(continues, buffer.cursorX) ?? "";
    let after: Readings = { asShown: [rest], unindented: [rest] };
    for (let r = row + 1; r < rows.length && rows[r - 1]!.next !== "ends"; r++) after = joinReadings(after, rowReadings(rows[r]!, broken(r)));
    const readings = new Map<string, CursorLine>();
    const add = (before: Readings): void => {
      // A client indents every row it breaks, or none: the unindented readings go together.
      for (const [befores, afters] of [[before.asShown, after.asShown], [before.unindented, after.unindented]] as const) {
        for (const b of befores) for (const a of afters) readings.set(`${b}\u0000${a}`, { before: b, after: a.trimEnd() });
      }
    };
    // A row that the terminal wrapped from the one above cannot start the line.
    const canStart = (r: number): boolean => !(r > 0 && rows[r - 1]!.next === "continues");
    const cursorRow = rows[row] ?? { text: head, next: "ends" };
    if (canStart(row)) add(rowReadings(cursorRow, false, head));
    // Going up, row by row: the rows below a start, read as continuations of the line it starts.
    let below = rowReadings(cursorRow, broken(row), head);
    for (let start = row - 1; start >= 0 && rows[start]!.next !== "ends"; start--) {
      if (canStart(start)) add(joinReadings(rowReadings(rows[start]!, false), below));
      below = joinReadings(rowReadings(rows[start]!, broken(start)), below);
    }
    return [...readings.values()];
  }

  /** The nearest reading of the input line that starts with the prompt, or the nearest one. */
  cursorLine(prompt = ""): CursorLine {
    const readings = this.cursorLines();
    return readings.find((r) => r.before.startsWith(prompt)) ?? readings[0]!;
  }
}

/** What of a style shows on a blank cell: its background, and lines drawn through it. */
const SHOWS_ON_BLANK = /^(a background colour|inverse|underline|strikethrough|overline)/;

/** The part of a style (cellStyle's words) that a blank cell shows. */
function blankStyle(style: string): string {
  return style
    .split(", ")
    .filter((part) => SHOWS_ON_BLANK.test(part))
    .join(", ");
}

/**
 * A cell's colours (with their numbers, so two colours differ) and attributes, in words; ""
 * when plain. Of a blank cell, only what shows on it (a foreground colour does not).
 */
function cellStyle(cell: IBufferCell): string {
  const style = fullStyle(cell);
  return cell.getChars().trim() === "" ? blankStyle(style) : style;
}

function fullStyle(cell: IBufferCell): string {
  const colour = (isDefault: boolean, isRGB: boolean, value: number): string =>
    isDefault ? "" : isRGB ? `#${value.toString(16).padStart(6, "0")}` : `colour ${value}`;
  const fg = colour(cell.isFgDefault(), cell.isFgRGB(), cell.getFgColor());
  const bg = colour(cell.isBgDefault(), cell.isBgRGB(), cell.getBgColor());
  return [
    fg ? `a foreground colour (${fg})` : "",
    bg ? `a background colour (${bg})` : "",
    cell.isBold() ? "bold" : "",
    cell.isDim() ? "dim" : "",
    cell.isItalic() ? "italic" : "",
    cell.isUnderline() ? "underline" : "",
    cell.isBlink() ? "blink" : "",
    cell.isInverse() ? "inverse" : "",
    cell.isInvisible() ? "invisible" : "",
    cell.isStrikethrough() ? "strikethrough" : "",
    cell.isOverline() ? "overline" : "",
  ]
    .filter(Boolean)
    .join(", ");
}
