// The optional LLM stage: wording and triage of findings the engine already decided. Off unless a
// URL and model are configured. Every failure (network, timeout, invalid JSON, schema violation,
// an invented identifier) falls back to the deterministic text, logged at debug level only; the
// run's findings and exit status never depend on the endpoint being up.

import type { Finding, Reproduction, Series, SourceProvider } from '../model/index.js';
import { llmEnabled, type LlmConfig } from '../config/index.js';
import { allChecks } from '../checks/index.js';
import { LlmClient } from './client.js';
import { inventedTokens } from './guard.js';
import { quotedHunk, functionText } from './code-context.js';
import { TriageAnswer, WordingAnswer, triageMessages, triageSchema, wordingMessages, wordingSchema } from './tasks.js';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface LlmStats {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  ms: number;
  cached: number;
}

export interface RefineContext {
  series: Series[];
  sources: SourceProvider | null;
  llm: LlmConfig;
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lockreview', 'llm');
}

export function debugLog(env: NodeJS.ProcessEnv = process.env): (msg: string) => void {
  return env.LOCKREVIEW_DEBUG ? (msg) => process.stderr.write(`lockreview: debug: llm: ${msg}\n`) : () => {};
}

/** Word and triage each finding; returns new Finding objects and the usage. Never adds a finding. */
export async function refineFindings(findings: Finding[], ctx: RefineContext): Promise<{ findings: Finding[]; stats: LlmStats }> {
  const env = ctx.env ?? process.env;
  const log = ctx.log ?? debugLog(env);
  const llm = ctx.llm;
  const zero: LlmStats = { requests: 0, promptTokens: 0, completionTokens: 0, ms: 0, cached: 0 };
  if (!llmEnabled(llm) || findings.length === 0) return { findings, stats: zero };
  const apiKey = llm.keyEnv ? env[llm.keyEnv] ?? null : null;
  if (llm.keyEnv && !apiKey) log(`environment variable ${llm.keyEnv} is not set; sending no key`);
  const client = new LlmClient({
    url: llm.url!,
    model: llm.model!,
    apiKey,
    timeoutMs: llm.timeoutMs,
    deadline: Date.now() + Math.max(llm.timeoutMs, llm.timeoutMs * 4),
    retries: 3,
    concurrency: Math.max(1, llm.concurrency),
    cacheDir: llm.cacheDir === null ? defaultCacheDir(env) : llm.cacheDir || null,
    log,
  });
  const help = new Map(allChecks().map((c) => [c.meta.id, `${c.meta.title}. ${c.meta.help}`]));
  const out = await Promise.all(
    findings.map(async (f) => {
      let g = f;
      if (llm.tasks.includes('triage')) g = await triage(client, g, help.get(g.ruleId) ?? '', ctx, log);
      if (llm.tasks.includes('word')) g = await word(client, g, help.get(g.ruleId) ?? '', ctx, log);
      return g;
    }),
  );
  const s = client.stats;
  return { findings: out, stats: { requests: s.requests, promptTokens: s.promptTokens, completionTokens: s.completionTokens, ms: Math.round(s.ms), cached: s.cached } };
}

async function word(client: LlmClient, f: Finding, ruleHelp: string, ctx: RefineContext, log: (m: string) => void): Promise<Finding> {
  const input = { rule: f.ruleId, ruleHelp, message: f.message, quotedCode: quotedHunk(f, ctx.series), reproduction: describeReproduction(f.reproduction) };
  const answer = await ask(client, wordingMessages(input), 'lockreview_wording', wordingSchema, WordingAnswer, log, f.id);
  if (!answer) return f;
  const inputText = JSON.stringify(input);
  const invented = inventedTokens(`${answer.message}\n${answer.reproductionSummary}`, inputText);
  if (invented.length) {
    log(`finding ${f.id}: rewrite rejected, it brings in ${invented.slice(0, 5).join(', ')}`);
    return f;
  }
  return { ...f, message: answer.message.trim(), originalMessage: f.message, wordedBy: client.model };
}

async function triage(client: LlmClient, f: Finding, ruleHelp: string, ctx: RefineContext, log: (m: string) => void): Promise<Finding> {
  const fnText = await functionText(f, ctx.series, ctx.sources);
  const input = { rule: f.ruleId, ruleHelp, message: f.message, severity: f.severity, functionText: fnText, reproduction: describeReproduction(f.reproduction) };
  const answer = await ask(client, triageMessages(input), 'lockreview_triage', triageSchema, TriageAnswer, log, f.id);
  if (!answer || answer.outcome === 'keep') return answer ? { ...f, triage: { outcome: 'keep', reason: answer.reason, model: client.model } } : f;
  // A reason must point at the code: it may cite nothing the input does not contain.
  const invented = inventedTokens(answer.reason, JSON.stringify(input));
  if (invented.length) {
    log(`finding ${f.id}: triage '${answer.outcome}' rejected, its reason cites ${invented.slice(0, 5).join(', ')}`);
    return f;
  }
  let outcome = answer.outcome;
  let reason = answer.reason;
  // A computed proof outranks a model's opinion: an outcome the embedded LKMM checker showed
  // reachable can at most be downgraded.
  const proven = f.reproduction.verdict && f.reproduction.verdict.observation !== 'Never';
  if (outcome === 'drop' && proven) {
    outcome = 'downgrade';
    reason = `${reason} (not dropped: the LKMM verdict shows the outcome is reachable)`;
  }
  const severity = outcome === 'downgrade' ? (f.severity === 'error' ? 'warning' : 'info') : f.severity;
  return { ...f, severity, triage: { outcome, reason, model: client.model } };
}

async function ask<T>(
  client: LlmClient,
  messages: ReturnType<typeof wordingMessages>,
  schemaName: string,
  schema: Record<string, unknown>,
  parser: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { message: string } } },
  log: (m: string) => void,
  id: string,
): Promise<T | null> {
  try {
    const r = await client.complete({ messages, schemaName, schema });
    let json: unknown;
    try {
      json = JSON.parse(r.content);
    } catch {
      log(`finding ${id}: ${schemaName}: answer is not JSON`);
      return null;
    }
    const parsed = parser.safeParse(json);
    if (!parsed.success) {
      log(`finding ${id}: ${schemaName}: answer violates the schema: ${parsed.error.message.slice(0, 200)}`);
      return null;
    }
    return parsed.data;
  } catch (err) {
    log(`finding ${id}: ${schemaName}: ${(err as Error).message}`);
    return null;
  }
}

/** The reproduction as plain text for a prompt. */
export function describeReproduction(r: Reproduction): string {
  const parts: string[] = [];
  if (r.chain) parts.push(`call chain: ${r.chain.join(' -> ')}`);
  if (r.interleaving) {
    parts.push(`${r.interleaving.title}:`);
    for (const s of r.interleaving.steps) parts.push(`  ${r.interleaving.cpus[s.cpu] ?? `CPU${s.cpu}`}: ${s.action}`);
    parts.push(`  => ${r.interleaving.outcome}`);
  }
  if (r.litmus) parts.push(`litmus test:\n${r.litmus}`);
  if (r.verdict) parts.push(`LKMM verdict: ${r.verdict.observation} (${r.verdict.positive} positive, ${r.verdict.negative} negative)`);
  if (r.configs) parts.push(`configs: ${r.configs.join(', ')}`);
  return parts.join('\n');
}
