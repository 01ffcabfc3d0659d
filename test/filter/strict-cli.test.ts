// `lockreview check --strict` on a patch file: an unused suppression the patch adds is reported
// only with --strict; a used one suppresses its finding in hunk-only mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/model/index.js';
import { runCli } from '../helpers/cli.js';

function patchAdding(lines: string[]): string {
  return [
    'From 0000000000000000000000000000000000000001 Mon Sep 17 00:00:00 2001',
    'From: Ada Dev <ada@example.org>',
    'Date: Mon, 4 Mar 2024 10:00:00 +0000',
    'Subject: [PATCH] demo: add a bit lock',
    '',
    'Adds a lock bit.',
    '---',
    'diff --git a/drivers/demo/lock.c b/drivers/demo/lock.c',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/drivers/demo/lock.c',
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((l) => `+${l}`),
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
}

const LOCK = [
  'static unsigned long demo_lock(struct demo_head *head)',
  '{',
  '\tunsigned long old;',
  '',
  '\told = READ_ONCE(head->val);',
  '\tdo {',
  '\t\twhile (old & DEMO_LOCKED) {',
  '\t\t\tcpu_relax();',
  '\t\t\told = READ_ONCE(head->val);',
  '\t\t}',
  '\t} while (!try_cmpxchg(&head->val, &old, old | DEMO_LOCKED));',
  '\treturn old;',
  '}',
  '',
  'static void demo_unlock(struct demo_head *head, unsigned long v)',
  '{',
];

test('check --strict reports an unused suppression; a used one hides its finding from the exit status', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-strict-'));
  const stale = join(dir, 'stale.patch');
  writeFileSync(stale, patchAdding(['static int x;', '/* lockreview: ignore srcu-sync-in-read-side -- no longer needed */', 'static int y;']));
  assert.equal(runCli(['check', stale]).status, 0);
  const strict = runCli(['check', '--strict', '--format', 'json', stale]);
  assert.equal(strict.status, 1, strict.stderr);
  const r = JSON.parse(strict.stdout) as Report;
  assert.deepEqual(r.findings.map((f) => [f.ruleId, f.line, f.class]), [['lockreview-unused-suppression', 2, 'srcu']]);

  const used = join(dir, 'used.patch');
  writeFileSync(used, patchAdding([...LOCK, '\t// lockreview: ignore bitlock -- a single writer, see demo_probe()', '\tWRITE_ONCE(head->val, v & ~DEMO_LOCKED);', '}']));
  const out = runCli(['check', '--strict', '--format', 'json', used]);
  const rep = JSON.parse(out.stdout) as Report;
  const bit = rep.findings.filter((f) => f.class === 'bitlock' && !f.ruleId.startsWith('lockreview-'));
  assert.ok(bit.length > 0, `the bit-lock release is found in hunk mode: ${out.stdout.slice(0, 400)}`);
  assert.ok(bit.every((f) => f.suppressed?.reason === 'a single writer, see demo_probe()'), JSON.stringify(bit));
  assert.equal(out.status, 0, 'suppressed findings and a used suppression: nothing counts');
});
