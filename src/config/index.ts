// Configuration: one shape, whatever the source (--config FILE, .lockreview.toml/.json, git config
// lockreview.*, Action inputs). Loading lives in load.ts; this file holds the type, the defaults
// and the stage that applies rule settings to findings.

import type { Finding, FailOn, Severity } from '../model/index.js';
import type { FieldTypeFact, LockOrderFact, Primitive } from '../engine/types.js';

export interface ExtraFacts {
  primitives?: Primitive[];
  lockOrders?: LockOrderFact[];
  fieldTypes?: FieldTypeFact[];
  /** Wrapper name -> the primitive it behaves as ("dm_get_live_table": "srcu_read_lock"). */
  wrappers?: Record<string, string>;
}

export interface LlmConfig {
  url: string | null; // base URL of an OpenAI-compatible server; null = off
  model: string | null;
  keyEnv: string | null; // name of the environment variable holding the key
  tasks: Array<'word' | 'triage'>;
  timeoutMs: number;
  concurrency: number;
  cacheDir: string | null;
}

/** The LLM layer runs only with both an endpoint and a model configured. */
export function llmEnabled(llm: LlmConfig): boolean {
  return !!(llm.url && llm.model);
}

export interface Config {
  rules: Record<string, { enabled?: boolean; severity?: Severity }>;
  failOn: FailOn;
  include: string[]; // path globs; empty = everything
  exclude: string[];
  facts: ExtraFacts;
  llm: LlmConfig;
  /** Report in-code suppressions that matched no finding (--strict). */
  strict?: boolean;
  /** Where the config came from, for messages. */
  source: string;
}

export function defaultConfig(): Config {
  return {
    rules: {},
    failOn: 'warning',
    include: [],
    exclude: [],
    facts: {},
    llm: { url: null, model: null, keyEnv: null, tasks: ['word', 'triage'], timeoutMs: 60_000, concurrency: 2, cacheDir: null },
    source: 'defaults',
  };
}

/** Rule enable/disable, severity overrides and path filters. Rule keys match a check id or a class. */
export function applyConfig(findings: Finding[], config: Config): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const rule = config.rules[f.ruleId] ?? config.rules[f.class];
    if (rule?.enabled === false) continue;
    if (config.include.length && !config.include.some((g) => globMatch(g, f.file))) continue;
    if (config.exclude.some((g) => globMatch(g, f.file))) continue;
    out.push(rule?.severity ? { ...f, severity: rule.severity } : f);
  }
  return out;
}

/** Minimal glob: `**` any path, `*` any run within a segment, `?` one character. */
export function globMatch(glob: string, path: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(path) || (!glob.includes('/') && new RegExp(`(^|/)${re}$`).test(path));
}
