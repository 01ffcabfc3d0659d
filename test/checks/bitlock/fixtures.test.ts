// Bitlock fixtures: every `/* expect: rule */` line gets exactly that finding, no other line any.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checks } from '../../../src/checks/bitlock/index.js';
import { assertFixture } from '../../helpers/check-tester.js';

const dir = fileURLToPath(new URL('../../fixtures/checks/bitlock/', import.meta.url));

for (const f of readdirSync(dir).filter((n) => n.endsWith('.c')).sort()) {
  test(`bitlock fixture ${f}`, async () => {
    const findings = await assertFixture(dir + f, checks);
    for (const x of findings) {
      assert.ok(x.reproduction.litmus?.startsWith('C lockreview-'), `${f}:${x.line} has a litmus test`);
      assert.match(x.reproduction.litmus!, /\nexists \(.+\)\n/);
      // herd7's dialect: no loops, no helpers it does not know, comments only as (* *).
      const code = x.reproduction.litmus!.replace(/^C .*\n/, '').replace(/\(\*[\s\S]*?\*\)/g, '');
      assert.doesNotMatch(code, /\b(while|for|lock|unlock)\b|try_cmpxchg|_bit|\/\*|local_|atomic_/);
      assert.ok(x.reproduction.interleaving && x.reproduction.interleaving.steps.length >= 3);
      assert.equal(x.reproduction.verdict, null);
    }
  });
}
