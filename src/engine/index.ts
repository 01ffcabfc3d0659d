// The analysis engine: series or files -> units -> parsed function models (ordered events with
// execution context) -> interprocedural summaries -> checks -> findings.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Finding, Series, SourceProvider } from '../model/index.js';
import type { AnalysisUnit, Check, FunctionModel, KnowledgeBase } from './types.js';
import { InputError } from '../errors.js';
import { addedLines, hunkUnits, isCFile, wholeFileUnit } from './units.js';
import { modelUnit, type ParsedUnit } from './models.js';
import { computeSummaries } from './summaries.js';
import { preferDefinitionsOverGenerated } from './generated-facts.js';
import { FindingSink, runChecks } from './runner.js';
import { analyzeFilesInThreads, scanThreadCount } from './scan-workers.js';
import type { ExtraFacts } from '../config/index.js';
import { byCodeUnit } from '../model/index.js';

export { lockClassMatches, lockClassOf, normaliseExpr, lastHop } from './lock-class.js';
export { emptyReproduction, lineText } from './runner.js';
export { modelUnit } from './models.js';
export { primitiveTarget } from './walk.js';
export { hunkUnit, hunkUnits, wholeFileUnit } from './units.js';

export interface AnalyzeOptions {
  sources: SourceProvider | null;
  kb: KnowledgeBase;
  checks: Check[];
}

export interface AnalysisResult {
  findings: Finding[];
  functions: number;
  files: number;
  notes: string[];
}

/** Parses units, runs the checks over all their functions as one analysis, frees the trees. */
export async function analyzeUnits(units: AnalysisUnit[], kb: KnowledgeBase, checks: readonly Check[], notes: string[], sink = new FindingSink()): Promise<{ sink: FindingSink; functions: FunctionModel[] }> {
  const parsed: ParsedUnit[] = [];
  try {
    // A unit identical to an earlier one (the same hunk in two patches of the analysis, such as a
    // patch sent twice in one series) has the same models, the unit aside: it is parsed and
    // walked once. Models are read-only for summaries and checks, so the copies
    // share their events (test/engine/repeated-units.test.ts).
    const byContent = new Map<string, ParsedUnit>();
    const functions: FunctionModel[] = [];
    for (const u of units) {
      const key = contentKeyOf(u);
      const same = key == null ? undefined : byContent.get(key);
      if (same) {
        for (const fn of same.functions) functions.push({ ...fn, unit: u });
        continue;
      }
      const p = await modelUnit(u, kb);
      parsed.push(p);
      if (key != null) byContent.set(key, p);
      functions.push(...p.functions);
    }
    const facts = preferDefinitionsOverGenerated(functions, kb);
    let summaries;
    try {
      summaries = computeSummaries(functions, facts);
    } catch (e) {
      notes.push(`summaries failed: ${(e as Error).message}`);
      summaries = new Map();
    }
    runChecks({ checks, kb: facts, functions, summaries, sink, notes });
    return { sink, functions };
  } finally {
    for (const p of parsed) p.tree.delete();
  }
}

/** What a unit's models depend on: its file, text, line map and changed lines (null in scan mode,
 *  whose single unit has nothing to share). */
function contentKeyOf(u: AnalysisUnit): string | null {
  if (u.mode === 'scan') return null;
  return `${u.mode}\u0000${u.file}\u0000${u.lineMap.join(',')}\u0000${[...u.changed].join(',')}\u0000${u.text}`;
}

export async function analyzeSeries(series: Series, opts: AnalyzeOptions): Promise<AnalysisResult> {
  const notes: string[] = [];
  const units: AnalysisUnit[] = [];
  const files = new Set<string>();
  for (const patch of series.patches) {
    for (const f of patch.files) {
      if (!isCFile(f.newPath) || f.status === 'deleted' || f.note) continue;
      files.add(f.newPath);
      let text: string | null = null;
      if (opts.sources) {
        try {
          text = await opts.sources.file(f.newPath, patch.index);
        } catch {
          text = null;
        }
        if (text == null) notes.push(`patch ${patch.index}: ${f.newPath}: whole file not available, analysed the hunks only`);
      }
      if (text != null) units.push(wholeFileUnit(f.newPath, patch.index, text, addedLines(f)));
      else units.push(...hunkUnits(f, patch.index));
    }
  }
  const { sink, functions } = await analyzeUnits(units, opts.kb, opts.checks, notes);
  notes.unshift(opts.sources ? `analysis: whole files (${opts.sources.description})` : 'analysis: hunk-only (no --tree): functions are seen in part');
  return { findings: sortFindings(sink.findings), functions: functions.length, files: files.size, notes };
}

async function expand(path: string, out: string[]): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new InputError(path, 'no such file or directory');
  }
  if (st.isDirectory()) {
    const entries = (await readdir(path)).sort();
    for (const e of entries) {
      if (e.startsWith('.')) continue;
      const p = join(path, e);
      const s = await stat(p).catch(() => null);
      if (!s) continue;
      if (s.isDirectory()) await expand(p, out);
      else if (/\.(c|h)$/.test(e)) out.push(p);
    }
  } else out.push(path);
}

/** One scanned file's own analysis: its findings (from a sink of its own), notes, counts. */
export interface FileAnalysis {
  findings: Finding[];
  notes: string[];
  functions: number;
  lines: number;
}

/** Scan mode's unit of work: one whole file, parsed once, its tree freed before returning. */
export async function analyzeFile(path: string, kb: KnowledgeBase, checks: readonly Check[]): Promise<FileAnalysis> {
  const notes: string[] = [];
  if (!/\.(c|h)$/.test(path)) notes.push(`${path}: not a C file, scanned anyway`);
  const text = await readFile(path, 'latin1');
  const { sink, functions } = await analyzeUnits([wholeFileUnit(path, null, text, 'all')], kb, checks, notes);
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return { findings: sink.findings, notes, functions: functions.length, lines };
}

export interface ScanOptions extends Omit<AnalyzeOptions, 'sources'> {
  /** Set when `checks` is the full registry and `kb` was built from these extra facts: worker
   *  threads can then rebuild both and share the files (src/engine/scan-workers.ts). */
  parallel?: { facts: ExtraFacts };
}

export interface ScanResult extends AnalysisResult {
  lines: number;
  /** Threads that analysed files (1: this thread alone). */
  threads: number;
}

/** Scan mode: every file is its own analysis (parsed once, trees freed before the next file);
 *  large inputs are shared among worker threads. The result does not depend on the threads. */
export async function analyzeFiles(paths: string[], opts: ScanOptions): Promise<ScanResult> {
  const files: string[] = [];
  for (const p of paths) await expand(p, files);
  const threads = opts.parallel ? scanThreadCount(files.length) : 1;
  const perFile = await analyzeFilesInThreads(files, threads, opts.parallel?.facts ?? {}, (f) => analyzeFile(f, opts.kb, opts.checks));
  return { ...mergeFileAnalyses(perFile), files: files.length, threads: perFile.threads };
}

/** The files' analyses in file order, as one shared FindingSink would have made them: ids hash the
 *  file, so files never share an id, and a file listed twice reports its findings once. */
function mergeFileAnalyses(perFile: { results: FileAnalysis[] }): { findings: Finding[]; notes: string[]; functions: number; lines: number } {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const ids = new Set<string>();
  let functions = 0;
  let lines = 0;
  for (const r of perFile.results) {
    for (const f of r.findings) {
      if (ids.has(f.id)) continue;
      ids.add(f.id);
      findings.push(f);
    }
    notes.push(...r.notes);
    functions += r.functions;
    lines += r.lines;
  }
  return { findings: sortFindings(findings), notes, functions, lines };
}

function sortFindings(f: Finding[]): Finding[] {
  return [...f].sort((a, b) => (a.patch ?? 0) - (b.patch ?? 0) || byCodeUnit(a.file, b.file) || a.line - b.line || byCodeUnit(a.ruleId, b.ruleId));
}
