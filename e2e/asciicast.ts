/** Records what a terminal showed (and what was typed into it) as an asciicast v2 file for replay. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface AsciicastHeader {
  width: number;
  height: number;
  title: string;
  env?: Record<string, string>;
}

type Event = [seconds: number, kind: "o" | "i", data: string];

export class AsciicastRecorder {
  private readonly startedAt = performance.now();
  private readonly timestamp = Math.floor(Date.now() / 1000);
  private readonly events: Event[] = [];

  constructor(private readonly header: AsciicastHeader) {}

  /** Output the terminal showed. */
  output(data: string): void {
    this.events.push([this.now(), "o", data]);
  }

  /** Input typed into the terminal. */
  input(data: string): void {
    this.events.push([this.now(), "i", data]);
  }

  /** Everything written to the terminal, in order. */
  outputText(): string {
    return this.events.filter((e) => e[1] === "o").map((e) => e[2]).join("");
  }

  /** The file's text: a JSON header line, then one JSON array per event. */
  toString(): string {
    const header = { version: 2, ...this.header, timestamp: this.timestamp };
    return [JSON.stringify(header), ...this.events.map((e) => JSON.stringify(e))].join("\n") + "\n";
  }

  writeTo(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, this.toString());
  }

  private now(): number {
    return Math.round(performance.now() - this.startedAt) / 1000;
  }
}
