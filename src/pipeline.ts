// The one place the stages are wired: ingest -> series -> analysis -> verdicts -> filter -> report.
// Doors (CLI, Action, mail, git hook) call these functions and add no logic of their own.

import type { Finding, Report, Series, SourceProvider } from './model/index.js';
import { ingestInputs } from './ingest/index.js';
import { gitRepositoryAround, openBlobSource } from './diff/index.js';
import { analyzeSeries, analyzeFiles } from './engine/index.js';
import { loadKnowledgeBase } from './kb/index.js';
import { allChecks } from './checks/index.js';
import { applyConfig, llmEnabled, type Config, defaultConfig } from './config/index.js';
import { VERSION } from './version.js';
import type { LlmStats } from './llm/index.js';
import { suppressFindings, seriesSuppressionText, diskSuppressionText, dropNeverBuilt, type NeverBuiltFacts, type SuppressionText } from './filter/index.js';

export interface ReviewOptions {
  /** A git repository for whole-file analysis: files come from its objects when it holds the
   *  series' pre-image blobs, else the series is applied in a temporary worktree of it. */
  tree?: string;
  /** Whole-file access supplied by the door (presend reads git objects; the Action its checkout). */
  sources?: SourceProvider;
  /** Without `tree`: a directory whose surrounding git repository (if any) is searched for the
   *  series' pre-image blobs; whole files when it holds them, hunks otherwise (`check` passes
   *  the current directory). */
  lookAround?: string;
  /** Analyse the hunks only: no repository is looked at (`check --hunks-only`). */
  hunksOnly?: boolean;
  config?: Config;
}

/** Review already-assembled series (the doors that ingest their own way call this). */
export async function reviewSeries(seriesList: Series[], opts: ReviewOptions = {}, notes: string[] = []): Promise<Report> {
  const t0 = performance.now();
  const config = opts.config ?? defaultConfig();
  const kb = await loadKnowledgeBase(config.facts);
  const checks = allChecks();
  const findings: Finding[] = [];
  let functions = 0;
  let files = 0;
  let llmStats: LlmStats | undefined;
  for (const series of seriesList) {
    const { sources, dispose } = opts.hunksOnly ? { sources: null, dispose: null } : await openSources(series, opts, notes);
    try {
      const result = await analyzeSeries(series, { sources, kb, checks });
      // Suppressions are read from this series' own sources (the --tree session's whole files).
      let seriesFindings = await decideAndFilter(result.findings, notes, config, seriesSuppressionText([series], sources), kb);
      if (llmEnabled(config.llm)) {
        const { refineFindings } = await import('./llm/index.js'); // only when the LLM is on
        // Wording and triage only: the LLM sees findings the engine decided and never adds one.
        const refined = await refineFindings(seriesFindings, { series: [series], sources, llm: config.llm });
        seriesFindings = refined.findings;
        llmStats = addStats(llmStats, refined.stats);
      }
      findings.push(...seriesFindings);
      functions += result.functions;
      files += result.files;
      notes.push(...result.notes);
    } finally {
      if (dispose) await dispose();
    }
  }
  return {
    tool: { name: 'lockreview', version: VERSION },
    series: seriesList.map((s) => ({
      subject: s.subject,
      messageId: s.messageId,
      version: s.version,
      notes: s.notes,
      patches: s.patches.map((p) => ({
        index: p.index,
        total: p.total,
        subject: p.subject,
        messageId: p.messageId,
        files: p.files.map((f) => f.newPath ?? f.oldPath ?? '').filter(Boolean),
      })),
    })),
    findings,
    stats: {
      patches: seriesList.reduce((n, s) => n + s.patches.length, 0),
      files,
      functions,
      ms: Math.round(performance.now() - t0),
      ...(llmStats ? { llm: llmStats } : {}),
    },
    notes,
  };
}

/** Whole-file access for one series: the door's own, else --tree (git objects first, then a
 *  temporary worktree), else the repository around `lookAround` when it holds the series' blobs. */
async function openSources(series: Series, opts: ReviewOptions, notes: string[]): Promise<{ sources: SourceProvider | null; dispose: (() => Promise<void>) | null }> {
  if (opts.sources) return { sources: opts.sources, dispose: null };
  if (opts.tree) {
    const declined: string[] = [];
    const blobs = await openBlobSource(opts.tree, series, { need: 'every-file', declined });
    if (blobs) {
      notes.push(...blobs.notes);
      return { sources: blobs, dispose: () => blobs.dispose() };
    }
    // The worktree applies what the objects cannot serve (no `index` lines, a blob the repository
    // lacks) with `git am -3`. Loaded only here: it brings simple-git.
    const { openTree } = await import('./diff/tree.js');
    const session = await openTree(opts.tree, series);
    if (declined.length && series.patches.some((p) => p.files.some((f) => f.oldBlob || f.newBlob))) notes.push(`whole files not read from git objects (${declined[0]}): applied the series in a worktree`);
    notes.push(...session.notes);
    return { sources: session.applied.some(Boolean) ? session : null, dispose: () => session.dispose() };
  }
  const repo = opts.lookAround ? gitRepositoryAround(opts.lookAround) : null;
  if (!repo) return { sources: null, dispose: null };
  const blobs = await openBlobSource(repo, series, { need: 'any-file' });
  if (!blobs) return { sources: null, dispose: null };
  notes.push(`whole-file analysis: the repository at ${repo} holds the series' pre-image blobs (--hunks-only analyses the hunks alone)`, ...blobs.notes);
  return { sources: blobs, dispose: () => blobs.dispose() };
}

/** The stages after analysis, the same for every door: LKMM verdicts (a finding whose bad outcome
 *  the model forbids is dropped), rule settings from the configuration, in-code
 *  `lockreview: ignore` comments (the misuse findings those add pass the same rule settings), then
 *  Kconfig facts: a finding that needs an option the flagged file is never built with is dropped
 *  with a note (after the suppressions, so that a comment for it is not reported unused). */
async function decideAndFilter(findings: Finding[], notes: string[], config: Config, text: SuppressionText, kb: NeverBuiltFacts): Promise<Finding[]> {
  // The LKMM checker is loaded only when a finding carries a litmus test (bitlock findings do):
  // most series have none, and its parser and model are a good part of the start-up code.
  const decided = findings.some((f) => f.reproduction?.litmus) ? (await import('./litmus/index.js')).attachVerdicts(findings, notes) : findings;
  const configured = applyConfig(decided, config);
  const suppressed = await suppressFindings(configured, text, { strict: config.strict });
  return dropNeverBuilt([...suppressed.findings, ...applyConfig(suppressed.misuse, config)], kb, notes);
}

function addStats(a: LlmStats | undefined, b: LlmStats): LlmStats {
  if (!a) return b;
  return { requests: a.requests + b.requests, promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens, ms: a.ms + b.ms, cached: a.cached + b.cached };
}

/** `lockreview check FILE...`: ingest patch inputs and review them. */
export async function reviewInputs(inputs: string[], opts: ReviewOptions = {}): Promise<Report> {
  const ingested = await ingestInputs(inputs);
  return reviewSeries(ingested.series, opts, [...ingested.notes]);
}

/** Throughput of a scan, for the door to print (lines/s). */
export interface ScanThroughput {
  files: number;
  lines: number;
  ms: number;
  threads: number;
}

/** `lockreview scan PATH...`: the same checks over whole C files; everything counts as introduced.
 *  Large inputs are analysed on worker threads (src/engine/scan-workers.ts); the report is the same. */
export async function scanPaths(paths: string[], opts: { config?: Config; onThroughput?: (t: ScanThroughput) => void } = {}): Promise<Report> {
  const t0 = performance.now();
  const config = opts.config ?? defaultConfig();
  const kb = await loadKnowledgeBase(config.facts);
  // The full registry and the config's facts: what a worker thread needs to rebuild both.
  const result = await analyzeFiles(paths, { kb, checks: allChecks(), parallel: { facts: config.facts } });
  const findings = await decideAndFilter(result.findings, result.notes, config, diskSuppressionText(), kb);
  const ms = Math.round(performance.now() - t0);
  opts.onThroughput?.({ files: result.files, lines: result.lines, ms, threads: result.threads });
  return {
    tool: { name: 'lockreview', version: VERSION },
    series: [],
    findings,
    stats: { patches: 0, files: result.files, functions: result.functions, ms },
    notes: result.notes,
  };
}
