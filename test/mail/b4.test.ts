// The b4 check protocol: one RFC 2822 message on stdin, b4's JSON (review checks) or checkpatch's
// terse lines (`b4 prep --check`) on stdout, exit 0 so b4 reads the verdict from the output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SHARED } from '../helpers/cli.js';
import { runCliAsync } from './run-async.js';

const RMAP = readFileSync(join(ROOT, 'test/fixtures/mail/rmap-bitlock.mbox'), 'utf8');
const CLEAN = readFileSync(join(SHARED, 'corpus/qrwlock-write-slowpath-relaxed-cmpxchg-fixed.eml'), 'latin1');

interface B4Result {
  tool: string;
  status: string;
  summary: string;
  url: string;
  details: string;
}

test('b4 review check: a patch with a finding is warn/fail with the rule and the place', async () => {
  const r = await runCliAsync(['check', '--format', 'b4', '-'], { input: RMAP });
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as B4Result[];
  assert.equal(results.length, 1);
  const [res] = results;
  assert.equal(res!.tool, 'lockreview');
  assert.ok(res!.status === 'warn' || res!.status === 'fail');
  assert.match(res!.summary, /bitlock-unlock-without-release at arch\/x86\/kvm\/mmu\/mmu\.c:\d+/);
  assert.match(res!.details, /CPU0 +CPU1/);
  assert.equal(typeof res!.url, 'string');
});

test('b4 review check: a clean patch and a cover letter pass', async () => {
  const clean = await runCliAsync(['check', '--format', 'b4', '-'], { input: CLEAN });
  assert.equal(clean.status, 0, clean.stderr);
  assert.deepEqual((JSON.parse(clean.stdout) as B4Result[]).map((x) => x.status), ['pass']);
  const cover = await runCliAsync(['check', '--format', 'b4', '-'], {
    input: 'From: Jane <jane@example.org>\nSubject: [PATCH 0/2] mm: two fixes\nMessage-ID: <c0@example.org>\n\nThe cover letter.\n',
  });
  assert.equal(cover.status, 0, cover.stderr);
  assert.deepEqual((JSON.parse(cover.stdout) as B4Result[]).map((x) => x.status), ['pass']);
});

test('b4 prep --check: checkpatch-style terse lines, nothing for a clean patch', async () => {
  const r = await runCliAsync(['check', '--format', 'b4-prep', '-'], { input: RMAP });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.ok(lines.length >= 1);
  for (const l of lines) assert.match(l, /^[^:\s]+:\d+: (ERROR|WARNING|CHECK): .+ \[[a-z0-9-]+\]$/);
  const clean = await runCliAsync(['check', '--format', 'b4-prep', '-'], { input: CLEAN });
  assert.equal(clean.status, 0, clean.stderr);
  assert.equal(clean.stdout, '');
});
