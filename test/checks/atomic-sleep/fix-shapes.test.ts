// atomic-sleep in hunk-only mode over the shapes real fixes take (fix-shapes.ts): each buggy form
// (the fix reversed) draws its finding within three lines of the first added line, as the corpus
// scorer counts it, with a complete reproduction; each fixed form draws nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnPatch } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/atomic-sleep/index.js';
import { FIX_SHAPES, REGISTRATION_HUNK } from './fix-shapes.js';

// The hard-IRQ case needs its registration, which sits in another hunk of the same file.
const withRegistration = (s: (typeof FIX_SHAPES)[number], text: string) => (/hard-IRQ/.test(s.name) ? text + REGISTRATION_HUNK : text);

for (const s of FIX_SHAPES) {
  test(`fix shape: ${s.name}`, async () => {
    const buggy = await runChecksOnPatch(withRegistration(s, s.buggy), { checks });
    const hit = buggy.find((f) => f.ruleId === s.rule && Math.abs(f.line - s.line) <= 3);
    assert.ok(hit, `expected ${s.rule} near line ${s.line}, got ${JSON.stringify(buggy.map((f) => `${f.ruleId}@${f.line}`))}`);
    assert.ok((hit.reproduction.chain?.length ?? 0) >= 2, 'chain from the atomic context to the sleeping call');
    assert.match(hit.reproduction.splat ?? '', /sleeping function called from invalid context|Invalid wait context/);
    assert.ok(hit.reproduction.interleaving?.steps.some((st) => st.line === hit.line), 'the interleaving reaches the flagged line');
    const fixed = await runChecksOnPatch(withRegistration(s, s.fixed), { checks });
    assert.deepEqual(fixed.map((f) => `${f.ruleId}@${f.line}: ${f.message}`), []);
  });
}

test('near miss: the hard-IRQ shape without its registration (a threaded handler has the same signature) stays silent', async () => {
  const s = FIX_SHAPES.find((x) => /hard-IRQ/.test(x.name))!;
  assert.deepEqual(await runChecksOnPatch(s.buggy, { checks }), []);
});

test('near miss: a timer_list helper not named like a callback, deep in its body, stays silent', async () => {
  const s = FIX_SHAPES.find((x) => /timer_list callback/.test(x.name))!;
  const renamed = s.buggy.replace('acme_scan_timeout(struct timer_list *t)', 'acme_scan_rearm(struct timer_list *t)');
  assert.deepEqual(await runChecksOnPatch(renamed, { checks }), []);
});

// The driver-callback shapes go by name where the signature is shared with ops that may sleep: a
// function of the same signature named otherwise stays silent (clk_ops .prepare, a helper taking
// a net_device, an URB helper that is no completion handler).
for (const [pick, from, to] of [
  ['clk_ops.enable', 'acme_gate_enable(struct clk_hw *hw)', 'acme_gate_prepare(struct clk_hw *hw)'],
  ['ndo_set_rx_mode', 'acme_set_rx_mode(struct net_device *ndev)', 'acme_reload_filters(struct net_device *ndev)'],
  ['URB completion', 'acme_read_bulk_callback(struct urb *urb)', 'acme_resubmit_read(struct urb *urb)'],
] as const) {
  test(`near miss: the ${pick} shape under another name stays silent`, async () => {
    const s = FIX_SHAPES.find((x) => x.name.includes(pick))!;
    const renamed = s.buggy.replace(from, to);
    assert.notEqual(renamed, s.buggy);
    assert.deepEqual(await runChecksOnPatch(renamed, { checks }), []);
  });
}

test('driver callback findings name the precise context', async () => {
  const s = FIX_SHAPES.find((x) => x.name.includes('ndo_set_rx_mode'))!;
  const [f] = await runChecksOnPatch(s.buggy, { checks });
  assert.match(f?.message ?? '', /ndo_set_rx_mode callback: runs under netif_addr_lock_bh \(spinlock, BHs off\)/);
});

// A mutex -> spinlock conversion (a "use a mutex, the section sleeps" fix reversed) spans two hunks:
// the lock in one, the unlock in a later one, the sleeping call unchanged in between.
const conversion = (lock: string, unlock: string) => `diff --git a/drivers/media/acme/acme-core.c b/drivers/media/acme/acme-core.c
--- a/drivers/media/acme/acme-core.c
+++ b/drivers/media/acme/acme-core.c
@@ -400,7 +400,7 @@ static int acme_start_streaming(struct vb2_queue *q, unsigned int count)
 \tstruct acme_dev *dev = vb2_get_drv_priv(q);
 \tint ret;
 
-\tmutex_lock(&dev->lock);
+\t${lock}(&dev->lock);
 \tdev->sequence = 0;
 \tdev->streaming = true;
 \tacme_hw_reset(dev);
@@ -430,9 +430,9 @@ static int acme_start_streaming(struct vb2_queue *q, unsigned int count)
 \tacme_write(dev, ACME_STREAM, 1);
 \tmsleep(20);
 \tret = 0;
 \tif (ret)
 \t\tdev->streaming = false;
-\tmutex_unlock(&dev->lock);
+\t${unlock}(&dev->lock);
 
 \treturn ret;
 }
`;

test('fix shape: mutex converted to a spinlock across two hunks, msleep() unchanged between them', async () => {
  const f = await runChecksOnPatch(conversion('spin_lock', 'spin_unlock'), { checks });
  assert.equal(f.length, 1, JSON.stringify(f.map((x) => x.message)));
  assert.equal(f[0]!.ruleId, 'atomic-sleep-in-atomic');
  assert.equal(f[0]!.line, 403, 'on the added spin_lock() of the first hunk');
  assert.equal(f[0]!.introduced, true);
  assert.match(f[0]!.message, /msleep\(20\) at line 431/);
  assert.deepEqual(f[0]!.reproduction.chain, ['acme_start_streaming() [atomic: spin_lock(&dev->lock) at line 403]', 'msleep()']);
  assert.deepEqual(await runChecksOnPatch(conversion('mutex_lock', 'mutex_unlock'), { checks }), []);
});
