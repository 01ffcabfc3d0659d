// atomic-sleep checks over the fixture files: every `/* expect: <rule-id> */` line gets exactly that
// finding and no other line gets one (near misses: GFP_ATOMIC, unlock before the sleep, threaded
// IRQ thread_fn, trylock, raw-in-raw, spinlock_t nesting on !RT, irq_bus_lock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertFixture } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/atomic-sleep/index.js';

const dir = join(import.meta.dirname, '../../fixtures/checks/atomic-sleep');

for (const f of readdirSync(dir).filter((f) => f.endsWith('.c')).sort()) {
  test(`atomic-sleep fixture ${f}`, async () => {
    const findings = await assertFixture(join(dir, f), checks);
    assert.ok(findings.length > 0, 'the fixture has at least one expected finding');
    for (const x of findings) {
      assert.ok(x.reproduction.chain && x.reproduction.chain.length >= 2, 'a call chain from the atomic context');
      assert.ok(x.reproduction.splat && /sleeping function called from invalid context|Invalid wait context/.test(x.reproduction.splat));
      assert.ok(x.reproduction.configs?.some((c) => /DEBUG_ATOMIC_SLEEP|PREEMPT_RT/.test(c)));
      if (x.ruleId === 'atomic-sleep-rt-only') assert.match(x.message, /CONFIG_PREEMPT_RT/);
    }
  });
}
