// `lockreview presend` on a real repository: the bit-lock bug is found on the right commit and line,
// from git objects (the dirty work tree holds a fixed version and must not matter), and nothing in
// the repository changes: work tree, index, HEAD, branches, stash, worktrees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/model/index.js';
import { runCli } from '../helpers/cli.js';
import { BUGGY_UNLOCK, FIXED_UNLOCK, TABLE, OTHER, lineOf, lockCode, makeDemoRepo, readText, repoState, writeFile } from './demo-repo.js';

const globalConfig = join(mkdtempSync(join(tmpdir(), 'lockreview-presend-home-')), 'gitconfig');
writeFileSync(globalConfig, '');
const env = { GIT_CONFIG_GLOBAL: globalConfig, GIT_CONFIG_NOSYSTEM: '1' };
process.env.GIT_CONFIG_GLOBAL = globalConfig;
process.env.GIT_CONFIG_NOSYSTEM = '1';

function presend(dir: string, ...args: string[]) {
  return runCli(['presend', ...args], { cwd: dir, env });
}

function report(stdout: string): Report {
  return JSON.parse(stdout) as Report;
}

test('finds the bit-lock release on the commit and line that introduced it; the repository is untouched', async () => {
  const repo = await makeDemoRepo();
  // Dirty everything presend could touch: a fixed version in the work tree, a staged file, an
  // untracked file, a stash entry.
  await writeFile(repo.dir, 'scratch.txt', 'stash me\n');
  await repo.git.add('scratch.txt');
  await repo.git.stash(['push', '-q', '-m', 'keep me']);
  await writeFile(repo.dir, TABLE, readText(repo.dir, TABLE).replace(BUGGY_UNLOCK, FIXED_UNLOCK));
  await writeFile(repo.dir, OTHER, 'obj-y += table.o other.o\n');
  await repo.git.add(OTHER);
  await writeFile(repo.dir, 'notes.txt', 'untracked\n');
  const before = await repoState(repo.git);

  const json = presend(repo.dir, '--format', 'json');
  assert.equal(json.status, 1, json.stderr);
  const r = report(json.stdout);
  const bug = r.findings.filter((f) => f.ruleId === 'bitlock-unlock-without-release');
  assert.equal(bug.length, 1, JSON.stringify(r.findings.map((f) => [f.ruleId, f.file, f.line])));
  const committed = await repo.git.show([`${repo.commits[1]}:${TABLE}`]);
  assert.deepEqual([bug[0]!.file, bug[0]!.line, bug[0]!.patch, bug[0]!.introduced], [TABLE, lineOf(committed, BUGGY_UNLOCK), 2, true]);
  assert.equal(r.series[0]!.patches.length, 3);
  assert.equal(r.series[0]!.patches[1]!.subject, 'demo: add a bit lock to demo heads');
  assert.match(r.series[0]!.notes.join('\n'), /no upstream branch: reviewing the commits since the merge base with main/);

  const text = presend(repo.dir);
  assert.equal(text.status, 1);
  assert.match(text.stdout, new RegExp(`^${TABLE}:${lineOf(committed, BUGGY_UNLOCK)}: warning: .*\\[bitlock-unlock-without-release\\]$`, 'm'));
  assert.match(text.stdout, /== patch 2\/3: demo: add a bit lock to demo heads/);
  assert.match(text.stdout, /CPU0\s+CPU1/, 'the reproduction follows');

  assert.equal(await repoState(repo.git), before, 'work tree, index, HEAD, branches, stash and worktrees unchanged');
});

test('a clean series exits 0; --fail-on and lockreview.failOn decide the status', async () => {
  const clean = await makeDemoRepo({ unlock: FIXED_UNLOCK });
  const r = presend(clean.dir, '--format', 'json');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(report(r.stdout).findings.filter((f) => f.class === 'bitlock'), []);

  const buggy = await makeDemoRepo();
  assert.equal(presend(buggy.dir, '--fail-on', 'error').status, 0, 'a warning does not reach --fail-on error');
  await buggy.git.addConfig('lockreview.failOn', 'never');
  assert.equal(presend(buggy.dir).status, 0, 'git config lockreview.failOn=never');
  assert.equal(presend(buggy.dir, '--fail-on', 'warning').status, 1, '--fail-on beats the configuration');
});

test('ranges: @{upstream} when set, an explicit A..B, one revision R meaning R..HEAD', async () => {
  const repo = await makeDemoRepo();
  await repo.git.raw(['branch', '--set-upstream-to=main']);
  const up = presend(repo.dir, '--format', 'json');
  assert.equal(up.status, 1);
  assert.match(report(up.stdout).series[0]!.notes.join('\n'), /reviewing @\{upstream\}\.\.HEAD \(upstream main\)/);
  assert.equal(report(up.stdout).series[0]!.patches.length, 3);

  const last = presend(repo.dir, '--format', 'json', 'HEAD~1..HEAD');
  assert.equal(last.status, 0, 'the last commit alone does not add the lock: a pre-existing problem does not block');
  assert.equal(report(last.stdout).series[0]!.patches.length, 1);
  assert.ok(report(last.stdout).findings.every((f) => !f.introduced));

  const since = presend(repo.dir, '--format', 'json', repo.commits[0]!);
  assert.equal(since.status, 1);
  const f = report(since.stdout).findings.find((x) => x.ruleId === 'bitlock-unlock-without-release');
  assert.equal(f?.patch, 1, 'patch numbers count from the range start');
});

test('--worktree reviews uncommitted changes as a last patch, read from disk', async () => {
  const repo = await makeDemoRepo({ topic: false });
  await repo.git.checkout(['-q', '-b', 'topic']);
  const before = await repoState(repo.git);
  const withBug = readText(repo.dir, TABLE) + lockCode(BUGGY_UNLOCK);
  await writeFile(repo.dir, TABLE, withBug);
  // A new file nobody has `git add`ed yet is part of the work tree's change too.
  const extra = 'drivers/demo/extra.c';
  const extraText = '#include <linux/bitops.h>\n\nstruct demo_head {\n\tunsigned long val;\n};\n' + lockCode(BUGGY_UNLOCK);
  await writeFile(repo.dir, extra, extraText);
  await writeFile(repo.dir, 'drivers/demo/notes.txt', 'not C: left out\n');
  const dirty = await repoState(repo.git);
  assert.notEqual(dirty, before);

  const without = presend(repo.dir, '--format', 'json');
  assert.equal(without.status, 0, 'no commits and no --worktree: nothing to review');
  assert.match(report(without.stdout).series[0]!.notes.join('\n'), /no commits in/);

  const r = presend(repo.dir, '--format', 'json', '--worktree');
  assert.equal(r.status, 1, r.stderr);
  const rep = report(r.stdout);
  const p = rep.series[0]!.patches;
  assert.equal(p[p.length - 1]!.subject, 'uncommitted changes (work tree)');
  const found = rep.findings.filter((x) => x.ruleId === 'bitlock-unlock-without-release').map((x) => [x.file, x.line, x.patch]);
  assert.deepEqual(found.sort(), [
    [extra, lineOf(extraText, BUGGY_UNLOCK), p.length],
    [TABLE, lineOf(withBug, BUGGY_UNLOCK), p.length],
  ]);
  assert.match(rep.series[0]!.notes.join('\n'), /1 untracked file other than \*\.c\/\*\.h not included/);
  assert.equal(await repoState(repo.git), dirty, 'the dirty state is left exactly as it was');
});

test('suppression in the code: the finding is kept but not counted; --strict reports unused ones', async () => {
  const repo = await makeDemoRepo({ above: '/* lockreview: ignore bitlock-unlock-without-release -- demo heads are only used on x86 (TSO) */' });
  const r = presend(repo.dir, '--format', 'json');
  assert.equal(r.status, 0, r.stdout);
  const f = report(r.stdout).findings.find((x) => x.ruleId === 'bitlock-unlock-without-release');
  const committed = await repo.git.show([`${repo.commits[1]}:${TABLE}`]);
  assert.deepEqual(f?.suppressed, { reason: 'demo heads are only used on x86 (TSO)', line: lineOf(committed, 'lockreview: ignore') });

  const stale = await makeDemoRepo({ unlock: FIXED_UNLOCK, above: '// lockreview: ignore bitlock-unlock-without-release -- left over' });
  assert.equal(presend(stale.dir).status, 0, 'an unused suppression is silent by default');
  const strict = presend(stale.dir, '--strict');
  assert.equal(strict.status, 1);
  assert.match(strict.stdout, /\[lockreview-unused-suppression\]/);

  const bare = await makeDemoRepo({ above: '// lockreview: ignore bitlock-unlock-without-release' });
  const noReason = presend(bare.dir);
  assert.equal(noReason.status, 1, `a suppression without a reason is a warning: ${noReason.stderr}`);
  assert.match(noReason.stdout, /gives no reason.*\[lockreview-suppression-without-reason\]/);
});

test('bad input: outside a repository, an unknown revision: exit 2, one line', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'lockreview-norepo-'));
  const a = presend(outside);
  assert.equal(a.status, 2);
  assert.match(a.stderr, /not inside a git work tree/);
  const repo = await makeDemoRepo();
  const b = presend(repo.dir, 'no-such-branch..HEAD');
  assert.equal(b.status, 2);
  assert.equal(b.stderr.trim().split('\n').length, 1);
  assert.match(b.stderr, /unknown revision 'no-such-branch'/);
  assert.equal(b.stdout, '');
});

test('renames, deletions and binary files in the range: reviewed, a renamed file keeps its history', async () => {
  const repo = await makeDemoRepo();
  await repo.git.raw(['mv', TABLE, 'drivers/demo/heads.c']);
  await writeFile(repo.dir, 'drivers/demo/heads.c', readText(repo.dir, 'drivers/demo/heads.c') + '/* renamed */\n');
  await writeFile(repo.dir, 'drivers/demo/firmware.bin', '\0\x01\x02binary');
  await repo.git.add(['-A', 'drivers/demo']);
  await repo.git.commit('demo: rename table.c, add firmware', undefined, { '--no-verify': null });
  await repo.git.rm([OTHER]);
  await repo.git.commit('demo: drop the Makefile', undefined, { '--no-verify': null });
  const r = presend(repo.dir, '--format', 'json');
  assert.equal(r.status, 1, r.stderr);
  const rep = report(r.stdout);
  assert.deepEqual(
    rep.series[0]!.patches.slice(3).map((p) => [p.subject, p.files.sort()]),
    [
      ['demo: rename table.c, add firmware', ['drivers/demo/firmware.bin', 'drivers/demo/heads.c']],
      ['demo: drop the Makefile', [OTHER]],
    ],
  );
  const bug = rep.findings.filter((f) => f.ruleId === 'bitlock-unlock-without-release');
  assert.deepEqual(bug.filter((f) => f.introduced).map((f) => [f.file, f.patch]), [[TABLE, 2]], 'introduced once, by the commit that added it');
  assert.ok(bug.filter((f) => !f.introduced).every((f) => f.file === 'drivers/demo/heads.c'), 'after the rename it is pre-existing');
});
