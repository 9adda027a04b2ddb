/** The checker's command line: what to check, where to write, how to run. */
import { parseArgs } from "node:util";

export const USAGE = `usage: dummy-chat-check --server CMD [--client CMD] [options]
       dummy-chat-check --client CMD [options]
       dummy-chat-check --batch GLOB --server 'CMD {dir}' [--client 'CMD {dir}'] [options]

Checks a chat server, client, or both against PROTOCOL.md (see CHECKING.md). A side not
given is played by the reference implementation, and checks that judge only that side
are not applicable.

  --server CMD          the server to check; "--port 0" (and limit flags) are appended
  --client CMD          the client to check; "--port N" is appended
  --out DIR             folder for this run's logs, recordings and reports
                        (default: artifacts/check-DATE-TIME/, a new one per run)
  --json FILE           results as JSON (schema dummy-chat-check/1, see CHECKING.md)
  --gradescope FILE     results as Gradescope's results.json
  --junit FILE          results as JUnit XML
  --html DIR            an HTML report (index.html): every check, a page each, every
                        session's terminals side by side, recordings to replay; with
                        --batch, a class page of submissions by checks
  --only TEXT           run only the checks whose id contains TEXT (repeatable),
                        with the checks they need
  --jobs N              checks run at once (default 4)
  --time-limit S        seconds one check may take before it fails (default 30)
  --sandbox             run the programs under bubblewrap: read-only files except their
                        folder and a temporary one, no network but loopback
  --batch GLOB          check every folder GLOB matches (quote it); {dir} in the commands
                        stands for each folder; writes results.csv and a report per folder
  --submission-time-limit S   seconds for all checks of one submission (default 300)
  --list                list every check (id, group, PROTOCOL.md section) and exit;
                        with --markdown, as the tables of CHECKING.md
  --quiet               print only the last lines (the count and where the logs are)
  -h, --help            this text

Exit status: 0 every check passed, 1 some failed, 2 usage or setup error.`;

export interface Options {
  server?: string;
  client?: string;
  out?: string;
  json?: string;
  gradescope?: string;
  junit?: string;
  html?: string;
  only: string[];
  jobs: number;
  timeLimitMs: number;
  sandbox: boolean;
  batch?: string;
  submissionTimeLimitMs: number;
  list: boolean;
  markdown: boolean;
  quiet: boolean;
  help: boolean;
}

export class UsageError extends Error {}

/** A flag in seconds, as milliseconds. */
function seconds(name: string, value: string | undefined, fallbackSeconds: number): number {
  if (value === undefined) return fallbackSeconds * 1000;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) throw new UsageError(`--${name} must be a positive number of seconds, not ${JSON.stringify(value)}`);
  return Math.round(n * 1000);
}

export function parseOptions(argv: readonly string[]): Options {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        server: { type: "string" },
        client: { type: "string" },
        out: { type: "string" },
        json: { type: "string" },
        gradescope: { type: "string" },
        junit: { type: "string" },
        html: { type: "string" },
        only: { type: "string", multiple: true },
        jobs: { type: "string" },
        "time-limit": { type: "string" },
        sandbox: { type: "boolean" },
        batch: { type: "string" },
        "submission-time-limit": { type: "string" },
        list: { type: "boolean" },
        markdown: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const jobs = values.jobs === undefined ? 4 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new UsageError(`--jobs must be a whole number from 1 to 64, not ${JSON.stringify(values.jobs)}`);
  const options: Options = {
    server: values.server?.trim() || undefined,
    client: values.client?.trim() || undefined,
    out: values.out,
    json: values.json,
    gradescope: values.gradescope,
    junit: values.junit,
    html: values.html,
    only: values.only ?? [],
    jobs,
    timeLimitMs: seconds("time-limit", values["time-limit"], 30),
    sandbox: values.sandbox === true,
    batch: values.batch,
    submissionTimeLimitMs: seconds("submission-time-limit", values["submission-time-limit"], 300),
    list: values.list === true,
    markdown: values.markdown === true,
    quiet: values.quiet === true,
    help: values.help === true,
  };
  if (options.help || options.list) return options;
  if (options.server === undefined && options.client === undefined) throw new UsageError("give --server CMD, --client CMD, or both");
  const placeholder = [options.server, options.client].some((c) => c?.includes("{dir}"));
  if (options.batch !== undefined && !placeholder) throw new UsageError('with --batch, write {dir} in --server or --client where each submission\'s folder goes: --server "python3 {dir}/server.py"');
  if (options.batch === undefined && placeholder) throw new UsageError("{dir} stands for a submission's folder, and only --batch has those");
  return options;
}
