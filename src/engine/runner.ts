// The check runner: each Check is instantiated once per analysis, sees every function and its
// events in order, then onEnd. report() turns a ReportInput into a Finding with a stable id.
//
// Fingerprint: sha1 over rule id, file, function, the check's key and the flagged line's text with
// whitespace folded; no line numbers, so the id survives line shifts and a v2 of the series. Equal
// fingerprints within one patch are told apart by their order of occurrence.
import { createHash } from 'node:crypto';
import type { Finding, Reproduction } from '../model/index.js';
import type { AnalysisUnit, Check, CheckContext, FunctionModel, FunctionSummary, KnowledgeBase, ReportInput } from './types.js';

export function emptyReproduction(r: Partial<Reproduction> = {}): Reproduction {
  return {
    interleaving: r.interleaving ?? null,
    litmus: r.litmus ?? null,
    verdict: r.verdict ?? null,
    chain: r.chain ?? null,
    splat: r.splat ?? null,
    configs: r.configs ?? null,
  };
}

const unitLines = new WeakMap<AnalysisUnit, Map<number, string>>();

/** Text of a post-image line as the unit holds it ('' when the unit does not hold it). */
export function lineText(unit: AnalysisUnit, line: number): string {
  let m = unitLines.get(unit);
  if (!m) {
    m = new Map();
    const lines = unit.text.split('\n');
    unit.lineMap.forEach((l, i) => {
      if (l) m!.set(l, lines[i] ?? '');
    });
    unitLines.set(unit, m);
  }
  return m.get(line) ?? '';
}

export class FindingSink {
  readonly findings: Finding[] = [];
  private occurrences = new Map<string, number>();
  private ids = new Set<string>();
  private sameSpot = new Set<string>();

  add(check: Check, r: ReportInput): void {
    const meta = check.meta;
    const fn = r.fn?.name ?? null;
    const text = lineText(r.unit, r.line).replace(/\s+/g, ' ').trim();
    const base = [meta.id, r.unit.file, fn ?? '', r.key, text].join('\u0000');
    const spot = `${r.unit.patch}\u0000${base}\u0000${r.line}`;
    if (this.sameSpot.has(spot)) return; // the same report twice
    this.sameSpot.add(spot);
    const occKey = `${r.unit.patch}\u0000${base}`;
    const n = (this.occurrences.get(occKey) ?? 0) + 1;
    this.occurrences.set(occKey, n);
    const id = createHash('sha1').update(n > 1 ? `${base}\u0000${n}` : base).digest('hex').slice(0, 16);
    if (this.ids.has(id)) return; // already reported by an earlier patch of the series
    this.ids.add(id);
    const lines = r.introducedLines?.length ? r.introducedLines : [r.line];
    this.findings.push({
      id,
      ruleId: meta.id,
      class: meta.class,
      severity: r.severity ?? meta.severity,
      file: r.unit.file,
      line: r.line,
      endLine: r.endLine ?? r.line,
      function: fn,
      patch: r.unit.patch,
      introduced: r.unit.mode === 'scan' || lines.some((l) => r.unit.changed.has(l)),
      message: r.message,
      reproduction: emptyReproduction(r.reproduction),
    });
  }
}

export interface RunOptions {
  checks: readonly Check[];
  kb: KnowledgeBase;
  functions: readonly FunctionModel[];
  summaries: ReadonlyMap<string, FunctionSummary>;
  sink: FindingSink;
  notes: string[];
}

/** Runs every check over the functions, in order. A check that throws is reported as a note. */
export function runChecks(o: RunOptions): void {
  for (const check of o.checks) {
    const ctx: CheckContext = {
      kb: o.kb,
      summary: (name) => o.summaries.get(name),
      functions: () => o.functions,
      report: (r) => o.sink.add(check, r),
    };
    try {
      const hooks = check.create(ctx);
      for (const fn of o.functions) {
        hooks.onFunction?.(fn);
        if (hooks.onEvent) for (const ev of fn.events) hooks.onEvent(ev, fn);
      }
      hooks.onEnd?.();
    } catch (e) {
      o.notes.push(`check ${check.meta.id} failed: ${(e as Error).message}`);
    }
  }
}
