#!/usr/bin/env node
// Writes the checker's list of checks (dummy-chat-check --list --markdown) into CHECKING.md,
// between its markers. check/tests/docs.test.ts fails when they differ.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const BEGIN = "<!-- checks:begin -->";
const END = "<!-- checks:end -->";
const table = execFileSync(process.execPath, ["dist/check/main.js", "--list", "--markdown"], { encoding: "utf8" }).trimEnd();
const doc = readFileSync("CHECKING.md", "utf8");
const start = doc.indexOf(BEGIN);
const end = doc.indexOf(END);
if (start < 0 || end < start) throw new Error(`CHECKING.md has no ${BEGIN} ... ${END}`);
writeFileSync("CHECKING.md", `${doc.slice(0, start + BEGIN.length)}\n${table}\n${doc.slice(end)}`);
console.log("CHECKING.md: list of checks updated");
