// srcu-sync-in-read-side: synchronize_srcu*(S) inside a read-side section of the same S, directly or
// through a callee whose summary waits for S. The grace period waits for every reader of S that
// started before it, including the caller's own: the task waits for itself forever.
//
// Approach: at every srcu-sync call (or call of a function whose summary has an srcu sync) compare
// S with the open sections of the context (Context.srcu), matching srcu_structs by class so that
// `vcpu->kvm->srcu` in one function is `kvm->srcu` in another; callee srcu_structs passed as
// parameters are substituted with the caller's arguments.
// Blind spots: read sides held by callers (the engine does not propagate srcu sections to callees),
// read sides opened through unknown wrappers, summaries deeper than the engine computes.

import type { AnalysisEvent, Check, CheckContext, FunctionModel } from '../../engine/types.js';
import { callTarget, sameObject, sectionSsp, stripExpr } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';

const DOCS = ['Documentation/RCU/whatisRCU.rst', 'Documentation/RCU/checklist.rst'];

/** srcu_structs a callee's summary waits for, in the caller's terms. */
export function calleeSyncs(ctx: CheckContext, callee: string, args: readonly string[]): Array<{ ssp: string; chain: string[]; line: number }> {
  const s = ctx.summary(callee);
  if (!s) return [];
  const model = ctx.functions().find((f) => f.name === callee);
  const params = model ? [...model.params.keys()] : [];
  return s.srcuSyncs.map((y) => {
    const ssp = stripExpr(y.ssp);
    const root = /^[A-Za-z_]\w*/.exec(ssp)?.[0] ?? '';
    const i = params.indexOf(root);
    const sub = i >= 0 && args[i] !== undefined ? stripExpr(args[i]!) + ssp.slice(root.length) : ssp;
    return { ssp: stripExpr(sub), chain: y.chain, line: y.line };
  });
}

export const syncInReadSide: Check = {
  meta: {
    id: 'srcu-sync-in-read-side',
    class: 'srcu',
    severity: 'error',
    title: 'synchronize_srcu() inside a read-side section of the same srcu_struct',
    help:
      'A grace period of an srcu_struct waits for every read-side section of that srcu_struct that ' +
      'began before it. Calling synchronize_srcu() or synchronize_srcu_expedited() (or a function ' +
      'that does) between srcu_read_lock(S) and srcu_read_unlock(S) waits for the caller itself: a ' +
      'self-deadlock, and lockdep reports it as possible recursive locking on the srcu "lock". Leave ' +
      'the read side first, or defer the reclaim with call_srcu(). See Documentation/RCU/whatisRCU.rst ' +
      '(SRCU) and Documentation/RCU/checklist.rst item 13.',
    docs: DOCS,
  },
  create(ctx) {
    const reportIt = (ev: AnalysisEvent & { kind: 'call' }, fn: FunctionModel, ssp: string, chain: string[], how: string): void => {
      for (const sec of ev.ctx.srcu) {
        const held = sectionSsp(sec, ctx.kb);
        if (!sameObject(held, fn, ssp, fn)) continue;
        if (!ev.changed && !fn.unit.changed.has(sec.line)) continue;
        const lockCall = callText(sec.via, [`&${held}`], sec.idxVar ?? undefined);
        ctx.report({
          unit: fn.unit,
          fn,
          line: ev.line,
          message: `${how} waits for an SRCU grace period of ${held} inside the ${held} read-side section entered at line ${sec.line}: the grace period waits for this reader, which waits for the grace period (self-deadlock).`,
          key: `${held}:${ev.callee}`,
          introducedLines: [ev.line, sec.line],
          reproduction: repro({
            chain: [`${fn.name}()`, ...chain],
            interleaving: interleaving(
              'possible recursive locking: SRCU grace period inside its own read side',
              ['CPU0'],
              [
                step(0, lockCall, fn.unit.file, sec.line, `reader of ${held}`),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, `waits for all readers of ${held}, including CPU0's own`),
              ],
              '*** DEADLOCK ***',
            ),
            configs: ['CONFIG_PROVE_LOCKING'],
            splat: `WARNING: possible recursive locking detected\n${fn.name} is trying to acquire lock:\n (${held}){.+.+}, at: ${ev.callee}\nbut task is already holding lock:\n (${held}){.+.+}, at: ${sec.via}\n*** DEADLOCK ***`,
          }),
        });
        return;
      }
    };
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || ev.ctx.srcu.length === 0) return;
        if (ev.primitive?.op === 'srcu-sync') {
          const ssp = callTarget(ev);
          if (ssp) reportIt(ev, fn, ssp, [`${ev.callee}()`], `${ev.callee}(${ev.args.join(', ')})`);
          return;
        }
        if (ev.primitive) return;
        for (const y of calleeSyncs(ctx, ev.callee, ev.args)) {
          reportIt(ev, fn, y.ssp, [`${ev.callee}()`, ...y.chain.filter((c) => c !== `${ev.callee}()`)], `${ev.callee}() (which calls ${y.chain.at(-1) ?? 'synchronize_srcu()'})`);
        }
      },
    };
  },
};
