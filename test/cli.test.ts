import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runCli, ROOT } from './helpers/cli.js';

test('--version prints the package version', () => {
  const r = runCli(['--version']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')).version);
});

test('unknown option is a usage error: exit 2, one line on stderr, nothing on stdout', () => {
  const r = runCli(['check', '--no-such-option', 'x']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /unknown option/);
});

test('bad --format names the option and exits 2', () => {
  const r = runCli(['check', '--format', 'xml', 'README.md']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /--format/);
});
