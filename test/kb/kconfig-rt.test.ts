// The Kconfig facts of the knowledge base (rules/kconfig/never-rt-6.12.yaml, read as
// kb.neverBuiltWith): loading and validation, and path matching by whole components, for the
// kernel-relative paths of a patch and the absolute paths of a scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildKnowledgeBase, loadKnowledgeBase, RULES_DIR } from '../../src/kb/index.js';
import { parseRulesText } from '../../src/kb/validate.js';
import { InputError } from '../../src/errors.js';

const NEVER_RT = 'kconfig/never-rt-6.12.yaml';

test('the checked-in file loads: THP, i915, qrwlock, KMSAN are never built with PREEMPT_RT', async () => {
  const facts = parseRulesText(`rules/${NEVER_RT}`, readFileSync(join(RULES_DIR, NEVER_RT), 'utf8'));
  assert.equal(facts.neverBuilt?.option, 'PREEMPT_RT');
  const byPath = new Map(facts.neverBuilt!.entries.map((e) => [e.path, e]));
  assert.deepEqual(byPath.get('mm/huge_memory.c'), { path: 'mm/huge_memory.c', symbol: 'TRANSPARENT_HUGEPAGE', where: 'mm/Kconfig:861' });
  assert.deepEqual(byPath.get('drivers/gpu/drm/i915/'), { path: 'drivers/gpu/drm/i915/', symbol: 'DRM_I915', where: 'drivers/gpu/drm/i915/Kconfig:6' });
  assert.equal(byPath.get('kernel/locking/qrwlock.c')?.where, 'kernel/Kconfig.locks:254');
  assert.equal(byPath.get('mm/kmsan/')?.symbol, 'KMSAN');
  // Files built on RT are not listed, even beside listed ones.
  assert.equal(byPath.has('mm/memory.c'), false);
  assert.equal(byPath.has('kernel/locking/mutex.c'), false);
  const sorted = [...byPath.keys()];
  assert.deepEqual(sorted, [...sorted].sort());
});

test('kb.neverBuiltWith matches kernel-relative and absolute paths by whole components', async () => {
  const kb = await loadKnowledgeBase();
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'mm/huge_memory.c')?.symbol, 'TRANSPARENT_HUGEPAGE');
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', '/usr/src/linux-source-6.12/mm/huge_memory.c')?.where, 'mm/Kconfig:861');
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', './mm/huge_memory.c')?.symbol, 'TRANSPARENT_HUGEPAGE');
  // A directory entry covers the files below it, at any depth.
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'drivers/gpu/drm/i915/display/intel_vblank.c')?.symbol, 'DRM_I915');
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', '/tmp/ksrc/linux-source-6.12/drivers/gpu/drm/i915/i915_irq.c')?.symbol, 'DRM_I915');
  // Never part of a component, never a shorter path, never another option.
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'xmm/huge_memory.c'), undefined);
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', '/src/xmm/huge_memory.c'), undefined);
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'mm/huge_memory.c.orig'), undefined);
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'huge_memory.c'), undefined);
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'drivers/gpu/drm/i915x/foo.c'), undefined);
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'drivers/gpu/drm/i915'), undefined); // the directory itself is no source
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'mm/memory.c'), undefined);
  assert.equal(kb.neverBuiltWith('PROVE_LOCKING', 'mm/huge_memory.c'), undefined);
});

test('entries of several files add up, per option', () => {
  const empty = { primitives: [], lockOrders: [], fieldTypes: [], wrappers: {} };
  const kb = buildKnowledgeBase([
    { ...empty, neverBuilt: { option: 'PREEMPT_RT', entries: [{ path: 'mm/a.c', symbol: 'A', where: 'mm/Kconfig:1' }] } },
    { ...empty, neverBuilt: { option: 'PREEMPT_RT', entries: [{ path: 'drivers/b/', symbol: 'B', where: 'drivers/b/Kconfig:2', via: 'A' }] } },
    { ...empty, neverBuilt: { option: 'KASAN', entries: [{ path: 'mm/c.c', symbol: 'C', where: 'mm/Kconfig:3' }] } },
  ]);
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'mm/a.c')?.symbol, 'A');
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'drivers/b/sub/x.c')?.via, 'A');
  assert.equal(kb.neverBuiltWith('PREEMPT_RT', 'mm/c.c'), undefined);
  assert.equal(kb.neverBuiltWith('KASAN', 'mm/c.c')?.symbol, 'C');
});

test('schema: bad entries are rejected with the file and the field', () => {
  const doc = (entry: string) => `neverBuiltWith:\n  option: PREEMPT_RT\n  entries:\n    - ${entry}\n`;
  const reject = (entry: string, re: RegExp) =>
    assert.throws(() => parseRulesText('rules/kconfig/bad.yaml', doc(entry)), (e: unknown) => e instanceof InputError && e.input === 'rules/kconfig/bad.yaml' && re.test(e.message), entry);
  reject(`{ path: /usr/src/mm/a.c, symbol: A, where: 'mm/Kconfig:1' }`, /path/);
  reject(`{ path: mm/../a.c, symbol: A, where: 'mm/Kconfig:1' }`, /path/);
  reject(`{ path: mm/a.c, symbol: A, where: mm/Kconfig }`, /where/);
  reject(`{ path: mm/a.c, symbol: 'A B', where: 'mm/Kconfig:1' }`, /symbol/);
  reject(`{ path: mm/a.c, symbol: A, where: 'mm/Kconfig:1', why: x }`, /why|unrecognized/i);
  assert.throws(() => parseRulesText('rules/kconfig/bad.yaml', 'neverBuiltWith:\n  option: CONFIG PREEMPT_RT\n  entries: []\n'), /option/);
  const ok = parseRulesText('rules/kconfig/ok.yaml', doc(`{ path: drivers/b/, symbol: B, where: 'drivers/b/Kconfig:2', via: A }`));
  assert.deepEqual(ok.neverBuilt, { option: 'PREEMPT_RT', entries: [{ path: 'drivers/b/', symbol: 'B', where: 'drivers/b/Kconfig:2', via: 'A' }] });
});
