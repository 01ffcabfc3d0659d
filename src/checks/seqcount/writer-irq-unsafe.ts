// seqcount-writer-irq-unsafe: a seqcount / u64_stats writer that leaves IRQs (or BH) enabled while
// another writer or a reader of the same counter can run in IRQ (softirq) context on the same CPU.
// An interrupting writer increments the count in the middle of the section: the count ends up
// even while data is half-written (readers accept torn values) or two increments are lost; an
// interrupting reader spins on an odd count it can never see change (livelock in IRQ).
//
// Approach, from strongest evidence:
//  1. the same counter (matched by class) is written or read in a function whose role is hard IRQ,
//     NMI or irq_chip callback (softirq users prove little: BH is usually disabled by invisible
//     callers; an _irqsave writer elsewhere proves nothing: it is also the usual way to make a
//     process-context writer non-preemptible);
//  2. a per-CPU counter (this_cpu_ptr()/per_cpu_ptr() result) updated in a `notrace` function:
//     tracing and BPF hooks run in any context, so the same per-CPU counter is re-entered from IRQ;
//  3. in hunk-only review, the writer's hunk deletes the IRQ (BH) protection of the section (the
//     counter's _irqsave / _irq / _bh writer, local_irq_save(), local_bh_disable()) and nothing
//     disables them instead (not in an irqreturn_t handler: hard or threaded, hunks rarely say);
// (A per-CPU counter with no such evidence stays silent: networking code updates per-CPU stats with
// BH disabled by callers the code does not show.)
// Blind spots: IRQ users in code that is not analysed; callers that disable IRQs invisibly.

import type { CallEvent, Check, FunctionModel } from '../../engine/types.js';
import { callTarget, sameObject, stripExpr } from '../srcu/srcu-expr.js';
import { callText, interleaving, repro, step } from '../srcu/repro.js';
import { counterType, unitsOf } from './counter-type.js';
import { earlierSleep, nonPreemptible, removedIrqProtection, sleepingLocksHeld } from './context.js';

// Hard-IRQ-like roles. Softirq users are not evidence: process-context writers of such counters
// usually run with BH disabled by their callers (ndo_start_xmit, NAPI), which the code does not show.
const IRQ_ROLES = new Set(['hardirq', 'nmi', 'irq-chip']);

const WRITERS = /^(write_seqcount_begin|write_seqcount_begin_nested|raw_write_seqcount_begin|u64_stats_update_begin|write_seqlock|write_seqlock_bh)$/;
const SEQ_API = /seq|u64_stats_(update|fetch)/;
const PERCPU = /^(this_cpu_ptr|raw_cpu_ptr|per_cpu_ptr|get_cpu_ptr|this_cpu_read)$/;

interface Use {
  fn: FunctionModel;
  ev: CallEvent;
  counter: string;
  irqContext: string | null; // why this use runs in IRQ context
}

export const writerIrqUnsafe: Check = {
  meta: {
    id: 'seqcount-writer-irq-unsafe',
    class: 'seqcount',
    severity: 'warning',
    title: 'seqcount / u64_stats writer with IRQs enabled while IRQ context uses the counter',
    help:
      'If a writer or a reader of a sequence counter can run in hard-IRQ (or softirq) context, every ' +
      'writer in process context must disable IRQs (or BH) across its write section: an interrupting ' +
      'writer corrupts the count (the section ends even-but-torn, or increments are lost), an ' +
      'interrupting reader spins forever on the odd count. For u64_stats use ' +
      'u64_stats_update_begin_irqsave(); for seqlock_t write_seqlock_irqsave() / _bh(). Per-CPU ' +
      'counters updated from tracing/BPF hooks are re-entered from IRQs on the same CPU. See ' +
      'Documentation/locking/seqlock.rst and include/linux/u64_stats_sync.h (usage constraint 3).',
    docs: ['Documentation/locking/seqlock.rst', 'include/linux/u64_stats_sync.h'],
  },
  create(ctx) {
    const uses: Use[] = [];
    const writers: Use[] = [];
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || !ev.primitive || ev.primitive.family !== 'seqcount' || !SEQ_API.test(ev.callee)) return;
        const counter = callTarget(ev);
        if (!counter) return;
        const role = fn.roles.find((r) => IRQ_ROLES.has(r));
        const irqContext = role ? `${fn.name}() runs as a ${role} callback` : null;
        const u: Use = { fn, ev, counter, irqContext };
        uses.push(u);
        if (WRITERS.test(ev.callee) && !ev.ctx.irqsOff && !role) writers.push(u);
      },
      onEnd() {
        const done = new Set<string>();
        for (const w of writers) {
          const { fn, ev, counter } = w;
          const t = counterType(ev.callee, counter, fn, unitsOf(ctx.functions()), ctx.kb);
          if (t.kind === 'latch' || t.kind === 'lockname-raw') continue;
          let why: string | null = null;
          let other: Use | undefined = uses.find((u) => u !== w && u.irqContext && sameObject(u.counter, u.fn, counter, fn));
          if (other) {
            why = `${other.irqContext} (${other.ev.callee}() at line ${other.ev.line})`;
          } else if (t.kind === 'u64_stats' || t.kind === 'plain' || t.kind === 'unknown') {
            const root = /^[A-Za-z_]\w*/.exec(stripExpr(counter))?.[0];
            const percpu = fn.events.find((e): e is CallEvent => e.kind === 'call' && e.line <= ev.line && PERCPU.test(e.callee) && e.resultUse.kind === 'assign' && stripExpr(e.resultUse.target ?? '') === root);
            const head = fn.node.text.slice(0, Math.max(0, fn.node.text.indexOf('{')));
            const notrace = () => /\bnotrace\b/.test(head) || /\bnotrace\b/.test(fn.unit.text.split('\n').find((l) => new RegExp(`\\b${fn.name}\\s*\\(`).test(l)) ?? '');
            if (percpu && !nonPreemptible(ev.ctx, fn) && notrace()) {
              why = `${counter} is per-CPU (${percpu.callee}() at line ${percpu.line}) and ${fn.name}() is notrace, i.e. called from tracing/BPF hooks that also run in IRQ context on the same CPU`;
            }
            other = undefined;
          }
          // 3. the patch took the section's IRQ protection away (an _irqsave writer of this counter
          //    or local_irq_save() deleted in the writer's hunk): a fix of this class reversed.
          //    A u64_stats writer that also holds a mutex or slept is seqcount-writer-preemptible's.
          //    Not in an IRQ handler: a hard one runs with IRQs off (plain is right there), a threaded
          //    one is preemptible (seqcount-writer-preemptible's), and hunk-only review rarely tells.
          const irqHandler = /\birqreturn_t\b/.test(fn.node.text.slice(0, Math.max(0, fn.node.text.indexOf('{'))));
          const preemptibleFinding = irqHandler || (t.kind === 'u64_stats' && (sleepingLocksHeld(ev, fn).length > 0 || !!earlierSleep(ev, fn)));
          const removed = why || preemptibleFinding ? undefined : removedIrqProtection(fn, counter);
          if (removed) why = `the patch removed \`${removed}\` from this write section, which ${/_bh\b|bh_disable/.test(removed) ? 'softirq' : 'IRQ'} context on this CPU can then enter`;
          if (!why) continue;
          if (removed && /_bh\b|bh_disable/.test(removed) && ev.ctx.bhOff) continue;
          if (!ev.changed && !(other?.ev.changed ?? false) && !removed) continue;
          const key = `${counter}:${ev.callee}`;
          if (done.has(`${fn.name}:${key}`)) continue;
          done.add(`${fn.name}:${key}`);
          const irqsave = t.kind === 'u64_stats' ? 'u64_stats_update_begin_irqsave()' : t.kind === 'seqlock' ? 'write_seqlock_irqsave()' : 'local_irq_save() around the write side';
          const irqStep = other ? callText(other.ev.callee, other.ev.args) : callText(ev.callee, ev.args);
          ctx.report({
            unit: fn.unit,
            fn,
            line: ev.line,
            message: `${ev.callee}(${ev.args.join(', ')}) leaves IRQs enabled: ${why}. An interrupt on this CPU in the middle of the write section corrupts the sequence (or livelocks its reader); use ${irqsave}.`,
            key,
            // A removed protection is introduced by the hunk that removed it, wherever its changed lines are.
            ...(removed ? { introducedLines: [ev.line, ...fn.unit.changed] } : {}),
            reproduction: repro({
              chain: [`${fn.name}()`, `${ev.callee}()`],
              configs: ['32-bit SMP (u64_stats_sync is a seqcount_t)', 'CONFIG_DEBUG_LOCK_ALLOC'],
              interleaving: interleaving(
                'write section interrupted on the same CPU',
                ['CPU0 (task)', 'CPU0 (irq)'],
                [
                  step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, 'sequence odd, IRQs enabled'),
                  step(1, irqStep, other?.fn.unit.file, other?.ev.line, other ? `${other.fn.name}() in IRQ context` : 'the same function re-entered from an interrupt'),
                  step(1, t.kind === 'u64_stats' ? `u64_stats_update_end(&${counter});` : `write_seqcount_end(&${counter});`, undefined, undefined, 'sequence even again while CPU0 (task) is still mid-update'),
                  step(0, '/* finishes its update, then ends the section: sequence odd forever or torn values accepted */'),
                ],
                'corrupted sequence count: readers see torn 64-bit values or spin forever',
              ),
            }),
          });
        }
      },
    };
  },
};
