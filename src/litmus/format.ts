// herd7's report layout for one decided test, so that output can be compared with herd7's
// line by line (minus herd7's Time and Hash lines, which say nothing about the verdict).
import type { Decision } from './decide.js';

const KIND = { exists: 'Allowed', 'not-exists': 'Forbidden', forall: 'Required' } as const;
const QUANT = { exists: 'exists', 'not-exists': '~exists', forall: 'forall' } as const;

export function formatHerd(d: Decision): string {
  const lines: string[] = [];
  lines.push(`Test ${d.name} ${KIND[d.quantifier]}`);
  lines.push(`States ${d.states.length}`);
  lines.push(...d.states);
  lines.push(d.ok ? 'Ok' : 'No');
  lines.push('Witnesses');
  // For ~exists the witnesses are the states where the condition (the negation) holds.
  const [pos, neg] = d.quantifier === 'not-exists' ? [d.negative, d.positive] : [d.positive, d.negative];
  lines.push(`Positive: ${pos} Negative: ${neg}`);
  for (const f of d.flags) lines.push(`Flag ${f}`);
  lines.push(`Condition ${QUANT[d.quantifier]} ${d.condition}`);
  lines.push(`Observation ${d.name} ${d.observation} ${d.positive} ${d.negative}`);
  return lines.join('\n') + '\n';
}
