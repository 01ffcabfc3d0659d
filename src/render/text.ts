// Text renderer: gcc-style `file:line: severity: message [rule-id]` lines grouped by patch, then
// the reproduction under each. Colour only when asked (the door passes isTTY).
import type { Finding, Report } from '../model/index.js';

export function renderText(report: Report, opts: { color?: boolean } = {}): string {
  const out: string[] = [];
  for (const s of report.series) {
    if (s.notes.length) out.push(...s.notes.map((n) => `note: ${n}`));
  }
  const byPatch = new Map<number | null, Finding[]>();
  for (const f of report.findings) {
    const list = byPatch.get(f.patch) ?? [];
    list.push(f);
    byPatch.set(f.patch, list);
  }
  for (const [patch, list] of [...byPatch].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))) {
    if (patch !== null) {
      const p = report.series.flatMap((s) => s.patches).find((x) => x.index === patch);
      out.push(`== patch ${patch}${p ? `/${p.total}: ${p.subject}` : ''}`);
    }
    for (const f of list) {
      const sev = opts.color ? colour(f.severity) : f.severity;
      out.push(`${f.file}:${f.line}: ${sev}: ${f.message} [${f.ruleId}]${f.introduced ? '' : ' (pre-existing)'}`);
      const r = f.reproduction;
      if (r.chain) out.push(...r.chain.map((c, i) => `    ${'  '.repeat(i)}${c}`));
      if (r.interleaving) {
        out.push(`    ${r.interleaving.title}:`);
        const w = 40;
        out.push('    ' + r.interleaving.cpus.map((c) => c.padEnd(w)).join(''));
        for (const st of r.interleaving.steps) out.push('    ' + ' '.repeat(w * st.cpu) + st.action);
        out.push(`    ${r.interleaving.outcome}`);
      }
      if (r.litmus) {
        out.push(`    litmus test${r.verdict ? ` (LKMM: ${r.verdict.observation} ${r.verdict.positive} ${r.verdict.negative})` : ''}:`);
        out.push(...r.litmus.trimEnd().split('\n').map((l) => '      ' + l));
      }
      if (r.splat) out.push(...r.splat.trimEnd().split('\n').map((l) => '    ' + l));
    }
  }
  for (const n of report.notes) out.push(`note: ${n}`);
  const count = report.findings.length;
  out.push(`${count} finding${count === 1 ? '' : 's'} in ${report.stats.patches} patch${report.stats.patches === 1 ? '' : 'es'}`);
  return out.join('\n') + '\n';
}

function colour(sev: string): string {
  const code = sev === 'error' ? 31 : sev === 'warning' ? 33 : 36;
  return `\x1b[1;${code}m${sev}\x1b[0m`;
}
