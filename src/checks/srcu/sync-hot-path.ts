// srcu-sync-hot-path: one SRCU grace period per item: synchronize_srcu*(S) (directly or through a
// callee whose summary waits for S) inside a loop, where S does not change per iteration. Every
// iteration blocks for a full grace period (milliseconds each; the 2026-02-18 KVM thread measured
// this on the vCPU-creation path). Collect the items and wait once, or defer the reclaim with
// call_srcu().
//
// Approach: enclosing loops of the event (LoopInfo); S is "per item" when it mentions an iterator
// cursor or a variable the loop assigns (header or body) (`&gdev->descs[i].srcu` in `for (i = ...)`), and
// then each iteration needs its own wait, so it stays silent.
// A wait reached through a callee is reported as info (the callee may wait on some calls only), as
// is a loop in a teardown function (release, remove, cleanup ...), which runs once per object.
// Blind spots: loops in callers (the function itself called per item), paths that are hot for
// reasons the code does not show.

import type { Check } from '../../engine/types.js';
import { callTarget, identifiers, TEARDOWN_NAME } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';
import { calleeSyncs } from './sync-in-read-side.js';


const header = (text: string): string => {
  const brace = text.indexOf('{');
  const line = text.indexOf('\n');
  const cut = [brace, line].filter((i) => i > 0);
  return cut.length ? text.slice(0, Math.min(...cut)) : text;
};

export const syncHotPath: Check = {
  meta: {
    id: 'srcu-sync-hot-path',
    class: 'srcu',
    severity: 'warning',
    title: 'synchronize_srcu() once per item',
    help:
      'synchronize_srcu() blocks until an SRCU grace period ends, typically milliseconds; the ' +
      'expedited form is faster but costs CPU time. Waiting once per loop iteration (per device, per ' +
      'entry, per vCPU) multiplies that latency. Unpublish all items first and wait once, or free each ' +
      'old item with call_srcu(). See Documentation/RCU/checklist.rst (expedited grace periods) and ' +
      'Documentation/RCU/whatisRCU.rst.',
    docs: ['Documentation/RCU/checklist.rst', 'Documentation/RCU/whatisRCU.rst'],
  },
  create(ctx) {
    const seen = new Set<string>();
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || !ev.loops.length) return;
        let ssp: string | null = null;
        let chain: string[] = [`${fn.name}()`, `${ev.callee}()`];
        let severity: 'warning' | 'info' = 'warning';
        if (ev.primitive?.op === 'srcu-sync') ssp = callTarget(ev);
        else if (!ev.primitive) {
          const y = calleeSyncs(ctx, ev.callee, ev.args)[0];
          if (y) {
            ssp = y.ssp;
            severity = 'info'; // through a callee: it may wait only on some calls
            chain = [`${fn.name}()`, `${ev.callee}()`, ...y.chain.filter((c) => !c.startsWith(`${ev.callee}(`))];
          }
        }
        if (!ssp) return;
        const loop = ev.loops[ev.loops.length - 1]!;
        // What changes per iteration: an iterator's cursors (its plain-identifier arguments; the
        // list head `&af->rules` stays the same object) and every variable the loop assigns, in
        // its header (`i = 0; ...; i++`) or body (`j = next(i); synchronize_srcu(srcus[j])`).
        // Other identifiers of the header (`i < ad->n`) name fixed objects.
        const loopIds = new Set<string>();
        if (loop.kind === 'iterator') {
          const args = /\((.*)\)\s*$/s.exec(loop.condition)?.[1] ?? '';
          for (const a of args.split(',')) if (/^\s*[A-Za-z_]\w*\s*$/.test(a)) loopIds.add(a.trim());
        }
        for (const m of loop.node.text.matchAll(/(?<![\w>.])([A-Za-z_]\w*)\s*(?:=(?!=)|\+\+|--|\+=|-=)|(?:\+\+|--)\s*([A-Za-z_]\w*)/g)) loopIds.add(m[1] ?? m[2]!);
        const perItem = [...identifiers(ssp)].some((id) => loopIds.has(id));
        if (perItem) return;
        if (!ev.changed && !fn.unit.changed.has(loop.line)) return;
        // Teardown runs once per object: N grace periods there cost time, not throughput.
        if (TEARDOWN_NAME.test(fn.name)) severity = 'info';
        const key = `${ssp}:${ev.callee}`;
        if (seen.has(`${fn.name}:${key}`)) return;
        seen.add(`${fn.name}:${key}`);
        const loopText = loop.kind === 'iterator' ? loop.condition : header(loop.node.text).trim();
        ctx.report({
          unit: fn.unit,
          fn,
          line: ev.line,
          message: `${ev.callee}() waits for an SRCU grace period of ${ssp} on every iteration of the loop at line ${loop.line}; wait once after the loop, or defer the frees with call_srcu().`,
          key,
          severity,
          introducedLines: [ev.line, loop.line],
          reproduction: repro({
            chain,
            interleaving: interleaving(
              'one grace period per iteration',
              ['CPU0'],
              [
                step(0, loopText, fn.unit.file, loop.line, 'for each item'),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, `blocks until every ${ssp} reader that started earlier has finished`),
              ],
              'latency grows with the number of items: N grace periods instead of one',
            ),
          }),
        });
      },
    };
  },
};
