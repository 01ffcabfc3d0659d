// Check tester (the idea of ESLint's RuleTester): run checks over C source or a patch with the real
// engine and knowledge base, and compare findings with expectations written in the C itself.
//
//   runChecksOnSource(code, { checks, file?, changedLines? }) -> Finding[]
//       Whole-file analysis of `code` (tree mode). changedLines: 'all' (default) or the 1-based
//       lines the "patch" changed, which decides Finding.introduced.
//   runChecksOnPatch(diffText, { checks }) -> Finding[]
//       Hunk-only analysis of a unified diff (`diff --git` or plain ---/+++ headers), as
//       `lockreview check` does without --tree.
//   expectationsOf(code) -> Map<line, ruleId[]>
//       Fixture convention: a line carrying the comment `/* expect: <rule-id> */` must get exactly
//       that finding (several ids: `/* expect: a, b */`); every other line must get none from the
//       family under test.
//   checkFixture(path, checks) -> { missing, unexpected }: runs a fixture file
//       (test/fixtures/checks/<family>/*.c) and lists the differences; assertFixture() fails a test
//       with a readable message when there are any.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Finding, Patch, Series } from '../../src/model/index.js';
import type { Check } from '../../src/engine/types.js';
import { analyzeSeries } from '../../src/engine/index.js';
import { analyzeUnits } from '../../src/engine/index.js';
import { wholeFileUnit } from '../../src/engine/units.js';
import { loadKnowledgeBase } from '../../src/kb/index.js';
import { parseDiff } from '../../src/diff/index.js';

export interface SourceOptions {
  checks: Check[];
  file?: string;
  changedLines?: 'all' | number[];
}

export async function runChecksOnSource(code: string, opts: SourceOptions): Promise<Finding[]> {
  const kb = await loadKnowledgeBase();
  const changed = opts.changedLines ?? 'all';
  const unit = wholeFileUnit(opts.file ?? 'test.c', 1, code, changed === 'all' ? new Set(code.split('\n').map((_, i) => i + 1)) : new Set(changed));
  const notes: string[] = [];
  const { sink } = await analyzeUnits([unit], kb, opts.checks, notes);
  const failed = notes.filter((n) => n.startsWith('check '));
  if (failed.length) throw new Error(failed.join('\n'));
  return sink.findings;
}

export async function runChecksOnPatch(diffText: string, opts: { checks: Check[] }): Promise<Finding[]> {
  const kb = await loadKnowledgeBase();
  const r = await analyzeSeries(seriesFromDiffs([diffText]), { sources: null, kb, checks: opts.checks });
  const failed = r.notes.filter((n) => n.startsWith('check '));
  if (failed.length) throw new Error(failed.join('\n'));
  return r.findings;
}

/** A Patch built from unified-diff text: patch `index` of a `total`-patch series (a builder for
 *  tests that need hunk-only analysis of their own diffs). */
export function patchFromDiff(diffText: string, index = 1, total = 1): Patch {
  return {
    index,
    total,
    subject: `patch ${index}`,
    rawSubject: `[PATCH ${index}/${total}] patch ${index}`,
    messageId: null,
    inReplyTo: null,
    references: [],
    from: null,
    date: null,
    to: [],
    cc: [],
    description: '',
    commit: null,
    files: parseDiff(diffText, { input: `p${index}.diff` }).files,
    diffText,
  };
}

/** A series of one patch per unified diff, in order (hunk-only analysis of a test's own diffs). */
export function seriesFromDiffs(diffs: string[]): Series {
  return {
    subject: 'test',
    messageId: null,
    version: 1,
    prefixes: [],
    cover: null,
    baseCommit: null,
    patches: diffs.map((d, i) => patchFromDiff(d, i + 1, diffs.length)),
    missing: [],
    notes: [],
    source: 'test',
  };
}

export function expectationsOf(code: string): Map<number, string[]> {
  const m = new Map<number, string[]>();
  code.split('\n').forEach((l, i) => {
    const e = /\/\*\s*expect:\s*([\w\s,-]+?)\s*\*\//.exec(l);
    if (e) m.set(i + 1, e[1]!.split(/[\s,]+/).filter(Boolean));
  });
  return m;
}

export async function checkFixture(path: string, checks: Check[]): Promise<{ findings: Finding[]; missing: string[]; unexpected: string[] }> {
  const code = readFileSync(path, 'utf8');
  const findings = await runChecksOnSource(code, { checks, file: basename(path) });
  const expect = expectationsOf(code);
  const missing: string[] = [];
  const unexpected: string[] = [];
  for (const [line, ids] of expect) for (const id of ids) if (!findings.some((f) => f.line === line && f.ruleId === id)) missing.push(`${basename(path)}:${line}: expected ${id}`);
  for (const f of findings) if (!(expect.get(f.line) ?? []).includes(f.ruleId)) unexpected.push(`${basename(path)}:${f.line}: unexpected ${f.ruleId}: ${f.message}`);
  return { findings, missing, unexpected };
}

export async function assertFixture(path: string, checks: Check[]): Promise<Finding[]> {
  const r = await checkFixture(path, checks);
  if (r.missing.length || r.unexpected.length) throw new Error([...r.missing, ...r.unexpected].join('\n'));
  return r.findings;
}
