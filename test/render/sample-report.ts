// Builders for renderer tests: a report shaped like the rmap bit-lock finding of the 2024 seed
// (unlock by a plain WRITE_ONCE, no release ordering), plus variations.
import type { Finding, Report } from '../../src/model/index.js';

export const RMAP_LITMUS = `C rmap-unlock-without-release

{}

P0(unsigned long *val, int *desc)
{
\tWRITE_ONCE(*desc, 1);
\tWRITE_ONCE(*val, 0);
}

P1(unsigned long *val, int *desc)
{
\tint r0;
\tint r1;

\tr0 = READ_ONCE(*val);
\tr1 = READ_ONCE(*desc);
}

exists (1:r0=0 /\\ 1:r1=0)
`;

export function rmapFinding(over: Partial<Finding> = {}): Finding {
  return {
    id: 'a1b2c3d4e5f60718',
    ruleId: 'bitlock-unlock-without-release',
    class: 'bitlock',
    severity: 'warning',
    file: 'arch/x86/kvm/mmu/mmu.c',
    line: 42,
    endLine: 42,
    function: 'kvm_rmap_unlock',
    patch: 1,
    introduced: true,
    message: 'bit lock KVM_RMAP_LOCKED in rmap_head->val is released by a plain WRITE_ONCE(); stores in the critical section may become visible after the unlock',
    reproduction: {
      interleaving: {
        title: 'possible unsafe locking scenario',
        cpus: ['CPU0', 'CPU1'],
        steps: [
          { cpu: 0, action: 'desc->sptes[i] = spte;', line: 40 },
          { cpu: 0, action: 'WRITE_ONCE(rmap_head->val, new_val);', line: 42, note: 'not ordered after the store above' },
          { cpu: 1, action: 'old_val = kvm_rmap_lock(rmap_head);' },
          { cpu: 1, action: 'spte = desc->sptes[i];', note: 'sees the old entry' },
        ],
        outcome: 'CPU1 walks a pte_list_desc CPU0 has not finished writing',
      },
      litmus: RMAP_LITMUS,
      verdict: { observation: 'Sometimes', positive: 1, negative: 3, dataRace: false, model: 'lockreview-lkmm' },
      chain: null,
      splat: null,
      configs: null,
    },
    ...over,
  };
}

export function report(findings: Finding[], over: Partial<Report> = {}): Report {
  return {
    tool: { name: 'lockreview', version: '0.1.0' },
    series: [
      {
        subject: 'KVM: x86/mmu: rmap bit lock',
        messageId: null,
        version: 1,
        notes: [],
        patches: [{ index: 1, total: 1, subject: 'KVM: x86/mmu: Add a lock bit to rmap heads', messageId: null, files: ['arch/x86/kvm/mmu/mmu.c'] }],
      },
    ],
    findings,
    stats: { patches: 1, files: 1, functions: 3, ms: 5 },
    notes: [],
    ...over,
  };
}
