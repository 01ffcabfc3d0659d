// A unit that repeats an earlier one (the same hunk in two patches) is parsed and walked once
// (src/engine/index.ts): its copy must carry its own unit and otherwise equal the models a walk of
// its own gives, and a check must see it as a function of its own patch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Check, FunctionModel } from '../../src/engine/types.js';
import { analyzeSeries, analyzeUnits, hunkUnits, modelUnit } from '../../src/engine/index.js';
import { loadKnowledgeBase } from '../../src/kb/index.js';
import { seriesFromDiffs } from '../helpers/check-tester.js';

const hunk = '@@ -10,5 +10,7 @@ static void f(struct kvm *kvm)\n \tspin_lock(&kvm->lock);\n+\tmsleep(1);\n \tx();\n+\tspin_unlock(&kvm->lock);\n \ty();\n \tz();\n }\n';
const diff = (other: string) => `diff --git a/virt/a.c b/virt/a.c\n--- a/virt/a.c\n+++ b/virt/a.c\n${hunk}${other}`;
// Patch 2 repeats patch 1's hunk and adds one of its own.
const p1 = diff('');
const p2 = diff('@@ -40,2 +42,3 @@ static void g(void)\n {\n+\tw();\n }\n');

/** What a model says, without the tree node and unit (the copy's differ by design). */
function content(fn: FunctionModel): string {
  return JSON.stringify(fn, (k, v: unknown) => (k === 'node' || k === 'unit' ? undefined : k === 'primitive' ? ((v as { name?: string } | undefined)?.name ?? null) : v instanceof Map ? [...v] : v));
}

test('a repeated unit gets its own models, equal to a walk of its own', async () => {
  const kb = await loadKnowledgeBase();
  const s = seriesFromDiffs([p1, p2]);
  const units = s.patches.flatMap((p) => p.files.flatMap((f) => hunkUnits(f, p.index)));
  assert.equal(units.length, 3);
  assert.equal(units[0]!.text, units[1]!.text); // the repeated hunk
  const { functions } = await analyzeUnits(units, kb, [], []);
  const alone: FunctionModel[] = [];
  for (const u of units) {
    const m = await modelUnit(u, kb);
    alone.push(...m.functions);
    // The content is read before the tree is freed (models hold nodes, which content() skips).
    m.tree.delete();
  }
  assert.deepEqual(functions.map(content), alone.map(content));
  assert.ok(functions.every((f, i) => f.unit === alone[i]!.unit));
  assert.deepEqual(functions.map((f) => [f.name, f.unit.patch]), [['f', 1], ['f', 2], ['g', 2]]);
  assert.notEqual(functions[0], functions[1]);
});

test('checks see the copy as a function of its own patch', async () => {
  const kb = await loadKnowledgeBase();
  const seen: Array<[string, number | null, number]> = [];
  const record: Check = {
    meta: { id: 'test-record', class: 'atomic-sleep', severity: 'info', title: 'record', help: 'test', docs: [] },
    create: () => ({
      onEvent(ev, fn) {
        if (ev.kind === 'call' && ev.callee === 'msleep') seen.push([fn.name, fn.unit.patch, ev.ctx.locks.length]);
      },
    }),
  };
  const r = await analyzeSeries(seriesFromDiffs([p1, p2]), { sources: null, kb, checks: [record] });
  assert.equal(r.functions, 3);
  assert.deepEqual(seen, [['f', 1, 1], ['f', 2, 1]]);
});
