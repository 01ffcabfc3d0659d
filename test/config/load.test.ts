// Configuration: each source (--config FILE, .lockreview.toml / .json at the repository root, git
// config lockreview.*), their precedence, and bad keys -> exit 2 naming the key. Real git
// repositories; the user's global git config is kept out (GIT_CONFIG_GLOBAL points at an empty file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { loadConfigFor } from '../../src/config/load.js';
import { applyConfig } from '../../src/config/index.js';
import { InputError } from '../../src/errors.js';
import type { Finding } from '../../src/model/index.js';
import { runCli } from '../helpers/cli.js';

const globalConfig = join(mkdtempSync(join(tmpdir(), 'lockreview-cfg-home-')), 'gitconfig');
writeFileSync(globalConfig, '');
process.env.GIT_CONFIG_GLOBAL = globalConfig;
process.env.GIT_CONFIG_NOSYSTEM = '1';

async function repo(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-cfg-'));
  const git = simpleGit(dir);
  await git.init();
  return dir;
}

async function gitConfig(dir: string, ...pairs: Array<[string, string]>): Promise<void> {
  const git = simpleGit(dir);
  for (const [k, v] of pairs) await git.raw(['config', '--add', k, v]);
}

function finding(over: Partial<Finding>): Finding {
  return {
    id: 'f',
    ruleId: 'bitlock-unlock-without-release',
    class: 'bitlock',
    severity: 'error',
    file: 'arch/x86/kvm/mmu/mmu.c',
    line: 10,
    endLine: 10,
    function: null,
    patch: 1,
    introduced: true,
    message: 'm',
    reproduction: { interleaving: null, litmus: null, verdict: null, chain: null, splat: null, configs: null },
    ...over,
  };
}

test('no configuration anywhere: the defaults', async () => {
  const dir = await repo();
  const c = await loadConfigFor({ repoRoot: dir });
  assert.equal(c.source, 'defaults');
  assert.equal(c.failOn, 'warning');
  assert.deepEqual(c.rules, {});
});

test('--config FILE (TOML): every section lands in the Config', async () => {
  const dir = await repo();
  const file = join(dir, 'my.toml');
  writeFileSync(
    file,
    `failOn = "error"
strict = true
include = ["arch/x86/kvm/**"]
exclude = ["**/test_*.c"]
disable = ["srcu"]
severity = { "bitlock-unlock-without-release" = "info" }

[[facts.lockOrders]]
before = "kvm->slots_lock"
after = "kvm->mmu_lock"
source = "Documentation/virt/kvm/locking.rst"

[[facts.primitives]]
names = ["my_bit_lock", "my_bit_lock_nested"]
family = "mydriver"
op = "lock"
ordering = "acquire"
kind = "bit_spinlock"
lockArg = 0

[facts.wrappers]
dm_get_live_table = "srcu_read_lock"

[llm]
url = "http://127.0.0.1:8080/v1"
model = "small"
keyEnv = "MY_LLM_KEY"
`,
  );
  const c = await loadConfigFor({ configPath: file, repoRoot: dir });
  assert.equal(c.source, file);
  assert.equal(c.failOn, 'error');
  assert.equal(c.strict, true);
  assert.deepEqual(c.include, ['arch/x86/kvm/**']);
  assert.deepEqual(c.exclude, ['**/test_*.c']);
  assert.deepEqual(c.rules, { srcu: { enabled: false }, 'bitlock-unlock-without-release': { severity: 'info' } });
  assert.deepEqual(c.facts.lockOrders, [{ before: 'kvm->slots_lock', after: 'kvm->mmu_lock', source: 'Documentation/virt/kvm/locking.rst' }]);
  assert.deepEqual(
    c.facts.primitives?.map((p) => [p.name, p.op, p.kind, p.lockArg]),
    [
      ['my_bit_lock', 'lock', 'bit_spinlock', 0],
      ['my_bit_lock_nested', 'lock', 'bit_spinlock', 0],
    ],
  );
  assert.deepEqual(c.facts.wrappers, { dm_get_live_table: 'srcu_read_lock' });
  assert.equal(c.llm.url, 'http://127.0.0.1:8080/v1');
  assert.equal(c.llm.keyEnv, 'MY_LLM_KEY');
  // The rules really act on findings: srcu off, bitlock downgraded, paths filtered.
  const kept = applyConfig(
    [finding({}), finding({ ruleId: 'srcu-sync-in-read-side', class: 'srcu' }), finding({ file: 'mm/rmap.c' }), finding({ file: 'arch/x86/kvm/mmu/test_x.c' })],
    c,
  );
  assert.deepEqual(kept.map((f) => [f.ruleId, f.severity, f.file]), [['bitlock-unlock-without-release', 'info', 'arch/x86/kvm/mmu/mmu.c']]);
});

test('.lockreview.json at the repository root is found', async () => {
  const dir = await repo();
  writeFileSync(join(dir, '.lockreview.json'), JSON.stringify({ failOn: 'info', disable: ['lock-order'] }));
  const c = await loadConfigFor({ repoRoot: dir });
  assert.equal(c.failOn, 'info');
  assert.deepEqual(c.rules, { 'lock-order': { enabled: false } });
  assert.match(c.source, /\.lockreview\.json$/);
});

test('without a repoRoot (lockreview check), the repository around the current directory is used', async () => {
  const dir = await repo();
  writeFileSync(join(dir, '.lockreview.toml'), 'failOn = "sometimes"\n');
  const bad = runCli(['check', '-'], { cwd: dir, input: '' });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /\.lockreview\.toml: failOn: /);
  const c = await loadConfigFor({ repoRoot: null }).catch((e: unknown) => e);
  assert.ok(!(c instanceof InputError), 'the test process itself does not run inside that repository');
});

test('git config lockreview.*: the same vocabulary, multi-valued keys accumulate', async () => {
  const dir = await repo();
  await gitConfig(
    dir,
    ['lockreview.failOn', 'error'],
    ['lockreview.disable', 'srcu'],
    ['lockreview.disable', 'seqcount-write-without-irq-off, lock-order'],
    ['lockreview.severity', 'bitlock=info'],
    ['lockreview.exclude', 'tools/**'],
    ['lockreview.lockOrder', 'kvm->lock -> kvm->slots_lock'],
    ['lockreview.wrapper', 'my_get_table=srcu_read_lock'],
    ['lockreview.llm.url', 'http://127.0.0.1:9/v1'],
    ['lockreview.llm.keyEnv', 'LLM_KEY'],
    ['lockreview.strict', 'yes'],
  );
  const c = await loadConfigFor({ repoRoot: dir });
  assert.equal(c.source, 'git config lockreview.*');
  assert.equal(c.failOn, 'error');
  assert.equal(c.strict, true);
  assert.deepEqual(c.rules, {
    srcu: { enabled: false },
    'seqcount-write-without-irq-off': { enabled: false },
    'lock-order': { enabled: false },
    bitlock: { severity: 'info' },
  });
  assert.deepEqual(c.exclude, ['tools/**']);
  assert.deepEqual(c.facts.lockOrders?.map((o) => [o.before, o.after]), [['kvm->lock', 'kvm->slots_lock']]);
  assert.deepEqual(c.facts.wrappers, { my_get_table: 'srcu_read_lock' });
  assert.equal(c.llm.url, 'http://127.0.0.1:9/v1');
  assert.equal(c.llm.keyEnv, 'LLM_KEY');
});

test('precedence: --config over the repository file over git config, key by key', async () => {
  const dir = await repo();
  await gitConfig(dir, ['lockreview.failOn', 'error'], ['lockreview.disable', 'srcu'], ['lockreview.llm.model', 'from-git']);
  writeFileSync(join(dir, '.lockreview.toml'), 'failOn = "info"\nenable = ["srcu"]\n');
  const repoLevel = await loadConfigFor({ repoRoot: dir });
  assert.equal(repoLevel.failOn, 'info', 'the repository file beats git config');
  assert.deepEqual(repoLevel.rules.srcu, { enabled: true }, "the file's enable overrides git config's disable");
  assert.equal(repoLevel.llm.model, 'from-git', 'keys the file does not set keep the git config value');
  assert.equal(repoLevel.source, `git config lockreview.* + ${join(dir, '.lockreview.toml')}`);

  const explicit = join(dir, 'ci.toml');
  writeFileSync(explicit, 'failOn = "never"\n');
  const withFlag = await loadConfigFor({ configPath: explicit, repoRoot: dir });
  assert.equal(withFlag.failOn, 'never', '--config beats both');
  assert.deepEqual(withFlag.rules.srcu, { enabled: false }, '--config takes the place of the repository file, not of git config');
});

test('both .lockreview.toml and .lockreview.json: refused, not guessed', async () => {
  const dir = await repo();
  writeFileSync(join(dir, '.lockreview.toml'), '');
  writeFileSync(join(dir, '.lockreview.json'), '{}');
  await assert.rejects(loadConfigFor({ repoRoot: dir }), (e: unknown) => e instanceof InputError && /keep one/.test(e.message));
});

test('bad keys and values: exit 2, one line naming the source and the key', async () => {
  const dir = await repo();
  const cases: Array<[string, string, RegExp]> = [
    ['typo.toml', 'failon = "error"\n', /typo\.toml: unknown key 'failon'/],
    ['type.toml', 'failOn = 3\n', /type\.toml: failOn: /],
    ['nested.toml', '[llm]\nmodle = "x"\n', /nested\.toml: unknown key 'llm\.modle'/],
    ['secret.toml', '[llm]\nkey = "sk-123"\n', /secret\.toml: unknown key 'llm\.key': the key itself never goes in configuration/],
    ['fact.toml', '[[facts.lockOrders]]\nbefore = "a"\nafter = "b"\n', /fact\.toml: facts\.lockOrders\[0\]\.source: /],
    ['prim.toml', '[[facts.primitives]]\nname = "x"\nfamily = "f"\nop = "lock"\nordering = "acquire"\nlockarg = 0\n', /prim\.toml: unknown key 'facts\.primitives\[0\]\.lockarg'/],
    ['sev.json', '{"severity": {"bitlock": "fatal"}}', /sev\.json: severity\.bitlock: /],
    ['broken.toml', 'failOn = \n', /broken\.toml: invalid TOML \(line 1/],
    ['broken.json', '{"failOn": ', /broken\.json: invalid JSON/],
  ];
  for (const [name, text, re] of cases) {
    writeFileSync(join(dir, name), text);
    const r = runCli(['presend', '--config', name], { cwd: dir });
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, '', name);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line: ${r.stderr}`);
    assert.match(r.stderr, re, name);
  }
  const missing = runCli(['presend', '--config', 'nope.toml'], { cwd: dir });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope\.toml: cannot read/);
});

test('bad git config lockreview.* keys: exit 2 naming the git key', async () => {
  const cases: Array<[[string, string], RegExp]> = [
    [['lockreview.failOn', 'sometimes'], /git config: lockreview\.failOn: /],
    [['lockreview.colour', 'red'], /git config: unknown key 'lockreview\.colour'/],
    [['lockreview.severity', 'bitlock'], /git config: lockreview\.severity: expected '<rule>=<level>'/],
    [['lockreview.llm.url', 'not a url'], /git config: lockreview\.llm\.url: /],
    [['lockreview.strict', 'maybe'], /git config: lockreview\.strict: expected a boolean/],
  ];
  for (const [pair, re] of cases) {
    const dir = await repo();
    await gitConfig(dir, pair);
    const r = runCli(['presend'], { cwd: dir });
    assert.equal(r.status, 2, `${pair[0]}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
});
