// Findings from the runner: stable ids across line shifts, `introduced` from the changed lines,
// one report per fingerprint across a series; the knowledge base's schema errors; scan mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Check } from '../../src/engine/types.js';
import { analyzeFiles, analyzeSeries } from '../../src/engine/index.js';
import { loadKnowledgeBase } from '../../src/kb/index.js';
import { parseRulesText } from '../../src/kb/validate.js';
import { InputError } from '../../src/errors.js';
import { runChecksOnSource, seriesFromDiffs } from '../helpers/check-tester.js';
import { runCli } from '../helpers/cli.js';

/** Reports every call to `bad()` with the held locks as key. */
const badCall: Check = {
  meta: { id: 'test-bad-call', class: 'bitlock', severity: 'warning', title: 'bad()', help: 'test', docs: [] },
  create: (ctx) => ({
    onEvent(ev, fn) {
      if (ev.kind === 'call' && ev.callee === 'bad') ctx.report({ unit: fn.unit, fn, line: ev.line, key: ev.ctx.locks.map((l) => l.lockClass).join(','), message: 'bad() called', reproduction: {} });
    },
  }),
};

const src = 'void f(struct kvm *kvm)\n{\n\tspin_lock(&kvm->lock);\n\tbad();\n\tspin_unlock(&kvm->lock);\n\tbad();\n}\n';

test('finding ids survive line shifts and tell repeated findings apart', async () => {
  const a = await runChecksOnSource(src, { checks: [badCall] });
  const b = await runChecksOnSource('/* a new comment */\n\n' + src, { checks: [badCall] });
  assert.equal(a.length, 2);
  assert.deepEqual(a.map((f) => f.id), b.map((f) => f.id));
  assert.notEqual(a[0]!.id, a[1]!.id);
  assert.deepEqual(a.map((f) => f.line), [4, 6]);
  assert.deepEqual(b.map((f) => f.line), [6, 8]);
  assert.deepEqual(a[0]!.reproduction, { interleaving: null, litmus: null, verdict: null, chain: null, splat: null, configs: null });
});

test('introduced follows the changed lines', async () => {
  const f = await runChecksOnSource(src, { checks: [badCall], changedLines: [6] });
  assert.deepEqual(f.map((x) => [x.line, x.introduced]), [[4, false], [6, true]]);
});

test('a finding is reported by the patch that introduces it, not again by later ones', async () => {
  const p1 = 'diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1,3 +1,4 @@ void f(void)\n {\n+\tbad();\n \tx();\n }\n';
  const p2 = 'diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1,4 +1,5 @@ void f(void)\n {\n \tbad();\n \tx();\n+\ty();\n }\n';
  const kb = await loadKnowledgeBase();
  const r = await analyzeSeries(seriesFromDiffs([p1, p2]), { sources: null, kb, checks: [badCall] });
  assert.deepEqual(r.findings.map((f) => [f.patch, f.line, f.function, f.introduced]), [[1, 2, 'f', true]]);
});

test('rules files: a schema error names the file and the entry', () => {
  assert.throws(
    () => parseRulesText('rules/x.yaml', 'primitives:\n  - name: spin_lock\n    family: spinlock\n    op: grab\n    ordering: acquire\n'),
    (e: unknown) => e instanceof InputError && e.input === 'rules/x.yaml' && /primitives\[0\] \(spin_lock\)\.op/.test(e.message),
  );
  assert.throws(() => parseRulesText('rules/y.yaml', 'primitives: [\n'), (e: unknown) => e instanceof InputError && /not valid YAML/.test(e.message));
  const facts = parseRulesText('rules/z.yaml', 'primitives:\n  - names: [a_lock, b_lock]\n    family: f\n    op: lock\n    ordering: acquire\n    kind: mutex\n');
  assert.deepEqual(facts.primitives.map((p) => p.name), ['a_lock', 'b_lock']);
});

test('the shipped knowledge base loads and config facts extend it', async () => {
  const kb = await loadKnowledgeBase({ wrappers: { my_lock: 'spin_lock' }, primitives: [{ name: 'my_sleep', family: 'sleep', op: 'sleep', ordering: 'none', sleeps: true }] });
  assert.equal(kb.primitive('spin_lock_irqsave')?.context?.irq, 'off');
  assert.equal(kb.primitive('clear_bit_unlock')?.ordering, 'release');
  assert.equal(kb.primitive('clear_bit')?.ordering, 'relaxed');
  assert.equal(kb.primitive('atomic_long_try_cmpxchg_acquire')?.ordering, 'acquire');
  assert.equal(kb.primitive('smp_wmb')?.orders, 'stores');
  assert.equal(kb.wrappers().get('my_lock')?.op, 'lock');
  assert.equal(kb.primitive('my_sleep')?.sleeps, true);
  await assert.rejects(loadKnowledgeBase({ wrappers: { w: 'no_such_primitive' } }), InputError);
});

test('scan mode: directories are searched, everything counts as introduced, a missing path is an InputError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lr-scan-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'a.c'), src);
  writeFileSync(join(dir, 'notes.txt'), 'bad();');
  const kb = await loadKnowledgeBase();
  const r = await analyzeFiles([dir], { kb, checks: [badCall] });
  assert.equal(r.files, 1);
  assert.equal(r.findings.length, 2);
  assert.ok(r.findings.every((f) => f.introduced && f.patch === null && f.file.endsWith('sub/a.c')));
  await assert.rejects(analyzeFiles([join(dir, 'missing')], { kb, checks: [badCall] }), InputError);
});

test('lockreview scan: findings, exit status, bad path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lr-scan-cli-'));
  writeFileSync(join(dir, 'u.c'), 'static void kvm_unlock(struct h *h, unsigned long v)\n{\n\tWRITE_ONCE(h->val, v);\n}\nstatic unsigned long kvm_lock(struct h *h)\n{\n\tunsigned long old = READ_ONCE(h->val);\n\twhile (!try_cmpxchg_acquire(&h->val, &old, old | H_LOCKED))\n\t\tcpu_relax();\n\treturn old;\n}\n');
  const r = runCli(['scan', '--format', 'json', dir]);
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.findings.map((f: { ruleId: string; line: number }) => [f.ruleId, f.line]), [['bitlock-unlock-without-release', 3]]);
  const bad = runCli(['scan', join(dir, 'nope.c')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /nope\.c: no such file or directory/);
});
