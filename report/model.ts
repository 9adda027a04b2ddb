/** What an HTML report shows: a run's checks (or scenarios), each with what is known of it. */
import type { ScenarioRecord } from "../e2e/scenario-record.js";

export type ItemStatus = "passed" | "failed" | "skipped";

/** One check, or one scenario of `make e2e`. */
export interface ReportItem {
  id: string;
  name: string;
  /** The group it is shown in. */
  group: string;
  section?: string;
  status: ItemStatus;
  /** Not applicable: listed, but counted for nothing. */
  notApplicable?: boolean;
  score?: number;
  maxScore?: number;
  durationMs?: number;
  message?: string;
  expected?: string;
  actual?: string;
  hint?: string;
  /** Its log, as text. */
  log?: string;
  /** Its terminals' recordings: a name and the asciicast text. */
  casts: Array<{ name: string; text: string }>;
  /** For a session: the run's record, and each terminal's fixture (null when it has none). */
  session?: { record: ScenarioRecord; fixtures: Record<string, string | null> };
}

export interface ReportInput {
  title: string;
  /** Lines under the title: what was checked, when. */
  subtitle: string[];
  /** The headline: "61/66 checks passed ...". */
  headline: string;
  items: ReportItem[];
}

/** A submission of a --batch run, for the class page. */
export interface ClassRow {
  submission: string;
  status: string;
  note: string;
  score: number;
  maxScore: number;
  /** Check id → its status, or null when it did not apply. */
  checks: Record<string, ItemStatus | null>;
  /** The submission's report folder, relative to the class page. */
  reportDir: string | null;
}
