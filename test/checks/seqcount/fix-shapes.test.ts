// The seqcount checks in hunk-only mode over the shapes real fixes take (fix-shapes.ts): each buggy
// form (the fix reversed) draws its finding within three lines of the line it belongs on, with an
// interleaving that reaches that line; each fixed form draws nothing from the family. Shapes kept as
// known misses are asserted to be missed still, so that a check that learns them fails here and the
// marker gets removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnPatch } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/seqcount/index.js';
import { SEQCOUNT_FIX_SHAPES } from './fix-shapes.js';

for (const s of SEQCOUNT_FIX_SHAPES) {
  test(`seqcount fix shape: ${s.name}${s.known ? ' (known miss)' : ''}`, async () => {
    const buggy = await runChecksOnPatch(s.buggy, { checks });
    const hit = buggy.find((f) => f.ruleId === s.rule && Math.abs(f.line - s.line) <= 3);
    if (s.known) {
      assert.equal(hit, undefined, `${s.name} is marked as a known miss but is now found: drop the marker`);
    } else {
      assert.ok(hit, `expected ${s.rule} near line ${s.line}, got ${JSON.stringify(buggy.map((f) => `${f.ruleId}@${f.line}`))}`);
      assert.equal(hit.class, 'seqcount');
      assert.ok(hit.introduced, 'the finding is one the patch introduces');
      assert.ok((hit.reproduction.chain?.length ?? 0) >= 2, 'a chain down to the seqcount call');
      assert.ok(hit.reproduction.interleaving?.steps.some((st) => Math.abs((st.line ?? -99) - hit.line) <= 3), 'the interleaving reaches the flagged line');
    }
    const fixed = await runChecksOnPatch(s.fixed, { checks });
    assert.deepEqual(fixed.map((f) => `${f.ruleId}@${f.line}: ${f.message}`), []);
  });
}

test('every seqcount check has at least one fix shape it finds', () => {
  const found = new Set(SEQCOUNT_FIX_SHAPES.filter((s) => !s.known).map((s) => s.rule));
  for (const c of checks) assert.ok(found.has(c.meta.id as never), `${c.meta.id} has no fix shape it finds`);
});

test('near miss: the threaded-handler shape under a hard-handler name (acme_rx_isr) stays silent', async () => {
  const s = SEQCOUNT_FIX_SHAPES.find((x) => x.name.includes('threaded IRQ handler'))!;
  const renamed = s.buggy.replace('acme_rx_thread(int irq', 'acme_rx_isr(int irq');
  assert.notEqual(renamed, s.buggy);
  assert.deepEqual(await runChecksOnPatch(renamed, { checks }), []);
});

test('near miss: an _irqsave u64_stats writer made plain inside a spin_lock_irqsave() section stays silent', async () => {
  const s = SEQCOUNT_FIX_SHAPES.find((x) => x.name.includes('ISR updates the same syncp'))!;
  const underLock = s.buggy
    .replace('\tacme_hw_reset(priv);\n', '\tspin_lock_irqsave(&priv->lock, flags);\n')
    .replace('\tnetif_tx_wake_all_queues(priv->ndev);\n', '\tspin_unlock_irqrestore(&priv->lock, flags);\n');
  assert.notEqual(underLock, s.buggy);
  assert.deepEqual(await runChecksOnPatch(underLock, { checks }), []);
});

test('a downgraded seqcount_LOCKNAME_t names the lock it lost', async () => {
  const s = SEQCOUNT_FIX_SHAPES.find((x) => x.name.includes('seqcount_rwlock_t reverted'))!;
  const [f] = (await runChecksOnPatch(s.buggy, { checks })).filter((x) => x.ruleId === 'seqcount-plain-under-spinlock');
  assert.match(f?.message ?? '', /priv->count was a seqcount_rwlock_t associated with priv->lock/);
});

test('near miss: preempt_disable() dropped because the patch makes the counter a seqcount_mutex_t (header in the series) stays silent', async () => {
  const s = SEQCOUNT_FIX_SHAPES.find((x) => x.name.includes('preempt_disable() removed'))!;
  const header = [
    'diff --git a/include/linux/acme-part.h b/include/linux/acme-part.h',
    '--- a/include/linux/acme-part.h',
    '+++ b/include/linux/acme-part.h',
    '@@ -30,4 +30,4 @@ struct acme_part {',
    ' \tsector_t nr_sects;',
    '-\tseqcount_t size_seq;',
    '+\tseqcount_mutex_t size_seq;',
    ' \tstruct mutex size_mutex;',
    ' };',
    '',
  ].join('\n');
  assert.equal((await runChecksOnPatch(s.buggy, { checks })).length, 1, 'the shape alone is found');
  assert.deepEqual(await runChecksOnPatch(header + s.buggy, { checks }), []);
});
