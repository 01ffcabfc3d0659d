// SARIF 2.1.0 output validated against the official schema (shipped by @microsoft/jest-sarif as
// sarif-2.1.0-rtm.5.json, a draft-04 schema: its root `id` becomes ajv 8's `$id`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSarif, FINGERPRINT_KEY } from '../../src/render/sarif.js';
import { allChecks } from '../../src/checks/index.js';
import type { CheckMeta } from '../../src/model/index.js';
import { report, rmapFinding } from './sample-report.js';
import { sarifValidator } from './sarif-schema.js';

const META: CheckMeta = {
  id: 'bitlock-unlock-without-release',
  class: 'bitlock',
  severity: 'warning',
  title: 'Bit lock released without release ordering',
  help: 'A hand-rolled bit lock must be released with release semantics (clear_bit_unlock, smp_store_release).',
  docs: ['Documentation/memory-barriers.txt', 'Documentation/atomic_bitops.txt'],
};

test('SARIF of a report with an interleaving, a suppression and a triage drop is valid SARIF 2.1.0', () => {
  const validate = sarifValidator();
  const findings = [
    rmapFinding(),
    rmapFinding({ id: 'ffff000011112222', line: 80, endLine: 82, suppressed: { reason: 'reviewed: mmu_lock held', line: 79 } }),
    rmapFinding({ id: 'eeee000011112222', line: 90, reproduction: { ...rmapFinding().reproduction, interleaving: null }, triage: { outcome: 'drop', reason: 'single writer', model: 'm' } }),
    rmapFinding({ id: 'dddd000011112222', ruleId: 'not-in-registry', severity: 'info', line: 7 }),
  ];
  const log = JSON.parse(renderSarif(report(findings, { notes: ['hunk-only mode'] }), { checks: [META] }));
  const ok = validate(log);
  assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  assert.equal(log.version, '2.1.0');
  const run = log.runs[0];
  const rule = run.tool.driver.rules.find((r: { id: string }) => r.id === 'lockreview/bitlock-unlock-without-release');
  assert.equal(rule.defaultConfiguration.level, 'warning');
  assert.match(rule.help.text, /release semantics/);
  assert.match(rule.help.text, /memory-barriers\.txt/);
  assert.equal(rule.shortDescription.text, META.title);
  // Every result points at a rule descriptor, even for a rule not in the registry.
  for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex].id, r.ruleId);
  const [first, suppressed, dropped, info] = run.results;
  assert.equal(first.partialFingerprints[FINGERPRINT_KEY], 'a1b2c3d4e5f60718');
  assert.equal(first.locations[0].physicalLocation.artifactLocation.uri, 'arch/x86/kvm/mmu/mmu.c');
  assert.equal(first.locations[0].physicalLocation.region.startLine, 42);
  assert.equal(first.locations[0].logicalLocations[0].name, 'kvm_rmap_unlock');
  assert.equal(first.properties.verdict.observation, 'Sometimes');
  assert.match(first.properties.litmus, /exists \(1:r0=0/);
  // The interleaving: one threadFlow per CPU, steps numbered in global order.
  const flows = first.codeFlows[0].threadFlows;
  assert.deepEqual(flows.map((t: { id: string }) => t.id), ['CPU0', 'CPU1']);
  assert.deepEqual(flows[0].locations.map((l: { executionOrder: number }) => l.executionOrder), [1, 2]);
  assert.deepEqual(flows[1].locations.map((l: { executionOrder: number }) => l.executionOrder), [3, 4]);
  assert.equal(flows[0].locations[1].location.physicalLocation.region.startLine, 42);
  assert.equal(suppressed.suppressions[0].kind, 'inSource');
  assert.equal(suppressed.suppressions[0].justification, 'reviewed: mmu_lock held');
  assert.equal(suppressed.locations[0].physicalLocation.region.endLine, 82);
  assert.equal(dropped.suppressions[0].kind, 'external');
  assert.equal(dropped.codeFlows, undefined);
  assert.equal(info.level, 'note');
  assert.equal(run.invocations[0].toolExecutionNotifications[0].message.text, 'hunk-only mode');
});

test('SARIF rules default to the check registry and an empty report is still valid', () => {
  const validate = sarifValidator();
  const log = JSON.parse(renderSarif(report([])));
  assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  const ids = log.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
  assert.deepEqual(ids, allChecks().map((c) => `lockreview/${c.meta.id}`));
  for (const r of log.runs[0].tool.driver.rules) assert.ok(r.help.text.length > 0, `${r.id} has help`);
  assert.deepEqual(log.runs[0].results, []);
});

test('the schema check is not vacuous: a result without a message is rejected', () => {
  const validate = sarifValidator();
  const log = JSON.parse(renderSarif(report([rmapFinding()]), { checks: [META] }));
  delete log.runs[0].results[0].message;
  assert.equal(validate(log), false);
});
