// lock-order-abba: a lock-order cycle (ABBA and longer) that the series introduces.
//
// Approach: after every function of the series (or the scanned file) was seen, build the lock-order
// graph (graph.ts): an edge A -> B for every acquisition of B, or SRCU grace-period wait on B, made
// while A is held, directly or through callees' summaries (two calls deep), plus the documented
// orders of rules/lock-orders.yaml (KVM's locking.rst). For every edge added or changed by the
// series, look for a path back from B to A of at most four locks; a cycle is a possible deadlock.
// The reproduction is lockdep's "possible unsafe locking scenario" table with the real calls, and
// the call chain of every edge. Two-lock cycles through an SRCU read side are left to the srcu
// family (srcu-sync-under-lock reports exactly those); longer ones are reported here.
//
// Blind spots: classes the engine cannot tie to a struct type are compared by expression text within
// one file only; locks taken through function pointers or callees outside the units; IRQ-safety
// inversions (a lock taken in IRQ context and with IRQs on elsewhere) are not modelled; lock order
// established only at run time (address ordering) is assumed safe when it uses _nested annotations
// or shows both orders in one function.
import type { Check } from '../../engine/types.js';
import type { Interleaving, InterleavingStep } from '../../model/index.js';
import { buildGraph, cyclesThrough, pairKey, type LockEdge } from './graph.js';

const MAX_CYCLE = 4;

export const abba: Check = {
  meta: {
    id: 'lock-order-abba',
    class: 'lock-order',
    severity: 'error',
    title: 'Lock-order inversion (possible ABBA deadlock)',
    help:
      'Two code paths take the same locks in opposite orders (directly, through helpers, or against ' +
      'a documented order such as Documentation/virt/kvm/locking.rst). When both run at once each ' +
      'holds the lock the other waits for and neither can proceed; lockdep reports "possible ' +
      'circular locking dependency detected". synchronize_srcu(S) counts as waiting for every ' +
      'reader of S. Fix: take the locks in one global order everywhere, drop the outer lock before ' +
      'the inner acquisition, or move the waiting call out of the critical section.',
    docs: ['Documentation/locking/lockdep-design.rst', 'Documentation/virt/kvm/locking.rst'],
  },
  create(ctx) {
    return {
      onEnd() {
        const g = buildGraph(ctx);
        const seen = new Set<string>();
        const tried = new Set<string>();
        for (const start of g.edges) {
          if (!start.site || !start.fn) continue;
          if (tried.has(pairKey(start))) continue;
          tried.add(pairKey(start));
          for (const cycle of cyclesThrough(g, start, MAX_CYCLE)) {
            const keys = cycle.map((e) => e.from.node.key);
            if (cycle.length === 2 && cycle.some((e) => e.from.node.kind === 'srcu' || e.to.node.kind === 'srcu')) continue;
            const id = [...keys].sort().join(' ');
            if (seen.has(id)) continue;
            seen.add(id);
            const fn = start.fn;
            const site = start.site;
            const names = cycle.map((e) => e.from.node.lockClass);
            const others = cycle.slice(1).map(describeEdge).join('; ');
            ctx.report({
              unit: site.fn.unit,
              fn: site.fn,
              line: site.line,
              message:
                `${fn.name}() waits for ${start.to.node.lockClass} (${start.to.action}) while holding ${start.from.node.lockClass}, ` +
                `but ${others}: lock-order cycle ${[...names, names[0]].join(' -> ')}, a possible deadlock.`,
              key: id,
              reproduction: {
                interleaving: scenario(cycle),
                chain: cycle.map(chainOf),
                splat: lockdepSplat(cycle),
                configs: ['CONFIG_PROVE_LOCKING=y'],
              },
            });
          }
        }
      },
    };
  },
};

function describeEdge(e: LockEdge): string {
  if (e.documented) return `the documented order takes ${e.from.node.lockClass} before ${e.to.node.lockClass} (${e.documented.source})`;
  const where = e.fn ? `${e.fn.name}()${e.fn.unit.file ? ` in ${e.fn.unit.file}` : ''}` : 'elsewhere';
  return `${where} waits for ${e.to.node.lockClass} (${e.to.action}${e.callLine ? `, line ${e.callLine}` : ''}) while holding ${e.from.node.lockClass}`;
}

function chainOf(e: LockEdge): string {
  if (e.documented) return `documented: ${e.from.node.lockClass} before ${e.to.node.lockClass} (${e.documented.source})`;
  const calls = e.chain.slice(0, -1).map((c) => `${c}()`);
  return [`${e.fn?.name ?? '?'}(): ${e.from.action}${e.from.line ? ` [line ${e.from.line}]` : ''}`, ...calls, `${e.to.action}${e.callLine ? ` [line ${e.callLine}]` : ''}`].join(' -> ');
}

/** lockdep's "possible unsafe locking scenario": CPU i takes lock i, then waits for lock i+1. */
function scenario(cycle: LockEdge[]): Interleaving {
  const cpus = cycle.map((_, i) => `CPU${i}`);
  const steps: InterleavingStep[] = [];
  cycle.forEach((e, i) => steps.push(step(i, e.from.action, e, e.from.line)));
  cycle.forEach((e, i) => {
    const via = e.chain.length > 1 ? `${e.chain[0]}() -> ` : '';
    steps.push(step(i, `${via}${e.to.action}`, e, e.callLine, 'waits: held by CPU' + ((i + 1) % cycle.length)));
  });
  return { title: 'possible unsafe locking scenario', cpus, steps, outcome: '*** DEADLOCK ***' };
}

function step(cpu: number, action: string, e: LockEdge, line: number | null, note?: string): InterleavingStep {
  const s: InterleavingStep = { cpu, action: action.endsWith(';') ? action : `${action};` };
  if (e.fn && line != null) {
    s.file = e.fn.unit.file;
    s.line = line;
  }
  if (e.documented) s.note = `documented order (${e.documented.source})`;
  else if (note) s.note = note;
  return s;
}

function lockdepSplat(cycle: LockEdge[]): string {
  const first = cycle[0]!;
  const lines = [
    '======================================================',
    'WARNING: possible circular locking dependency detected',
    '------------------------------------------------------',
    `is trying to acquire lock: (${first.to.node.lockClass}), at: ${first.fn?.name ?? '?'}`,
    `but task is already holding lock: (${first.from.node.lockClass})`,
    'which lock already depends on the new lock.',
    'the existing dependency chain (in reverse order) is:',
  ];
  for (const e of [...cycle].reverse()) lines.push(`-> #: (${e.to.node.lockClass}) taken while holding (${e.from.node.lockClass}) ${e.fn ? `in ${e.fn.name}()` : `[${e.documented?.source ?? 'documented'}]`}`);
  return lines.join('\n');
}
