// The one place the stages are wired: ingest -> series -> analysis -> verdicts -> filter -> report.
// Doors (CLI, Action, mail, git hook) call these functions and add no logic of their own.

import type { Finding, Report, Series, SourceProvider } from './model/index.js';
import { ingestInputs } from './ingest/index.js';
import { openTree } from './diff/index.js';
import { analyzeSeries, analyzeFiles } from './engine/index.js';
import { loadKnowledgeBase } from './kb/index.js';
import { allChecks } from './checks/index.js';
import { attachVerdicts } from './litmus/index.js';
import { applyConfig, type Config, defaultConfig } from './config/index.js';
import { VERSION } from './version.js';
import type { LlmStats } from './llm/index.js';
import { suppressFindings, seriesSuppressionText, diskSuppressionText } from './filter/index.js';

export interface ReviewOptions {
  /** A git work tree: the series is applied in a temporary worktree for whole-file analysis. */
  tree?: string;
  /** Whole-file access supplied by the door (presend reads git objects; the Action its checkout). */
  sources?: SourceProvider;
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
    let sources = opts.sources ?? null;
    let dispose: (() => Promise<void>) | null = null;
    if (!sources && opts.tree) {
      const session = await openTree(opts.tree, series);
      notes.push(...session.notes);
      sources = session.applied.some(Boolean) ? session : null;
      dispose = () => session.dispose();
    }
    try {
      const result = await analyzeSeries(series, { sources, kb, checks });
      let seriesFindings = applyConfig(attachVerdicts(result.findings, notes), config);
      if (config.llm.url && config.llm.model) {
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
  const decided = attachVerdicts(findings, notes);
  const configured = applyConfig(decided, config);
  // In-code `lockreview: ignore` comments; the misuse findings it adds pass the same rule settings.
  const suppressed = await suppressFindings(configured, seriesSuppressionText(seriesList, opts.sources ?? null), { strict: config.strict });
  const kept = [...suppressed.findings, ...applyConfig(suppressed.misuse, config)];
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
    findings: kept,
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

function addStats(a: LlmStats | undefined, b: LlmStats): LlmStats {
  if (!a) return b;
  return { requests: a.requests + b.requests, promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens, ms: a.ms + b.ms, cached: a.cached + b.cached };
}

/** `lockreview check FILE...`: ingest patch inputs and review them. */
export async function reviewInputs(inputs: string[], opts: ReviewOptions = {}): Promise<Report> {
  const ingested = await ingestInputs(inputs);
  return reviewSeries(ingested.series, opts, [...ingested.notes]);
}

/** `lockreview scan PATH...`: the same checks over whole C files; everything counts as introduced. */
export async function scanPaths(paths: string[], opts: { config?: Config } = {}): Promise<Report> {
  const t0 = performance.now();
  const config = opts.config ?? defaultConfig();
  const kb = await loadKnowledgeBase(config.facts);
  const result = await analyzeFiles(paths, { kb, checks: allChecks() });
  const configured = applyConfig(attachVerdicts(result.findings, result.notes), config);
  const suppressed = await suppressFindings(configured, diskSuppressionText(), { strict: config.strict });
  const kept = [...suppressed.findings, ...applyConfig(suppressed.misuse, config)];
  return {
    tool: { name: 'lockreview', version: VERSION },
    series: [],
    findings: kept,
    stats: { patches: 0, files: result.files, functions: result.functions, ms: Math.round(performance.now() - t0) },
    notes: result.notes,
  };
}
