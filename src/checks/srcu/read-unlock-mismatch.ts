// srcu-read-unlock-mismatch: srcu_read_unlock(S, idx) whose srcu_struct or index does not belong to
// the read side being closed: the index of a section on another srcu_struct, or S with the index of
// a different section. SRCU counts readers per index and per srcu_struct; a mismatched unlock
// decrements the wrong counter, so one grace period never ends and another ends too early.
//
// Approach: at each srcu-read-unlock call, compare its (S, idx) with the open sections of the
// context (SrcuSection.ssp / idxVar).
// Blind spots: indexes copied between variables, sections opened by callers.

import type { Check } from '../../engine/types.js';
import { callTarget, sameObject, sectionSsp, stripExpr } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';

export const readUnlockMismatch: Check = {
  meta: {
    id: 'srcu-read-unlock-mismatch',
    class: 'srcu',
    severity: 'error',
    title: 'srcu_read_unlock() with the wrong srcu_struct or index',
    help:
      'srcu_read_unlock() must be passed the same srcu_struct as the matching srcu_read_lock() and ' +
      'the index that srcu_read_lock() returned. Passing another srcu_struct or another section\'s ' +
      'index corrupts the per-index reader counts: a grace period may end while a reader still runs ' +
      '(use-after-free) or never end (hang). See Documentation/RCU/checklist.rst item 13 and ' +
      'include/linux/srcu.h.',
    docs: ['Documentation/RCU/checklist.rst', 'Documentation/RCU/whatisRCU.rst'],
  },
  create(ctx) {
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || ev.primitive?.op !== 'srcu-read-unlock' || ev.primitive.lockExpr || !ev.ctx.srcu.length) return;
        const ssp = callTarget(ev);
        const idx = stripExpr(ev.args[1] ?? '');
        if (!ssp || !idx || !ev.changed) return;
        const secs = ev.ctx.srcu.map((s) => ({ s, ssp: sectionSsp(s, ctx.kb), idx: s.idxVar ? stripExpr(s.idxVar) : null }));
        const bySsp = secs.filter((x) => sameObject(x.ssp, fn, ssp, fn));
        const byIdx = secs.filter((x) => x.idx === idx);
        let problem: string | null = null;
        let sec = null as (typeof secs)[number] | null;
        if (!bySsp.length && byIdx.length) {
          sec = byIdx[byIdx.length - 1]!;
          problem = `${idx} was returned by ${sec.s.via}(&${sec.ssp}) at line ${sec.s.line}, but is passed back with ${ssp}`;
        } else if (bySsp.length && byIdx.length && !bySsp.some((x) => x.idx === idx || x.idx === null)) {
          sec = bySsp[bySsp.length - 1]!;
          problem = `the ${ssp} read side was entered at line ${sec.s.line} with index ${sec.idx}, but the unlock passes ${idx} (the index of the ${byIdx[0]!.ssp} section)`;
        }
        if (!problem && bySsp.length && !byIdx.length) {
          // The index came from a read side on another srcu_struct that is already closed.
          const origin = fn.events.find((e) => e.kind === 'call' && e.line < ev.line && e.primitive?.op === 'srcu-read-lock' && e.resultUse.kind === 'assign' && stripExpr(e.resultUse.target ?? '') === idx);
          const originSsp = origin && origin.kind === 'call' ? callTarget(origin) : null;
          if (originSsp && !sameObject(originSsp, fn, ssp, fn)) {
            sec = bySsp[bySsp.length - 1]!;
            problem = `${idx} was returned by ${origin!.kind === 'call' ? origin!.callee : 'srcu_read_lock'}(&${originSsp}) at line ${origin!.line}, but the ${ssp} read side entered at line ${sec.s.line} uses ${sec.idx ?? 'another index'}`;
          }
        }
        if (!problem || !sec) return;
        ctx.report({
          unit: fn.unit,
          fn,
          line: ev.line,
          message: `${ev.callee}(${ev.args.join(', ')}): ${problem}.`,
          key: `${ssp}:${idx}`,
          reproduction: repro({
            chain: [`${fn.name}()`, `${ev.callee}()`],
            interleaving: interleaving(
              'mismatched SRCU unlock',
              ['CPU0', 'CPU1'],
              [
                step(0, callText(sec.s.via, [`&${sec.ssp}`], sec.idx ?? undefined), fn.unit.file, sec.s.line),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, 'decrements the wrong reader counter'),
                step(1, `synchronize_srcu(&${sec.ssp});`, undefined, undefined, 'the reader count it waits on never drops to zero'),
              ],
              'grace period hangs, or ends under a live reader',
            ),
          }),
        });
      },
    };
  },
};
