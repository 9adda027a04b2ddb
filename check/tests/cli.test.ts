// The dummy-chat-check command as a user runs it: exit statuses, the summary, the report
// files, setup errors in one line, time limits, leftovers, --batch and --sandbox.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe as group, expect, it } from "vitest";
import { referencePrograms } from "../check-implementation.js";
import { IMPLEMENTATIONS, PYTHON, ROOT } from "./support.js";

const CLI = join(ROOT, "dist", "check", "main.js");
const MISBEHAVING = join(IMPLEMENTATIONS, "misbehaving");
const reference = referencePrograms(ROOT);
const referenceServer = reference.server.join(" ");

function dummyChatCheck(args: string[], cwd = ROOT) {
  const env: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined };
  return execa(process.execPath, [CLI, ...args], { cwd, reject: false, env, extendEnv: false, timeout: 170_000 });
}

const scratch = (name: string): string => mkdtempSync(join(tmpdir(), `check-cli-${name}-`));

/** True while the process runs (a zombie, killed and waiting to be reaped, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

group("dummy-chat-check", () => {
  it("passes: one line per check and the count, no colours into a pipe, JSON, Gradescope and JUnit files", async () => {
    const out = scratch("pass");
    const run = await dummyChatCheck(["--server", referenceServer, "--only", "server/relay", "--out", out, "--json", join(out, "r.json"), "--gradescope", join(out, "g.json"), "--junit", join(out, "j.xml")]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/\x1b\[/);
    expect(run.stdout).toMatch(/^  PASS  server\/relay +relays a chat line/m);
    expect(run.stdout).toMatch(/^4\/4 checks passed; 0 failed, 0 skipped \(a check they need did not pass\)\. Score 4\/4\.$/m);
    const json = JSON.parse(readFileSync(join(out, "r.json"), "utf8"));
    expect(json.schema).toBe("dummy-chat-check/1");
    expect(json.summary).toMatchObject({ passed: 4, failed: 0, skipped: 0, score: 4, max_score: 4 });
    const relay = json.checks.find((c: { id: string }) => c.id === "server/relay");
    expect(relay).toMatchObject({ group: "server", section: "4 Chat", status: "passed", score: 1, max_score: 1, log: "server/relay/log.txt" });
    expect(Object.keys(relay).sort()).toEqual(["actual", "duration_ms", "expected", "group", "hint", "id", "log", "max_score", "message", "name", "score", "section", "skip_reason", "status"].sort());
    expect(existsSync(join(out, "server/relay/log.txt"))).toBe(true);
    const gradescope = JSON.parse(readFileSync(join(out, "g.json"), "utf8"));
    expect(gradescope).toMatchObject({ score: 4, max_score: 4 });
    expect(gradescope.tests).toHaveLength(4);
    expect(gradescope.tests[0]).toMatchObject({ status: "passed", score: 1, max_score: 1 });
    expect(readFileSync(join(out, "j.xml"), "utf8")).toMatch(/<testcase classname="server" name="server\/relay: relays a chat line[^"]*" time="[\d.]+"\/>/);
  });

  it("fails with exit status 1, saying what was expected, what arrived, the section and a hint", async () => {
    const out = scratch("fail");
    const run = await dummyChatCheck(["--server", `${PYTHON} ${join(MISBEHAVING, "silent.py")}`, "--only", "server/answers-nickname", "--out", out, "--gradescope", join(out, "g.json")]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^  FAIL  server\/answers-nickname/m);
    expect(run.stdout).toMatch(/what: +the server answers Lion's nickname with a line/);
    expect(run.stdout).toMatch(/expected: +"a line ending in \\\\n"/);
    expect(run.stdout).toMatch(/actual: +nothing arrived within \d+ s/);
    expect(run.stdout).toMatch(/section: +3 Registration \(PROTOCOL\.md#3-registration\)/);
    expect(run.stdout).toMatch(/hint: +read the first line a client sends as its nickname/);
    expect(run.stdout).toMatch(/^1\/2 checks passed/m);
    const test = JSON.parse(readFileSync(join(out, "g.json"), "utf8")).tests.find((t: { number: string }) => t.number === "server/answers-nickname");
    expect(test).toMatchObject({ status: "failed", score: 0, max_score: 1 });
    expect(test.output).toMatch(/^the server answers Lion's nickname with a line\nexpected: /);
  });

  it("stops a check at its time limit", async () => {
    const run = await dummyChatCheck(["--server", `${PYTHON} ${join(MISBEHAVING, "silent.py")}`, "--only", "server/answers-nickname", "--time-limit", "0.5", "--out", scratch("limit")]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/what: +the check did not finish within 0\.5 s/);
  });

  it("reports a process the implementation left behind, and kills it", async () => {
    const dir = scratch("escapes");
    cpSync(join(MISBEHAVING, "escapes.py"), join(dir, "escapes.py"));
    const out = scratch("escapes-out");
    const run = await dummyChatCheck(["--server", `${PYTHON} ${join(dir, "escapes.py")}`, "--only", "server/starts", "--out", out, "--json", join(out, "r.json")]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    const pid = Number(readFileSync(join(dir, "escaped.pid"), "utf8"));
    const leftovers = JSON.parse(readFileSync(join(out, "r.json"), "utf8")).leftovers as Array<{ pid: number; command: string }>;
    expect(leftovers.map((l) => l.pid)).toContain(pid);
    expect(run.stdout).toMatch(/Still running after the run, and killed: .*escapes\.py/);
    expect(running(pid)).toBe(false);
  });

  it("says in one line, with exit status 2, what keeps it from starting", async () => {
    const notFound = await dummyChatCheck(["--server", "no-such-program --flag"]);
    expect(notFound.exitCode).toBe(2);
    expect(notFound.stderr).toBe("dummy-chat-check: --server: command not found: no-such-program (not on PATH)");
    const noPortLine = await dummyChatCheck(["--server", "sh -c 'echo hello, I am a server; exit 3'"]);
    expect(noPortLine.exitCode).toBe(2);
    expect(noPortLine.stderr).toBe('dummy-chat-check: the server never printed its port line ">>> Server is up on PORT:N" when started with --port 0: it exited (exit status 3); it printed: hello, I am a server');
    const usage = await dummyChatCheck(["--jobs", "0", "--server", referenceServer]);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr.split("\n")[0]).toBe('dummy-chat-check: --jobs must be a whole number from 1 to 64, not "0"');
    const noBubblewrap = await execa(process.execPath, [CLI, "--server", referenceServer, "--sandbox"], { cwd: ROOT, reject: false, env: { PATH: "/nonexistent" }, extendEnv: false });
    expect(noBubblewrap.exitCode).toBe(2);
    expect(noBubblewrap.stderr).toBe("dummy-chat-check: --sandbox runs programs under bubblewrap, which is not installed: apt-get install bubblewrap (Debian), then try again");
    const arrival = await execa(process.execPath, [CLI, "--server", referenceServer], { cwd: ROOT, reject: false, env: { ...process.env, DUMMY_CHAT_CHECK_ARRIVAL_MS: "2 s" } });
    expect(arrival.exitCode).toBe(2);
    expect(arrival.stderr).toBe('dummy-chat-check: DUMMY_CHAT_CHECK_ARRIVAL_MS must be a whole number of milliseconds from 100 to 60000, not "2 s"');
    const nothing = await dummyChatCheck([]);
    expect(nothing.exitCode).toBe(2);
    expect(nothing.stderr.split("\n")[0]).toBe("dummy-chat-check: give --server CMD, --client CMD, or both");
  });
});

group("--batch", () => {
  it("checks every submission in turn: a row each in results.csv, reports beside them, setup errors in their row", async () => {
    const submissions = scratch("submissions");
    cpSync(join(IMPLEMENTATIONS, "python"), join(submissions, "alice"), { recursive: true });
    cpSync(join(IMPLEMENTATIONS, "seed-report"), join(submissions, "bob"), { recursive: true });
    cpSync(join(IMPLEMENTATIONS, "misbehaving"), join(submissions, "carol"), { recursive: true }); // has no server.py
    const out = scratch("batch-out");
    const run = await dummyChatCheck(["--batch", join(submissions, "*"), "--server", `${PYTHON} {dir}/server.py`, "--only", "server/welcome", "--only", "server/no-echo", "--out", out]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout, run.stdout).toMatch(/^ {2}alice +4\/4 +all passed/m);
    expect(run.stdout).toMatch(/^ {2}bob +3\/4 +failed: server\/welcome/m);
    expect(run.stdout).toMatch(/^ {2}carol +SETUP ERROR: the server never printed its port line/m);
    expect(run.stdout).toMatch(/^1\/3 submissions passed every check\./m);
    const csv = readFileSync(join(out, "results.csv"), "utf8").trimEnd().split("\n");
    expect(csv[0]).toBe("submission,status,note,score,max_score,server/starts,server/answers-nickname,server/welcome,server/no-echo");
    expect(csv[1]).toMatch(/^alice,checked,[\d.]+ s,4,4,1,1,1,1$/);
    expect(csv[2]).toMatch(/^bob,checked,[\d.]+ s,3,4,1,1,0,1$/);
    expect(csv[3]).toMatch(/^carol,setup error,"the server never printed its port line/);
    for (const name of ["alice", "bob"]) {
      expect(existsSync(join(out, name, "report.json"))).toBe(true);
      expect(existsSync(join(out, name, "results-gradescope.json"))).toBe(true);
    }
  });

  it("stops a submission at its time limit", async () => {
    const submissions = scratch("slow-submissions");
    mkdirSync(join(submissions, "dave"));
    cpSync(join(MISBEHAVING, "silent.py"), join(submissions, "dave", "server.py"));
    const run = await dummyChatCheck(["--batch", join(submissions, "*"), "--server", `${PYTHON} {dir}/server.py`, "--only", "server/answers-nickname", "--submission-time-limit", "1", "--out", scratch("slow-out")]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^ {2}dave +TIMED OUT: stopped after 1 s$/m);
  });
});

/** A non-loopback IPv4 address of this machine, for a listener only the unsandboxed can reach. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
}

group("--sandbox", () => {
  it("refuses a program writes outside its folder and connections beyond loopback, which it has without", async () => {
    const address = externalAddress();
    expect(address, "this machine needs a network interface besides loopback for this test").toBeDefined();
    const listener: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen({ host: address, port: 0 }, resolve));
    const target = `${address}:${(listener.address() as AddressInfo).port}`;
    try {
      for (const sandboxed of [false, true]) {
        const parent = scratch(sandboxed ? "nosy-sandboxed" : "nosy");
        const dir = join(parent, "submission");
        cpSync(join(MISBEHAVING, "nosy.py"), join(dir, "nosy.py"), { recursive: true });
        // Not under /tmp: the sandbox gives each program a /tmp of its own.
        const outside = join("/var/tmp", `nosy-was-here-${process.pid}-${sandboxed}.txt`);
        const run = await dummyChatCheck(["--server", `${PYTHON} nosy.py --reach ${target} --outside ${outside}`, "--only", "server/starts", ...(sandboxed ? ["--sandbox"] : []), "--out", join(dir, "out")], dir);
        expect(run.exitCode, run.stdout + run.stderr).toBe(0);
        const findings = readFileSync(join(dir, "nosy-findings.txt"), "utf8");
        if (sandboxed) {
          expect(findings).toMatch(/^write-outside: refused \(Read-only file system\)$/m);
          expect(findings).toMatch(/^network: refused/m);
          expect(existsSync(outside)).toBe(false);
        } else {
          expect(findings).toMatch(/^write-outside: allowed$/m);
          expect(findings).toMatch(/^network: allowed$/m);
          rmSync(outside);
        }
        rmSync(parent, { recursive: true, force: true });
      }
    } finally {
      listener.close();
    }
  });
});
