// srcu-cleanup-without-barrier: cleanup_srcu_struct(S) in code that queues call_srcu(S) callbacks,
// with no srcu_barrier(S) before the cleanup in the same function. A grace period wait
// (synchronize_srcu) does not wait for queued callbacks; cleanup with callbacks pending WARNs and
// the callbacks later run on freed memory (or after the module is gone).
//
// Approach: collect the srcu_structs that any analysed function passes to call_srcu(), then at each
// cleanup_srcu_struct() on one of them look for srcu_barrier() on it earlier in the function, or
// anywhere in the analysed code (teardown through ops tables calls the barrier elsewhere).
// In hunk-only review the call_srcu() is usually outside the patch; there a hunk that deletes
// srcu_barrier(S) ahead of a cleanup_srcu_struct(S) it keeps is evidence enough that S has
// callbacks to wait for (someone put the barrier there), unless the patch also deletes a
// call_srcu(S) (the callbacks are going away with it).
// Blind spots: a barrier that exists but runs too late; call_srcu() in files that are not analysed
// when the patch does not delete a barrier.

import type { CallEvent, Check, FunctionModel } from '../../engine/types.js';
import { deletedLines } from '../../engine/units.js';
import { callTarget, sameObject, stripExpr } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';

export const cleanupWithoutBarrier: Check = {
  meta: {
    id: 'srcu-cleanup-without-barrier',
    class: 'srcu',
    severity: 'warning',
    title: 'cleanup_srcu_struct() without srcu_barrier() after call_srcu()',
    help:
      'call_srcu() queues a callback to run after a grace period. Before cleanup_srcu_struct() (or ' +
      'before freeing the object that embeds the srcu_struct, or unloading the module) every queued ' +
      'callback must have run: that is what srcu_barrier() waits for. synchronize_srcu() is not ' +
      'enough, it waits for readers, not callbacks. See Documentation/RCU/checklist.rst item 17 and ' +
      'Documentation/RCU/rcubarrier.rst.',
    docs: ['Documentation/RCU/checklist.rst', 'Documentation/RCU/rcubarrier.rst'],
  },
  create(ctx) {
    const calls: Array<{ ssp: string; fn: FunctionModel; ev: CallEvent }> = [];
    const cleanups: Array<{ ssp: string; fn: FunctionModel; ev: CallEvent; barrier: boolean }> = [];
    const barriers: Array<{ ssp: string; fn: FunctionModel }> = [];
    return {
      onFunction(fn) {
        const evs = fn.events.filter((e): e is CallEvent => e.kind === 'call');
        evs.forEach((ev, i) => {
          const op = ev.primitive?.op;
          const ssp = callTarget(ev);
          if (!ssp) return;
          if (op === 'srcu-call') calls.push({ ssp, fn, ev });
          if (op === 'srcu-barrier') barriers.push({ ssp, fn });
          if (op === 'srcu-cleanup') {
            const barrier = evs.slice(0, i).some((b) => b.primitive?.op === 'srcu-barrier' && sameObject(callTarget(b) ?? '', fn, ssp, fn));
            cleanups.push({ ssp, fn, ev, barrier });
          }
        });
      },
      onEnd() {
        for (const c of cleanups) {
          // A barrier on S anywhere in the analysed code: it is probably run before the teardown
          // through another path (ops tables, module exit); only a file with none is reported.
          if (c.barrier || barriers.some((b) => sameObject(b.ssp, b.fn, c.ssp, c.fn))) continue;
          const q = calls.find((k) => sameObject(k.ssp, k.fn, c.ssp, c.fn));
          const removed = q ? null : removedBarrier(c.fn, c.ssp);
          // (The line after a deleted run counts as changed: a deleted barrier marks the cleanup.)
          if (!q && (!removed || !c.ev.changed)) continue;
          if (q && !c.ev.changed && !q.ev.changed) continue;
          const queued = q
            ? `${q.fn.name}() queues call_srcu() callbacks on it (line ${q.ev.line})`
            : `this patch deletes the ${removed} that waited for its call_srcu() callbacks`;
          ctx.report({
            unit: c.fn.unit,
            fn: c.fn,
            line: c.ev.line,
            message: `cleanup_srcu_struct(&${c.ssp}) without srcu_barrier(&${c.ssp}) first, but ${queued}: a pending callback can run after the teardown.`,
            key: c.ssp,
            reproduction: repro({
              chain: [`${c.fn.name}()`, 'cleanup_srcu_struct()'],
              interleaving: interleaving(
                'callback outlives its srcu_struct',
                ['CPU0', 'CPU1'],
                [
                  q ? step(0, callText(q.ev.callee, q.ev.args), q.fn.unit.file, q.ev.line, 'callback queued, grace period pending') : step(0, `call_srcu(&${c.ssp}, ...)`, undefined, undefined, 'callback queued, grace period pending'),
                  step(1, callText(c.ev.callee, c.ev.args), c.fn.unit.file, c.ev.line, 'no srcu_barrier(): callbacks still queued'),
                  step(0, '/* grace period ends: the callback runs */', undefined, undefined, 'on a cleaned-up srcu_struct / freed object'),
                ],
                'WARN in cleanup_srcu_struct(), then use-after-free in the callback',
              ),
              configs: ['CONFIG_DEBUG_OBJECTS_RCU_HEAD', 'CONFIG_KASAN'],
            }),
          });
        }
      },
    };
  },
};

/** The `srcu_barrier(&S)` text a hunk unit of `fn` deletes, when the patch deletes no
 *  `call_srcu(&S, ...)` in that unit (hunk-only review: the deleted lines are all the patch says). */
function removedBarrier(fn: FunctionModel, ssp: string): string | null {
  const deleted = deletedLines(fn.unit);
  if (!deleted.length) return null;
  const target = (line: string, callee: string): string | null => {
    const m = new RegExp(`\\b${callee}\\s*\\(([^,)]*)`).exec(line);
    return m ? stripExpr(m[1]!) : null;
  };
  const want = stripExpr(ssp);
  if (deleted.some((l) => target(l, 'call_srcu') === want)) return null;
  const hit = deleted.find((l) => target(l, 'srcu_barrier') === want);
  return hit ? `srcu_barrier(${hit.trim().replace(/^srcu_barrier\s*\(|\);?$/g, '')})` : null;
}
