// srcu-read-lock-unbalanced: a path that leaves the function with an SRCU read side it entered still
// open (typically an early return or `goto out` that skips srcu_read_unlock()). The reader never
// ends, so every later synchronize_srcu() on that srcu_struct waits forever.
//
// Approach: FunctionModel.exits carries the context at every return / end; a section entered in
// this function (its line lies inside it) and still open at an exit is reported at that exit. Read
// sides handed to the caller on purpose stay silent: the index stored outside a local variable
// (`ret->idx = srcu_read_lock(...)`, `mh->idx = idx`), the index returned, a function annotated
// __acquires(), and wrappers (dm_get_live_table) whose index travels through a pointer.
// In a function seen in part (hunk mode) only explicit returns count as exits.
// Blind spots: exits the engine's path merge hides; an unlock in a part of the function the patch
// does not show.

import type { Check, FunctionModel } from '../../engine/types.js';
import { sectionSsp, stripExpr } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';

/** The exit at `line` is a goto whose label is followed by an unlock using `idx`. */
function gotoReleases(fn: FunctionModel, line: number, idx: string): boolean {
  const row = fn.unit.lineMap.indexOf(line);
  const text = row >= 0 ? fn.unit.text.split('\n')[row] ?? '' : '';
  const label = /\bgoto\s+([A-Za-z_]\w*)/.exec(text)?.[1];
  if (!label) return false;
  const body = fn.node.text;
  const at = body.search(new RegExp(`(^|\\n)\\s*${label}\\s*:`));
  if (at < 0) return false;
  return new RegExp(`srcu_\\w*(unlock|up_read)\\w*\\s*\\([^;]*\\b${idx}\\b`).test(body.slice(at));
}

export const readLockUnbalanced: Check = {
  meta: {
    id: 'srcu-read-lock-unbalanced',
    class: 'srcu',
    severity: 'error',
    title: 'srcu_read_lock() without srcu_read_unlock() on some path',
    help:
      'Every srcu_read_lock() must be paired with srcu_read_unlock() on the same srcu_struct with the ' +
      'index it returned, on every path out of the section. A path that returns with the read side ' +
      'still entered leaves a reader that never ends: the next synchronize_srcu() (and ' +
      'cleanup_srcu_struct()) on that srcu_struct hangs. Unlock on the error path too (goto to an ' +
      'unlock label, or use guard(srcu)). See Documentation/RCU/whatisRCU.rst and ' +
      'Documentation/RCU/checklist.rst item 13.',
    docs: ['Documentation/RCU/whatisRCU.rst', 'Documentation/RCU/checklist.rst'],
  },
  create(ctx) {
    return {
      onFunction(fn) {
        if (/__acquires\s*\(/.test(fn.node.text.slice(0, fn.node.text.indexOf('{') + 1 || 200))) return;
        const seen = new Set<number>();
        for (const exit of fn.exits) {
          // A fragment's end (hunk mode) is not where the function ends; its returns are.
          if (fn.partial && exit.kind !== 'return') continue;
          for (const sec of exit.ctx.srcu) {
            if (sec.line < fn.startLine || sec.line > fn.endLine || seen.has(sec.line)) continue;
            const idx = sec.idxVar ? stripExpr(sec.idxVar) : null;
            if (!idx || !/^[A-Za-z_]\w*$/.test(idx) || fn.params.has(idx)) continue; // handed over on purpose
            if (ctx.kb.wrappers().has(sec.via)) continue; // wrapper index protocols differ (dm_get_live_table)
            // The index stored into memory (`mh->idx = idx`) hands the read side over as well.
            if (fn.events.some((e) => e.kind === 'store' && stripExpr(e.value) === idx && /->|\.|\*|\[/.test(e.target))) continue;
            const ret = fn.events.find((e) => e.kind === 'return' && e.line === exit.line);
            if (ret && ret.kind === 'return' && ret.value && new RegExp(`\\b${idx}\\b`).test(ret.value)) continue;
            // `goto label`: when the code after the label releases this index, the path does unlock.
            if (gotoReleases(fn, exit.line, idx)) continue;
            // Unlocked on this path with the right index but another srcu_struct: srcu-read-unlock-mismatch.
            const unlockedWrongly = fn.events.some((e) => e.kind === 'call' && e.primitive?.op === 'srcu-read-unlock' && e.line > sec.line && e.line <= exit.line && stripExpr(e.args[1] ?? '') === idx);
            if (unlockedWrongly) continue;
            let touched = false;
            for (let l = sec.line; l <= exit.line; l++) if (fn.unit.changed.has(l)) touched = true;
            if (!touched) continue;
            seen.add(sec.line);
            const ssp = sectionSsp(sec, ctx.kb);
            ctx.report({
              unit: fn.unit,
              fn,
              line: exit.line,
              message: `${fn.name}() can leave here with the ${ssp} read side entered at line ${sec.line} still open: srcu_read_unlock(&${ssp}, ${idx}) is skipped on this path.`,
              key: `${ssp}:${sec.via}`,
              introducedLines: Array.from({ length: exit.line - sec.line + 1 }, (_, k) => sec.line + k),
              reproduction: repro({
                chain: [`${fn.name}()`, `${sec.via}()`],
                interleaving: interleaving(
                  'SRCU reader never ends',
                  ['CPU0', 'CPU1'],
                  [
                    step(0, callText(sec.via, [`&${ssp}`], idx), fn.unit.file, sec.line),
                    step(0, exit.kind === 'end' ? '}' : 'return ...;', fn.unit.file, exit.line, 'srcu_read_unlock() skipped'),
                    step(1, `synchronize_srcu(&${ssp});`, undefined, undefined, 'waits for CPU0\'s reader, which never unlocks'),
                  ],
                  'synchronize_srcu() never returns (hung task)',
                ),
                configs: ['CONFIG_PROVE_LOCKING', 'CONFIG_DETECT_HUNG_TASK'],
                splat: `WARNING: lock held when returning to user space!\n${fn.name} is leaving the kernel with locks still held!\n1 lock held: (${ssp}){.+.+}, at: ${sec.via}`,
              }),
            });
          }
        }
      },
    };
  },
};
