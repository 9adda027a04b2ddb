// Normalisation of transcripts: trailing space, trailing blank lines, ports named, nothing else.
import { describe, expect, it } from "vitest";
import { normaliseRows, PortNames, transcriptText } from "./transcript.js";

describe("transcript normalisation", () => {
  it("removes trailing spaces and trailing blank lines, and keeps blank lines inside", () => {
    expect(normaliseRows(["Lion: hi   ", "", "Now participants: 2 ", "Lion: ", "", "   "], new PortNames())).toEqual([
      "Lion: hi",
      "",
      "Now participants: 2",
      "Lion:",
    ]);
  });

  it("keeps leading spaces and everything else as shown", () => {
    expect(normaliseRows(["  indented", "\tTab ^[[31m"], new PortNames())).toEqual(["  indented", "\tTab ^[[31m"]);
  });

  it("replaces every known port standing as a whole number by its name", () => {
    const ports = new PortNames();
    ports.add(41234, "<server-port>");
    ports.add(51675, "<Lion-port>");
    expect(ports.replaceIn(">>> Server is up on PORT:41234")).toBe(">>> Server is up on PORT:<server-port>");
    expect(ports.replaceIn("chat received from Lion(127.0.0.1:51675)")).toBe("chat received from Lion(127.0.0.1:<Lion-port>)");
    expect(ports.replaceIn("Lion(51675): 51675 is my port, not 516750 or 151675 or 051675")).toBe(
      "Lion(<Lion-port>): <Lion-port> is my port, not 516750 or 151675 or 051675",
    );
  });

  it("leaves unknown numbers alone, and gives a port its first name only", () => {
    const ports = new PortNames();
    ports.add(51680, "<Tiger-port>");
    ports.add(51680, "<Rabbit-port>");
    expect(ports.replaceIn("Tiger(51680) Now participants: 3 (51689)")).toBe("Tiger(<Tiger-port>) Now participants: 3 (51689)");
  });

  it("writes a fixture's text: lines joined, one final newline, empty when nothing was shown", () => {
    const ports = new PortNames();
    expect(transcriptText(["a ", "b", ""], ports)).toBe("a\nb\n");
    expect(transcriptText(["", "  "], ports)).toBe("");
  });
});
