// GitHub pull-request review: the summary body (counts by class, a table of findings, each
// reproduction in a collapsible <details> with the interleaving also as a Mermaid sequence diagram
// and the litmus test in a ```c block with its verdict) and inline comments on exact post-image
// lines (line/side=RIGHT/start_line; never the deprecated `position`).
//
// Idempotence lives here too, as pure planning over what earlier runs left on the PR: every review
// body carries a hidden `<!-- lockreview:review ... -->` marker with the head it reviewed and the
// findings it reported, every inline comment a `<!-- lockreview:finding id=... -->` marker. A run
// on the same head with the same findings plans nothing; on a new push, findings that are gone are
// listed as resolved, surviving ones get no second inline comment, new ones are added.
import type { Finding, FindingClass, Report, Severity } from '../model/index.js';
import { FINDING_CLASSES, byCodeUnit, findingCounts } from '../model/index.js';
import { renderMermaidSequence } from './mermaid.js';
import { verdictSummary } from './text.js';

export const REVIEW_MARKER = 'lockreview:review';
export const FINDING_MARKER = 'lockreview:finding';

/** What a review remembers about one finding (enough to list it as resolved later). */
export interface RememberedFinding {
  id: string;
  ruleId: string;
  class: FindingClass;
  severity: Severity;
  file: string;
  line: number;
  message: string;
}

/** The state a posted review carries in its marker. */
export interface ReviewState {
  head: string;
  findings: RememberedFinding[];
}

/** What earlier runs left on the pull request. */
export interface PriorReviews {
  /** States of earlier lockreview reviews, oldest first. */
  states: ReviewState[];
  /** Finding ids that already have an inline comment. */
  commented: ReadonlySet<string>;
}

export interface ReviewComment {
  path: string;
  line: number;
  side: 'RIGHT';
  start_line?: number;
  start_side?: 'RIGHT';
  body: string;
}

export interface ReviewPlan {
  /** False when there is nothing new to say (same head, same findings; or nothing ever found). */
  post: boolean;
  body: string;
  comments: ReviewComment[];
  /** The body without the marker, for the job summary. */
  summary: string;
  counts: { new: number; surviving: number; resolved: number; outsideDiff: number; suppressed: number };
}

export interface ReviewInput {
  report: Report;
  headSha: string;
  /** Post-image lines GitHub accepts comments on (lines of the PR diff's hunks), per path. */
  commentable: ReadonlyMap<string, ReadonlySet<number>>;
  prior: PriorReviews;
  /** Where the SARIF went, mentioned in the summary when set. */
  sarifFile?: string | null;
  /** At most this many inline comments per review (the rest are in the summary); default 50. */
  maxComments?: number;
}

/** Findings that count: not silenced in source, not dropped by triage. */
export function activeFindings(report: Report): Finding[] {
  return report.findings.filter(findingCounts);
}

export function planReview(input: ReviewInput): ReviewPlan {
  const current = activeFindings(input.report).sort((a, b) => byCodeUnit(a.file, b.file) || a.line - b.line || byCodeUnit(a.ruleId, b.ruleId));
  const suppressed = input.report.findings.length - current.length;
  const last = input.prior.states.at(-1) ?? null;
  const everReported = new Set<string>([...input.prior.commented]);
  for (const s of input.prior.states) for (const f of s.findings) everReported.add(f.id);
  const currentIds = new Set(current.map((f) => f.id));
  const resolved = (last?.findings ?? []).filter((f) => !currentIds.has(f.id));
  const isNew = (f: Finding) => !everReported.has(f.id);

  const comments: ReviewComment[] = [];
  const outside: Finding[] = [];
  const maxComments = input.maxComments ?? 50;
  const overflow = new Set<string>();
  for (const f of current) {
    const anchor = commentAnchor(f, input.commentable);
    if (!anchor) {
      outside.push(f);
      continue;
    }
    if (input.prior.commented.has(f.id)) continue; // surviving: its comment is already there
    if (comments.length >= maxComments) {
      overflow.add(f.id); // a wall of comments helps nobody: the summary still has it
      continue;
    }
    comments.push({ ...anchor, body: inlineBody(f) });
  }

  const sameAsLast = !!last && last.head === input.headSha && sameIds(last.findings.map((f) => f.id), [...currentIds]);
  const nothingEver = !last && current.length === 0;
  const counts = {
    new: current.filter(isNew).length,
    surviving: current.length - current.filter(isNew).length,
    resolved: resolved.length,
    outsideDiff: outside.length,
    suppressed,
  };
  const state: ReviewState = { head: input.headSha, findings: current.map(remember) };
  const summary = summaryMarkdown(input, current, resolved, new Set(outside.map((f) => f.id)), overflow, isNew, counts, last);
  const body = `${encodeMarker(state)}\n${summary}`;
  return { post: !sameAsLast && !nothingEver, body, comments, summary, counts };
}

/** Where an inline comment can go: the whole range when GitHub accepts it, else its first line. */
export function commentAnchor(
  f: Finding,
  commentable: ReadonlyMap<string, ReadonlySet<number>>,
): Pick<ReviewComment, 'path' | 'line' | 'side' | 'start_line' | 'start_side'> | null {
  const lines = commentable.get(f.file);
  if (!lines?.has(f.line)) return null;
  const end = f.endLine > f.line ? f.endLine : f.line;
  let whole = end > f.line;
  for (let l = f.line; whole && l <= end; l++) if (!lines.has(l)) whole = false;
  if (whole) return { path: f.file, start_line: f.line, start_side: 'RIGHT', line: end, side: 'RIGHT' };
  return { path: f.file, line: f.line, side: 'RIGHT' };
}

function summaryMarkdown(
  input: ReviewInput,
  current: Finding[],
  resolved: RememberedFinding[],
  outsideIds: Set<string>,
  overflow: Set<string>,
  isNew: (f: Finding) => boolean,
  counts: ReviewPlan['counts'],
  last: ReviewState | null,
): string {
  const out: string[] = [];
  const n = current.length;
  out.push(`## lockreview: ${n ? `${n} locking finding${n === 1 ? '' : 's'}` : 'no locking findings'}`);
  out.push('');
  out.push(`Reviewed \`${input.headSha.slice(0, 12)}\` (${describeSeries(input.report)}) with lockreview ${input.report.tool.version}.`);
  const models = [...new Set(input.report.findings.map((f) => f.wordedBy).filter(Boolean))];
  if (models.length) out.push(`Wording assisted by ${models.join(', ')}; the findings and reproductions are lockreview's own.`);
  if (last && last.head !== input.headSha) out.push(`Compared with the previous review of \`${last.head.slice(0, 12)}\`.`);
  out.push('');
  if (n || resolved.length) {
    out.push('| class | findings | new | still present | resolved |');
    out.push('|---|---:|---:|---:|---:|');
    for (const c of FINDING_CLASSES) {
      const here = current.filter((f) => f.class === c);
      const gone = resolved.filter((f) => f.class === c);
      if (!here.length && !gone.length) continue;
      const fresh = here.filter(isNew).length;
      out.push(`| ${c} | ${here.length} | ${fresh} | ${here.length - fresh} | ${gone.length} |`);
    }
    out.push('');
  }
  if (n) {
    out.push('| | severity | rule | location | message |');
    out.push('|---|---|---|---|---|');
    for (const f of current) {
      const status = isNew(f) ? 'new' : 'still present';
      const where = `\`${f.file}:${f.line}\`${f.patch !== null ? ` (patch ${f.patch})` : ''}${outsideIds.has(f.id) ? ' — not on a diff line' : ''}${overflow.has(f.id) ? ' — no inline comment (limit reached)' : ''}`;
      const pre = f.introduced ? '' : ' (pre-existing)';
      out.push(`| ${status} | ${f.severity} | \`${f.ruleId}\` | ${where} | ${cell(esc(f.message))}${pre} |`);
    }
    out.push('');
    if (outsideIds.size) {
      out.push(`${outsideIds.size} finding${outsideIds.size === 1 ? ' is' : 's are'} not on a line of this diff, so ${outsideIds.size === 1 ? 'it appears' : 'they appear'} only here.`);
      out.push('');
    }
    out.push('### Reproductions');
    out.push('');
    for (const f of current) out.push(...details(f));
  }
  if (resolved.length) {
    out.push('### Resolved since the previous review');
    out.push('');
    for (const f of resolved) out.push(`- ~~${f.severity}: \`${f.ruleId}\` at \`${f.file}:${f.line}\`: ${cell(esc(f.message))}~~ resolved or outdated`);
    out.push('');
  }
  if (counts.suppressed) {
    out.push(`${counts.suppressed} finding${counts.suppressed === 1 ? ' was' : 's were'} suppressed (\`lockreview: ignore\` or triage) and ${counts.suppressed === 1 ? 'is' : 'are'} not shown.`);
    out.push('');
  }
  const notes = [...input.report.series.flatMap((s) => s.notes), ...input.report.notes];
  if (notes.length) {
    // How the PR was read (per commit or combined, whole files or hunks only): for the curious.
    out.push('<details><summary>Analysis notes</summary>', '', ...notes.map((n) => `- ${cell(esc(n))}`), '', '</details>', '');
  }
  if (input.sarifFile) out.push(`SARIF: \`${input.sarifFile}\``);
  return out.join('\n').trimEnd() + '\n';
}

function describeSeries(report: Report): string {
  const p = report.stats.patches;
  return `${p} patch${p === 1 ? '' : 'es'}, ${report.stats.files} file${report.stats.files === 1 ? '' : 's'}, ${report.stats.functions} function${report.stats.functions === 1 ? '' : 's'}`;
}

/** The reproduction of one finding as a collapsible block. */
export function details(f: Finding): string[] {
  const out = [`<details><summary><code>${esc(f.ruleId)}</code> at <code>${esc(f.file)}:${f.line}</code>${f.function ? ` in <code>${esc(f.function)}()</code>` : ''}</summary>`, ''];
  out.push(...reproductionMarkdown(f));
  out.push(`<sub>finding id <code>${esc(f.id)}</code></sub>`, '', '</details>', '');
  return out;
}

function reproductionMarkdown(f: Finding): string[] {
  const r = f.reproduction;
  const out: string[] = [];
  if (r.chain?.length) {
    out.push('Call chain:', '', '```text', ...r.chain.map((c, i) => `${'  '.repeat(i)}${i ? '-> ' : ''}${c}`), '```', '');
  }
  if (r.interleaving) {
    const il = r.interleaving;
    out.push(`**${esc(il.title)}**`, '');
    out.push(`| ${il.cpus.map(esc).join(' | ')} |`, `|${il.cpus.map(() => '---').join('|')}|`);
    for (const s of il.steps) {
      const text = `<code>${esc(s.action)}</code>${s.line ? ` (line ${s.line})` : ''}${s.note ? `<br><i>${esc(s.note)}</i>` : ''}`;
      out.push(`| ${il.cpus.map((_, i) => (i === s.cpu ? cell(text) : ' ')).join(' | ')} |`);
    }
    out.push('');
    out.push('```mermaid', renderMermaidSequence(il), '```', '');
    if (il.outcome) out.push(`Outcome: **${esc(il.outcome)}**`, '');
  }
  if (r.litmus) {
    out.push(r.verdict ? `Litmus test, verdict ${esc(verdictSummary(r.verdict))}:` : 'Litmus test (no verdict):', '');
    out.push('```c', r.litmus.trimEnd(), '```', '');
  }
  if (r.splat) {
    out.push(`Splat${r.configs?.length ? ` with ${r.configs.map((c) => `\`${c}\``).join(', ')}` : ''}:`, '', '```text', r.splat.trimEnd(), '```', '');
  }
  return out;
}

function inlineBody(f: Finding): string {
  const out = [`**${f.severity}**: ${esc(f.message)} [\`${f.ruleId}\`]${f.introduced ? '' : ' (pre-existing)'}`, ''];
  const repro = reproductionMarkdown(f);
  if (repro.length) out.push('<details><summary>Reproduction</summary>', '', ...repro, '</details>', '');
  out.push(`<!-- ${FINDING_MARKER} id=${f.id} -->`);
  return out.join('\n');
}

function remember(f: Finding): RememberedFinding {
  return { id: f.id, ruleId: f.ruleId, class: f.class, severity: f.severity, file: f.file, line: f.line, message: f.message.slice(0, 300) };
}

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

// ---------------------------------------------------------------------------------------------
// Markers. The state is base64url JSON so no message text can close the HTML comment early.

export function encodeMarker(state: ReviewState): string {
  const payload = Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
  return `<!-- ${REVIEW_MARKER} v1 head=${state.head} state=${payload} -->`;
}

/** The state from a review body, or null when the body is not a lockreview review. */
export function decodeMarker(body: string | null | undefined): ReviewState | null {
  const m = body?.match(/<!-- lockreview:review v1 head=([0-9a-f]+) state=([A-Za-z0-9_-]*) -->/);
  if (!m) return null;
  try {
    const state = JSON.parse(Buffer.from(m[2]!, 'base64url').toString('utf8')) as ReviewState;
    if (typeof state.head !== 'string' || !Array.isArray(state.findings)) return null;
    return state;
  } catch {
    return null;
  }
}

/** The finding id an inline comment was made for, or null. */
export function findingIdOfComment(body: string | null | undefined): string | null {
  const m = body?.match(/<!-- lockreview:finding id=([^\s>]+) -->/);
  return m ? m[1]! : null;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A markdown table cell: no raw pipes or newlines. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
