// Small builders for the reproductions the srcu and seqcount checks attach to their findings.
import type { Interleaving, InterleavingStep, Reproduction } from '../../model/index.js';

export function step(cpu: number, action: string, file?: string, line?: number, note?: string): InterleavingStep {
  const s: InterleavingStep = { cpu, action };
  if (file !== undefined) s.file = file;
  if (line !== undefined && line > 0) s.line = line;
  if (note !== undefined) s.note = note;
  return s;
}

export function interleaving(title: string, cpus: string[], steps: InterleavingStep[], outcome: string): Interleaving {
  return { title, cpus, steps, outcome };
}

export function repro(r: Partial<Reproduction>): Partial<Reproduction> {
  return { interleaving: null, litmus: null, verdict: null, chain: null, splat: null, configs: null, ...r };
}

/** The call as written, with a trailing semicolon: "synchronize_srcu(&kvm->srcu);" */
export function callText(callee: string, args: readonly string[], result?: string): string {
  return `${result ? `${result} = ` : ''}${callee}(${args.join(', ')});`;
}
