// Fixture tests of the seqcount family: every `/* expect: id */` line gets exactly that finding from
// the real engine and knowledge base; every near-miss line stays silent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checks } from '../../../src/checks/seqcount/index.js';
import { assertFixture } from '../../helpers/check-tester.js';

const dir = fileURLToPath(new URL('../../fixtures/checks/seqcount/', import.meta.url));

for (const f of readdirSync(dir).filter((n) => n.endsWith('.c')).sort()) {
  test(`seqcount fixture ${f}`, async () => {
    const findings = await assertFixture(join(dir, f), checks);
    assert.ok(findings.length > 0, 'the fixture expects at least one finding');
    for (const x of findings) {
      assert.equal(x.class, 'seqcount');
      assert.ok(x.reproduction.interleaving, `${x.ruleId} at ${x.line} carries an interleaving`);
      assert.ok(x.reproduction.chain?.length, `${x.ruleId} at ${x.line} carries a chain`);
    }
  });
}
