// Every atomic-sleep finding carries the whole reproduction: the chain from the atomic point to
// the sleeping call, the splat, the configs, and a two-timeline interleaving that starts at the
// line that made the context atomic and reaches the flagged line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli, ROOT } from '../../helpers/cli.js';

test('atomic-sleep findings carry chain, splat, configs and an interleaving ending on the flagged line', () => {
  const r = runCli(['scan', '--format', 'json', '--fail-on', 'never', join(ROOT, 'test', 'fixtures', 'checks', 'atomic-sleep')]);
  assert.equal(r.status, 0, r.stderr);
  const findings = (JSON.parse(r.stdout).findings as any[]).filter((f) => f.class === 'atomic-sleep');
  assert.ok(findings.length >= 3, `only ${findings.length} atomic-sleep findings`);
  for (const f of findings) {
    const rep = f.reproduction;
    assert.ok(rep.chain?.length >= 2, `${f.function}: chain`);
    assert.match(rep.splat ?? '', /BUG: /);
    assert.ok(rep.configs?.some((c: string) => c.startsWith('CONFIG_')));
    const il = rep.interleaving;
    assert.equal(il.cpus.length, 2);
    assert.ok(il.steps.some((s: any) => s.line === f.line), `${f.function}: the interleaving reaches line ${f.line}`);
    if (f.ruleId === 'atomic-sleep-rt-only') assert.match(il.outcome, /Invalid wait context|invalid context/);
  }
});
