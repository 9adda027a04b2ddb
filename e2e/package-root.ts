/** Where this package lives, from the sources (e2e/) or the build (dist/e2e/) alike. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NAME = "dummy-chat";

/** The nearest directory above this file holding dummy-chat's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === NAME) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${NAME}'s package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
