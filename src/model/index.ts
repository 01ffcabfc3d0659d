// The shared domain model: every stage (ingest -> series -> analysis -> findings -> render -> post)
// takes and returns these types and nothing else. Types only; no behaviour lives here except the
// small constant tables that define the vocabulary and one predicate every renderer and door shares.

// ---------------------------------------------------------------------------------------------
// Series: what a patch input becomes.

export interface Person {
  name: string;
  email: string;
}

/** One line of a unified diff hunk, with its line numbers on each side (null where absent). */
export interface DiffLine {
  kind: 'add' | 'del' | 'ctx';
  text: string; // without the leading '+', '-' or ' '
  oldLine: number | null;
  newLine: number | null;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Text after the second @@ (git's function context), trimmed; '' when absent. */
  header: string;
  lines: DiffLine[];
}

export type FileStatus = 'modified' | 'added' | 'deleted' | 'renamed' | 'copied' | 'binary';

export interface FileDiff {
  oldPath: string | null; // null for a new file
  newPath: string | null; // null for a deleted file
  status: FileStatus;
  hunks: Hunk[];
  /** Set when the file is skipped (binary, mode-only, ...): says why. */
  note: string | null;
  /** Abbreviated git blob ids of the pre- and post-image from the diff's `index <old>..<new>`
   *  line (lower-case hex as written); null when the line is absent or the id is all zeros (no
   *  such side: a new or a deleted file). They let whole files be read from git objects. */
  oldBlob: string | null;
  newBlob: string | null;
}

export interface Patch {
  /** 1-based position in the series (M of [PATCH M/N]); 1 for a lone patch. */
  index: number;
  /** N of [PATCH M/N]; 1 for a lone patch. */
  total: number;
  subject: string; // without the [PATCH ...] prefix
  rawSubject: string; // as sent
  messageId: string | null; // without angle brackets
  inReplyTo: string | null;
  references: string[];
  from: Person | null;
  date: string | null; // ISO 8601 when parseable
  to: string[];
  cc: string[];
  /** Commit message body (between headers and the '---' line), trailers included. */
  description: string;
  /** The 40-hex commit id from a format-patch 'From <sha> ...' line, when present. */
  commit: string | null;
  files: FileDiff[];
  /** The diff text exactly as found, for `git apply` in --tree mode. */
  diffText: string;
}

export interface Series {
  subject: string; // cover letter subject, else the first patch's
  messageId: string | null; // cover letter's, else first patch's
  version: number; // vN, 1 when absent
  prefixes: string[]; // e.g. ['RFC', 'net-next']
  cover: string | null; // cover-letter body when there is one
  baseCommit: string | null; // from a 'base-commit:' trailer
  patches: Patch[];
  /** Patch indexes missing from an M/N series (reported, not fatal). */
  missing: number[];
  /** Human-readable notes from assembly: revision chosen, replies skipped, missing patches. */
  notes: string[];
  /** Which input(s) the series came from. */
  source: string;
}

// ---------------------------------------------------------------------------------------------
// Findings: what analysis produces.

export type FindingClass = 'bitlock' | 'seqcount' | 'srcu' | 'atomic-sleep' | 'lock-order';
export const FINDING_CLASSES: readonly FindingClass[] = ['bitlock', 'seqcount', 'srcu', 'atomic-sleep', 'lock-order'];

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };
export type FailOn = Severity | 'never';

/** One step of a CPU interleaving: `cpu` indexes Interleaving.cpus. */
export interface InterleavingStep {
  cpu: number;
  action: string; // C text as a maintainer would write it, e.g. "clear_bit(LOCKED, &head->val);"
  file?: string;
  line?: number; // post-image line when the step is a real line of the patch
  note?: string; // e.g. "store is not ordered after the rmap update"
}

export interface Interleaving {
  title: string; // e.g. "possible unsafe locking scenario"
  cpus: string[]; // column titles: "CPU0", "CPU1" (or "CPU0 (irq)")
  steps: InterleavingStep[];
  outcome: string; // the bad end state in one sentence, e.g. "*** DEADLOCK ***"
}

export type Observation = 'Never' | 'Sometimes' | 'Always';

/** A verdict computed by the embedded LKMM checker for a generated litmus test. */
export interface Verdict {
  observation: Observation;
  positive: number;
  negative: number;
  dataRace: boolean;
  model: string; // e.g. "lockreview-lkmm (Linux 6.12 linux-kernel.cat)"
}

export interface Reproduction {
  interleaving: Interleaving | null;
  litmus: string | null; // herd7 C-dialect litmus test
  verdict: Verdict | null;
  /** Call chain from where the context became atomic (or the lock was taken) to the bad call. */
  chain: string[] | null;
  /** The splat the kernel would print, with the configs that show it. */
  splat: string | null;
  configs: string[] | null;
}

export interface TriageNote {
  outcome: 'keep' | 'downgrade' | 'drop';
  reason: string;
  model: string;
}

export interface Finding {
  /** Stable fingerprint: same problem on a re-run or a v2 of the series -> same id. */
  id: string;
  ruleId: string; // check id, e.g. "bitlock-unlock-without-release"
  class: FindingClass;
  severity: Severity;
  file: string; // post-image path
  line: number; // post-image line number
  endLine: number;
  function: string | null;
  /** 1-based index of the patch the finding belongs to (null in scan mode). */
  patch: number | null;
  /** False when the flagged line was not touched by the series (pre-existing problem). */
  introduced: boolean;
  message: string;
  reproduction: Reproduction;
  /** Set when an LLM reworded the message; the deterministic text is kept in `originalMessage`. */
  wordedBy?: string;
  originalMessage?: string;
  triage?: TriageNote;
  /** Set when an in-code `lockreview: ignore` comment covers the finding. */
  suppressed?: { reason: string; line: number };
}

/** Whether a finding counts: not silenced by an in-code suppression, not dropped by LLM triage.
 *  Renderers show and doors count only these (suppressed/dropped ones stay in JSON and SARIF). */
export function findingCounts(f: Finding): boolean {
  return !f.suppressed && f.triage?.outcome !== 'drop';
}

/** Static description of a check (ESLint's meta / Semgrep's rule metadata). */
export interface CheckMeta {
  id: string; // kebab-case, "<primitive>-<problem>"
  class: FindingClass;
  severity: Severity;
  title: string; // one line
  help: string; // a paragraph: the rule, why it matters, how to fix
  docs: string[]; // kernel Documentation/ references
}

export interface ReportStats {
  patches: number;
  files: number;
  functions: number;
  ms: number;
  llm?: { requests: number; promptTokens: number; completionTokens: number; ms: number; cached: number };
}

/** The JSON contract of `lockreview check --format json` (documented in README.md). */
export interface Report {
  tool: { name: 'lockreview'; version: string };
  series: Array<{
    subject: string;
    messageId: string | null;
    version: number;
    notes: string[];
    patches: Array<{ index: number; total: number; subject: string; messageId: string | null; files: string[] }>;
  }>;
  findings: Finding[];
  stats: ReportStats;
  /** Analysis notes: mode (hunk-only / tree), patches that did not apply, unsupported constructs. */
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Source access for analysis.

/**
 * Whole-file access for --tree / presend / GitHub modes. Hunk-only mode passes none.
 * `afterPatch` = k returns the file as it is after patches 1..k of the series are applied
 * (0 = the base). Null when the file does not exist at that point or cannot be read.
 */
export interface SourceProvider {
  readonly description: string; // e.g. "git worktree at 1a2b3c4 (series applied)"
  file(path: string, afterPatch: number): Promise<string | null>;
}

/** Code-unit order of two strings (byte order for ASCII: the order git lists paths in). Every sort
 *  in the tool uses it instead of localeCompare, whose order depends on the locale and whose first
 *  call loads ICU's collator (~6 ms of a one-patch check). */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
