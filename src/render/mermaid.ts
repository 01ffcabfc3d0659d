// An interleaving as a Mermaid sequence diagram (GitHub draws ```mermaid blocks): one participant
// per CPU, each step a note over its CPU in program order, the bad outcome a note across all CPUs.
// Notes rather than arrows because a step is something a CPU does, not a message between CPUs.
import type { Interleaving } from '../model/index.js';

/** Mermaid text (without the ``` fence). */
export function renderMermaidSequence(il: Interleaving): string {
  const out = ['sequenceDiagram'];
  const ids = il.cpus.map((_, i) => `P${i}`);
  il.cpus.forEach((name, i) => out.push(`    participant ${ids[i]} as ${mermaidText(name)}`));
  for (const step of il.steps) {
    const id = ids[step.cpu] ?? ids[0];
    if (!id) continue;
    const where = step.line ? ` (line ${step.line})` : '';
    out.push(`    Note over ${id}: ${mermaidText(step.action + where)}`);
    if (step.note) out.push(`    Note right of ${id}: ${mermaidText(step.note)}`);
  }
  if (il.outcome && ids.length) {
    const span = ids.length > 1 ? `${ids[0]},${ids[ids.length - 1]}` : ids[0];
    out.push(`    Note over ${span}: ${mermaidText(il.outcome)}`);
  }
  return out.join('\n');
}

/** Mermaid treats ';' and newlines as statement ends and '#' as an entity start; C text has all three. */
export function mermaidText(s: string): string {
  // '<' could open an HTML tag in the label; '>' alone (as in '->') is plain text after the colon.
  const entity: Record<string, string> = { '#': '#35;', ';': '#59;', '<': '#lt;' };
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/[#;<]/g, (c) => entity[c] ?? c)
    .trim();
}
