// Text renderer: gcc-style `file:line: severity: message [rule-id]` lines grouped by patch, then
// the reproduction under each (call chain, the CPU interleaving as an aligned table the way
// lockdep prints its "possible unsafe locking scenario", the litmus test with its verdict, the
// splat). Pure: colour only when the caller asks (the CLI passes isTTY).
import type { Finding, Interleaving, Report, Reproduction, Verdict } from '../model/index.js';
import { byCodeUnit, findingCounts } from '../model/index.js';

export interface TextOptions {
  color?: boolean;
}

const INDENT = '    ';

export function renderText(report: Report, opts: TextOptions = {}): string {
  const paint = painter(!!opts.color);
  const out: string[] = [];
  for (const s of report.series) {
    for (const n of s.notes) out.push(paint.dim(`note: ${n}`));
  }
  const patches = report.series.flatMap((s) => s.patches);
  const byPatch = new Map<number | null, Finding[]>();
  for (const f of report.findings) {
    const list = byPatch.get(f.patch) ?? [];
    list.push(f);
    byPatch.set(f.patch, list);
  }
  const order = [...byPatch.keys()].sort((a, b) => (a ?? 0) - (b ?? 0));
  for (const patch of order) {
    const list = [...(byPatch.get(patch) ?? [])].sort((a, b) => byCodeUnit(a.file, b.file) || a.line - b.line || byCodeUnit(a.ruleId, b.ruleId));
    if (patch !== null) {
      const p = patches.find((x) => x.index === patch);
      out.push(paint.bold(`== patch ${patch}${p ? `/${p.total}: ${p.subject}` : ''}`));
    }
    for (const f of list) out.push(...renderFinding(f, paint));
  }
  for (const n of report.notes) out.push(paint.dim(`note: ${n}`));
  const active = report.findings.filter(findingCounts);
  const hidden = report.findings.length - active.length;
  const p = report.stats.patches;
  out.push(
    `${active.length} finding${active.length === 1 ? '' : 's'} in ${p} patch${p === 1 ? '' : 'es'}` +
      (hidden ? ` (${hidden} suppressed)` : ''),
  );
  return out.join('\n') + '\n';
}

function renderFinding(f: Finding, paint: Painter): string[] {
  const out: string[] = [];
  const tags: string[] = [];
  if (!f.introduced) tags.push('pre-existing');
  if (f.suppressed) tags.push(`suppressed: ${f.suppressed.reason}`);
  if (f.triage && f.triage.outcome !== 'keep') tags.push(`triage ${f.triage.outcome}: ${f.triage.reason}`);
  if (f.wordedBy) tags.push(`worded by ${f.wordedBy}`);
  out.push(
    `${paint.bold(`${f.file}:${f.line}:`)} ${paint.severity(f.severity)}: ${f.message} [${f.ruleId}]` + (tags.length ? ` (${tags.join('; ')})` : ''),
  );
  if (f.suppressed) return out; // the user silenced it: one line, no reproduction
  if (f.function) out.push(`${INDENT}in function ${f.function}()`);
  out.push(...renderReproduction(f.reproduction, paint).map((l) => (l ? INDENT + l : l)));
  return out;
}

function renderReproduction(r: Reproduction, paint: Painter): string[] {
  const out: string[] = [];
  if (r.chain?.length) {
    out.push(paint.dim('call chain:'));
    r.chain.forEach((c, i) => out.push(`  ${'  '.repeat(i)}${i ? '-> ' : ''}${c}`));
  }
  if (r.interleaving) out.push(...interleavingTable(r.interleaving, paint));
  if (r.litmus) {
    out.push(paint.dim(`litmus test${r.verdict ? ` (${verdictSummary(r.verdict)})` : ' (no verdict)'}:`));
    out.push(...r.litmus.trimEnd().split('\n').map((l) => (l.trim() ? `  ${l}` : '')));
  }
  if (r.splat) {
    out.push(paint.dim(`splat${r.configs?.length ? ` (with ${r.configs.join(', ')})` : ''}:`));
    out.push(...r.splat.trimEnd().split('\n').map((l) => (l.trim() ? `  ${l}` : '')));
  } else if (r.configs?.length) {
    out.push(paint.dim(`seen with: ${r.configs.join(', ')}`));
  }
  return out;
}

/** lockdep's layout: one column per CPU, a dashed rule under the titles, one step per row. A
 *  step's note goes on the row below it, in the same column, so notes do not widen the table. */
export function interleavingTable(il: Interleaving, paint: Painter = painter(false)): string[] {
  const widths = il.cpus.map((cpu, i) => Math.max(cpu.length, ...il.steps.map((s) => (s.cpu === i ? s.action.length : 0))) + 4);
  const row = (texts: string[]) =>
    texts
      .map((t, i) => (i === texts.length - 1 ? t : t.padEnd(widths[i]!)))
      .join('')
      .trimEnd();
  const inColumn = (cpu: number, text: string) => row(il.cpus.map((_, i) => (i === cpu ? text : '')));
  const out = [paint.dim(`${il.title}:`), ''];
  out.push('  ' + row(il.cpus));
  out.push('  ' + row(il.cpus.map((c) => '-'.repeat(c.length))));
  for (const s of il.steps) {
    out.push('  ' + inColumn(s.cpu, s.action));
    if (s.note) out.push('  ' + paint.dim(inColumn(s.cpu, `  /* ${s.note} */`)));
  }
  out.push('');
  if (il.outcome) out.push(`  ${paint.bold(il.outcome)}`);
  return out;
}

/** "LKMM: Sometimes (2 of 7 executions reach the exists clause)" and what that means for the bug. */
export function verdictSummary(v: Verdict): string {
  const meaning =
    v.observation === 'Never'
      ? 'the bad outcome is forbidden'
      : v.observation === 'Always'
        ? 'the bad outcome is certain'
        : 'the bad outcome is allowed';
  const race = v.dataRace ? ', data race' : '';
  return `${v.model}: ${v.observation}, ${meaning}; ${v.positive} of ${v.positive + v.negative} executions${race}`;
}

export interface Painter {
  bold(s: string): string;
  dim(s: string): string;
  severity(s: string): string;
}

function painter(on: boolean): Painter {
  if (!on) return { bold: (s) => s, dim: (s) => s, severity: (s) => s };
  return {
    bold: (s) => `\x1b[1m${s}\x1b[0m`,
    dim: (s) => `\x1b[2m${s}\x1b[0m`,
    severity: (s) => `\x1b[1;${s === 'error' ? 31 : s === 'warning' ? 35 : 36}m${s}\x1b[0m`,
  };
}
