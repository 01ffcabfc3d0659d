// Workflow-command annotations: at most 10 per type per step, errors first, properties escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotations, getInput, readInputs } from '../../src/doors/action.js';
import { rmapFinding } from '../render/sample-report.js';

test('annotations keep GitHub\'s 10-per-type limit and escape what the runner would misread', () => {
  const warnings = Array.from({ length: 25 }, (_, i) => rmapFinding({ id: `w${i}`, line: i + 1, endLine: i + 1 }));
  const errors = Array.from({ length: 3 }, (_, i) => rmapFinding({ id: `e${i}`, severity: 'error', line: 100 + i, endLine: 102 + i }));
  const infos = [rmapFinding({ id: 'i0', severity: 'info', file: 'a,b:c.c', message: 'two\nlines 100%' })];
  const { lines, omitted } = annotations([...warnings, ...errors, ...infos]);
  assert.equal(lines.filter((l) => l.startsWith('::error ')).length, 3);
  assert.equal(lines.filter((l) => l.startsWith('::warning ')).length, 10);
  assert.equal(lines.filter((l) => l.startsWith('::notice ')).length, 1);
  assert.equal(omitted, 15);
  assert.ok(lines[0]!.startsWith('::error file=arch/x86/kvm/mmu/mmu.c,line=100,endLine=102,title=lockreview/bitlock-unlock-without-release::'));
  assert.equal(lines.at(-1), '::notice file=a%2Cb%3Ac.c,line=42,title=lockreview/bitlock-unlock-without-release::two%0Alines 100%25');
});

test('inputs: INPUT_<NAME> as the runner sets them; bad values name the input', () => {
  assert.equal(getInput({ 'INPUT_GITHUB-TOKEN': ' t0k ' }, 'github-token'), 't0k');
  const i = readInputs({ 'INPUT_FAIL-ON': 'error', INPUT_MODE: 'both', GITHUB_TOKEN: 'from-env' });
  assert.deepEqual([i.failOn, i.mode, i.token, i.sarifFile, i.llmUrl], ['error', 'both', 'from-env', 'lockreview.sarif', null]);
  assert.throws(() => readInputs({ 'INPUT_FAIL-ON': 'sometimes' }), /unknown level 'sometimes'/);
});
