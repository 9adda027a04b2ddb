// Preloaded into the dummy-chat server by the memory profile (bench/memory-profile.ts):
//   node --expose-gc --require bench/server-probe.cjs dist/server/main.js ...
// On SIGUSR2 it runs a full GC, then writes process.memoryUsage(), V8's heap spaces and,
// when the file DUMMY_CHAT_PROBE_OUT + ".snapshot" names a path, a heap snapshot there;
// the JSON goes to the file DUMMY_CHAT_PROBE_OUT (written whole, then renamed). Only the profile uses it: the
// measured runs start the server without it.
"use strict";
const fs = require("node:fs");
const v8 = require("node:v8");

process.on("SIGUSR2", () => {
  const out = process.env.DUMMY_CHAT_PROBE_OUT;
  if (!out) return;
  if (typeof global.gc === "function") global.gc();
  const report = { memory: process.memoryUsage(), spaces: v8.getHeapSpaceStatistics(), snapshot: null };
  let snapshot = "";
  try {
    snapshot = fs.readFileSync(out + ".snapshot", "utf8").trim();
    fs.unlinkSync(out + ".snapshot");
  } catch {
    // no snapshot asked for
  }
  if (snapshot) report.snapshot = v8.writeHeapSnapshot(snapshot);
  fs.writeFileSync(out + ".tmp", JSON.stringify(report));
  fs.renameSync(out + ".tmp", out);
});
