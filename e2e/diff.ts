/** A unified diff of two texts, line by line, for readable fixture mismatches (the `diff` library). */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";

/** "" when equal; otherwise `--- old` / `+++ new` headers and @@ hunks with `context` lines around changes. */
export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string, context = 3): string {
  if (oldText === newText) return "";
  return createTwoFilesPatch(oldName, newName, oldText, newText, "", "", { context, headerOptions: FILE_HEADERS_ONLY });
}
