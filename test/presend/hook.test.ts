// `lockreview install-hook`: git's sendemail-validate hook, chained with a hook already there (in
// .git/hooks and under core.hooksPath), run the way git send-email runs it (cwd = the work tree,
// GIT_DIR set, the patch file as $1) on real `git format-patch` output; uninstall restores the
// original hook byte for byte. Also a real `git send-email --dry-run` when git-send-email exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, BIN } from '../helpers/cli.js';
import { makeDemoRepo, type DemoRepo } from './demo-repo.js';

const globalConfig = join(mkdtempSync(join(tmpdir(), 'lockreview-hook-home-')), 'gitconfig');
writeFileSync(globalConfig, '');
const env = { GIT_CONFIG_GLOBAL: globalConfig, GIT_CONFIG_NOSYSTEM: '1' };
process.env.GIT_CONFIG_GLOBAL = globalConfig;
process.env.GIT_CONFIG_NOSYSTEM = '1';

/** A pre-existing hook: records each patch it saw in `log`, then exits with `status`. */
function existingHook(log: string, status = 0): string {
  return `#!/bin/sh\n# the user's own validation\necho "$1" >> '${log}'\nexit ${status}\n`;
}

function install(dir: string, ...args: string[]) {
  return runCli(['install-hook', ...args], { cwd: dir, env });
}

/** git format-patch of the topic branch: [demo_empty, the bit lock (bad), demo_count]. */
function formatPatches(repo: DemoRepo): string[] {
  const out = mkdtempSync(join(tmpdir(), 'lockreview-patches-'));
  const r = spawnSync('git', ['format-patch', '-q', '-o', out, 'main..topic'], { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return readdirSync(out).sort().map((n) => join(out, n));
}

/** Runs the hook as git send-email does: cwd = the work tree, GIT_DIR set, the patch as $1. */
function runHook(repo: DemoRepo, hook: string, patch: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(hook, [patch], { cwd: repo.dir, encoding: 'utf8', env: { ...process.env, ...env, GIT_DIR: join(repo.dir, '.git'), ...extraEnv } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function snapshot(path: string): { text: string; mode: number } {
  return { text: readFileSync(path, 'utf8'), mode: statSync(path).mode };
}

test('an existing .git/hooks hook is chained: both run; a bad patch is refused, a clean one passes; uninstall restores it exactly', async () => {
  const repo = await makeDemoRepo();
  const hooks = join(repo.dir, '.git', 'hooks');
  const hook = join(hooks, 'sendemail-validate');
  const log = join(repo.dir, '.git', 'user-hook.log');
  writeFileSync(hook, existingHook(log));
  chmodSync(hook, 0o750);
  const original = snapshot(hook);

  const r = install(repo.dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /moved the existing hook to .*sendemail-validate\.lockreview-chained/);
  assert.deepEqual(snapshot(`${hook}.lockreview-chained`), original, 'moved aside unchanged');
  assert.match(readFileSync(hook, 'utf8'), /lockreview-hook/);

  const [clean, bad] = formatPatches(repo);
  const ok = runHook(repo, hook, clean!);
  assert.equal(ok.status, 0, ok.stderr);
  const refused = runHook(repo, hook, bad!);
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /drivers\/demo\/table\.c:\d+: warning: .*\[bitlock-unlock-without-release\]/, 'the findings are printed');
  assert.match(refused.stderr, /not sending .*0002-demo-add-a-bit-lock-to-demo-heads\.patch/);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [clean, bad], 'the original hook ran first, for each patch');

  const again = install(repo.dir);
  assert.equal(again.status, 0);
  assert.match(again.stdout, /updated/, 'a second install updates ours and keeps the chain');
  assert.deepEqual(snapshot(`${hook}.lockreview-chained`), original);

  const u = install(repo.dir, '--uninstall');
  assert.equal(u.status, 0, u.stderr);
  assert.deepEqual(snapshot(hook), original, 'content and mode restored');
  assert.equal(existsSync(`${hook}.lockreview-chained`), false);
  assert.equal(install(repo.dir, '--uninstall').status, 2, 'nothing left to uninstall');
});

test('core.hooksPath is honoured; a refusing original hook stops the send before lockreview runs', async () => {
  const repo = await makeDemoRepo();
  // (simple-git refuses to set core.hooksPath; plain git does it.)
  assert.equal(spawnSync('git', ['config', 'core.hooksPath', '.githooks'], { cwd: repo.dir }).status, 0);
  const dir = join(repo.dir, '.githooks');
  mkdirSync(dir);
  const hook = join(dir, 'sendemail-validate');
  const log = join(repo.dir, 'user-hook.log');
  writeFileSync(hook, existingHook(log));
  chmodSync(hook, 0o755);
  const original = snapshot(hook);

  const r = install(repo.dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(join(repo.dir, '.git', 'hooks', 'sendemail-validate')), false, 'not in .git/hooks');
  assert.match(readFileSync(hook, 'utf8'), /lockreview-hook/);

  const [clean, bad] = formatPatches(repo);
  const ok = runHook(repo, hook, clean!);
  assert.equal(ok.status, 0, ok.stderr);
  const refused = runHook(repo, hook, bad!);
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /\[bitlock-unlock-without-release\]/);
  assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 2, 'both hooks ran');

  // The user's hook says no: its status wins and lockreview is not consulted.
  writeFileSync(`${hook}.lockreview-chained`, existingHook(log, 3));
  const stopped = runHook(repo, hook, clean!);
  assert.equal(stopped.status, 3);
  assert.doesNotMatch(stopped.stderr, /lockreview/);
  writeFileSync(`${hook}.lockreview-chained`, original.text);

  assert.equal(install(repo.dir, '--uninstall').status, 0);
  assert.deepEqual(snapshot(hook), original);
});

test('no hook before: install then uninstall leaves the hooks directory as it was; --fail-on is recorded; LOCKREVIEW_BIN overrides', async () => {
  const repo = await makeDemoRepo();
  const hooks = join(repo.dir, '.git', 'hooks');
  const listing = readdirSync(hooks).sort();
  assert.equal(install(repo.dir, '--fail-on', 'error').status, 0);
  const hook = join(hooks, 'sendemail-validate');
  assert.ok(statSync(hook).mode & 0o111, 'executable');
  const [, bad] = formatPatches(repo);
  const passed = runHook(repo, hook, bad!);
  assert.equal(passed.status, 0, `a warning does not reach the recorded --fail-on error: ${passed.stderr}`);

  // A wrapper standing where the user keeps lockreview: it must be the one the hook runs.
  const wrapDir = mkdtempSync(join(tmpdir(), 'lockreview-bin-'));
  const wrapper = join(wrapDir, 'lockreview');
  const seen = join(wrapDir, 'seen');
  writeFileSync(wrapper, `#!/bin/sh\necho "$@" > '${seen}'\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  const viaEnv = runHook(repo, hook, bad!, { LOCKREVIEW_BIN: wrapper });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
  assert.match(readFileSync(seen, 'utf8'), /^check --format text --fail-on error -- .*0002-/);

  assert.equal(install(repo.dir, '--uninstall').status, 0);
  assert.deepEqual(readdirSync(hooks).sort(), listing);
});

test('without a recorded level the repository configuration decides at send time', async () => {
  const repo = await makeDemoRepo();
  assert.equal(install(repo.dir).status, 0);
  const hook = join(repo.dir, '.git', 'hooks', 'sendemail-validate');
  const [cover, bad] = formatPatches(repo);
  const refused = runHook(repo, hook, bad!);
  assert.equal(refused.status, 1, refused.stderr);
  writeFileSync(join(repo.dir, '.lockreview.toml'), 'failOn = "error"\n');
  const passed = runHook(repo, hook, bad!);
  assert.equal(passed.status, 0, `.lockreview.toml failOn = "error": ${passed.stderr}`);
  // A cover letter (no diff) is not a patch to check.
  const coverLetter = cover!.replace(/[^/]*$/, '0000-cover-letter.patch');
  writeFileSync(coverLetter, 'Subject: [PATCH 0/3] demo\n\nThis series adds a bit lock.\n');
  assert.equal(runHook(repo, hook, coverLetter).status, 0);
});

const sendEmail = join(spawnSync('git', ['--exec-path'], { encoding: 'utf8' }).stdout.trim(), 'git-send-email');
const haveSendEmail = existsSync(sendEmail);

test(
  'git send-email --dry-run goes through the real hook',
  { skip: haveSendEmail ? false : 'git send-email is not installed (Debian: apt-get install git-email); the hook was tested by running it as git does' },
  async () => {
    const repo = await makeDemoRepo();
    await repo.git.addConfig('sendemail.validate', 'true');
    assert.equal(install(repo.dir).status, 0);
    const [clean, bad] = formatPatches(repo);
    const send = (patch: string) =>
      spawnSync('git', ['send-email', '--dry-run', '--confirm=never', '--no-annotate', '--suppress-cc=all', '--from=Test Author <test@example.org>', '--to=list@example.org', patch], {
        cwd: repo.dir,
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
    const ok = send(clean!);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Dry-OK|Dry-Sent/);
    const no = send(bad!);
    assert.notEqual(no.status, 0);
    assert.match(no.stderr, /\[bitlock-unlock-without-release\]/);
    assert.doesNotMatch(no.stdout, /Dry-OK|Dry-Sent/, 'nothing was (dry-)sent');
  },
);
