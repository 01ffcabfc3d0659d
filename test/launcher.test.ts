// bin/lockreview.js runs the CommonJS bundle through a V8 code cache kept under the temp folder
// (where require() loads ES modules), else the ES module bundle. Both must give the same report, and
// the cache must be written by a first run, used by the next and replaced when V8 rejects it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, ROOT } from './helpers/cli.js';

const requireLoadsEsm = (process.features as { require_module?: boolean }).require_module === true;

/** The JSON report without its timing, which differs from run to run. */
function reportOf(stdout: string): unknown {
  const r = JSON.parse(stdout) as { stats: { ms?: number } };
  delete r.stats.ms;
  return r;
}

test('launcher: the code-cached CommonJS bundle and the ES module bundle give the same report; the cache is made, used and replaced', { skip: !requireLoadsEsm && 'this Node cannot require() ES modules: the launcher uses the ES module bundle only' }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lr-launcher-'));
  try {
    const env = { TMPDIR: tmp, LOCKREVIEW_DEBUG: '1' };
    const args = ['check', '--format', 'json', '--fail-on', 'never', `${ROOT}examples/rmap-bitlock.mbox`];
    const first = runCli(args, { env });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /launcher: CommonJS bundle, code cache absent/);
    assert.match(first.stderr, /launcher: WebAssembly compiled by Liftoff only/);
    const cacheDir = readdirSync(tmp).find((d) => d.startsWith('lockreview-code-cache-'));
    assert.ok(cacheDir, 'the first run writes the code cache');
    const entries = readdirSync(join(tmp, cacheDir)).filter((f) => f.endsWith('.bin'));
    assert.equal(entries.length, 1);

    const second = runCli(args, { env });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /code cache accepted/);
    assert.deepEqual(reportOf(second.stdout), reportOf(first.stdout));
    assert.equal(JSON.parse(second.stdout).findings.length, 1, 'the example has its one finding');

    // Data V8 cannot use (another build, another V8): rejected, the run unharmed, the data rewritten.
    writeFileSync(join(tmp, cacheDir, entries[0]!), 'not V8 code-cache data');
    const third = runCli(args, { env });
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stderr, /code cache rejected/);
    assert.deepEqual(reportOf(third.stdout), reportOf(first.stdout));
    assert.match(runCli(args, { env }).stderr, /code cache accepted/);

    const esm = runCli(args, { env: { ...env, LOCKREVIEW_NO_CODE_CACHE: '1' } });
    assert.equal(esm.status, 0, esm.stderr);
    assert.match(esm.stderr, /launcher: ES module bundle/);
    assert.deepEqual(reportOf(esm.stdout), reportOf(first.stdout));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('launcher: scan keeps V8\'s WebAssembly tiering; a bare --version reads the small ES module entry', () => {
  const scan = runCli(['scan', '--format', 'json', '--fail-on', 'never', `${ROOT}test/fixtures`], { env: { LOCKREVIEW_DEBUG: '1' } });
  assert.equal(scan.status, 0, scan.stderr);
  assert.match(scan.stderr, /launcher: (CommonJS|ES module) bundle/);
  assert.doesNotMatch(scan.stderr, /Liftoff only/);
  const version = runCli(['--version'], { env: { LOCKREVIEW_DEBUG: '1' } });
  assert.equal(version.status, 0);
  assert.match(version.stderr, /launcher: ES module bundle/);
});

test('launcher: a cache folder others can write (the temp folder is shared) is neither read nor written', { skip: (!requireLoadsEsm || process.getuid === undefined) && 'needs require() of ES modules and POSIX users' }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lr-launcher-'));
  try {
    const planted = join(tmp, `lockreview-code-cache-${process.getuid!()}`);
    mkdirSync(planted);
    chmodSync(planted, 0o777);
    const r = runCli(['check', '--format', 'json', '--fail-on', 'never', `${ROOT}examples/rmap-bitlock.mbox`], { env: { TMPDIR: tmp, LOCKREVIEW_DEBUG: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /no code cache: .* is not a folder of this user's that only it can write/);
    assert.equal(JSON.parse(r.stdout).findings.length, 1);
    assert.deepEqual(readdirSync(planted), [], 'nothing written into the shared folder');
    // The rules cache is guarded the same way.
    const rules = join(tmp, `lockreview-rules-cache-${process.getuid!()}`);
    assert.ok(existsSync(rules));
    rmSync(rules, { recursive: true });
    mkdirSync(rules);
    chmodSync(rules, 0o777);
    assert.equal(runCli(['check', '--format', 'json', '--fail-on', 'never', `${ROOT}examples/rmap-bitlock.mbox`], { env: { TMPDIR: tmp } }).status, 0);
    assert.deepEqual(readdirSync(rules), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('launcher and rules cache: only the newest entries are kept (every rebuild or rules edit adds some)', { skip: !requireLoadsEsm && 'this Node cannot require() ES modules: the launcher uses the ES module bundle only' }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'lr-launcher-'));
  try {
    const uid = process.getuid?.() ?? 'u';
    const code = join(tmp, `lockreview-code-cache-${uid}`);
    const rules = join(tmp, `lockreview-rules-cache-${uid}`);
    mkdirSync(code, { mode: 0o700 });
    mkdirSync(rules, { mode: 0o700 });
    const old = new Date(Date.now() - 3600_000);
    for (let i = 0; i < 30; i++) {
      writeFileSync(join(code, `old${i}.bin`), 'x');
      utimesSync(join(code, `old${i}.bin`), old, old);
    }
    for (let i = 0; i < 230; i++) {
      writeFileSync(join(rules, `old${i}.json`), 'null');
      utimesSync(join(rules, `old${i}.json`), old, old);
    }
    const r = runCli(['check', '--format', 'json', '--fail-on', 'never', `${ROOT}examples/rmap-bitlock.mbox`], { env: { TMPDIR: tmp, LOCKREVIEW_DEBUG: '1' } });
    assert.equal(r.status, 0, r.stderr);
    const codeLeft = readdirSync(code).filter((f) => f.endsWith('.bin'));
    assert.equal(codeLeft.length, 16);
    assert.ok(codeLeft.some((f) => !f.startsWith('old')), 'the new entry is kept');
    const rulesLeft = readdirSync(rules).filter((f) => f.endsWith('.json'));
    assert.equal(rulesLeft.length, 200);
    assert.ok(rulesLeft.filter((f) => !f.startsWith('old')).length >= 10, 'the entries this run wrote are kept');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
