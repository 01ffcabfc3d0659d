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
