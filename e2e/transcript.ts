/** Turns a terminal's rows into its comparable transcript: trailing space gone, ports named. */

/** Gives every port the kit learns a stable name, so transcripts do not change from run to run. */
export class PortNames {
  private readonly names = new Map<number, string>();
  /** Other learned texts (a cluster server's id) and their names. */
  private readonly texts = new Map<string, string>();

  /** Names a text that changes from run to run, e.g. a server's id "host:1234:ab12" → "<server-A-id>". */
  addText(text: string, name: string): void {
    if (text !== "" && !this.texts.has(text)) this.texts.set(text, name);
  }

  /** Names a port, e.g. 41234 → "<server-port>". A port keeps its first name. */
  add(port: number, name: string): void {
    if (!Number.isInteger(port) || port <= 0) return;
    if (!this.names.has(port)) this.names.set(port, name);
  }

  has(port: number): boolean {
    return this.names.has(port);
  }

  /** Every name with its port. */
  byName(): Record<string, number> {
    return Object.fromEntries([...this.names].map(([port, name]) => [name, port]));
  }

  /** Replaces every known port that stands as a whole number by its name. */
  replaceIn(text: string): string {
    for (const [known, name] of this.texts) if (text.includes(known)) text = text.split(known).join(name);
    if (this.names.size === 0) return text;
    return text.replace(/\d+/g, (digits) => {
      const name = this.names.get(Number(digits));
      return name !== undefined && String(Number(digits)) === digits ? name : digits;
    });
  }
}

/** Trailing spaces of every line and trailing blank lines removed; ports replaced. */
export function normaliseRows(rows: readonly string[], ports: PortNames): string[] {
  const lines = rows.map((row) => ports.replaceIn(row.trimEnd()));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The transcript as stored in a fixture: normalised lines, each ending in a newline. */
export function transcriptText(rows: readonly string[], ports: PortNames): string {
  const lines = normaliseRows(rows, ports);
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
