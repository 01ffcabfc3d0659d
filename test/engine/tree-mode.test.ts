// Tree mode end to end: a real git repository, a format-patch series, `lockreview check --tree`.
// The unlock is added by patch 2 far from the lock function, so hunk-only review cannot pair them;
// with the whole post-image file the engine sees both and places the finding on patch 2's line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli } from '../helpers/cli.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

const filler = Array.from({ length: 40 }, (_, i) => `static int filler_${i}(int x)\n{\n\treturn x + ${i};\n}\n`).join('\n');

test('check --tree pairs a lock taken in one function with an unlock added far away', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lr-tree-'));
  git(dir, 'init', '-q');
  const lockFn = 'static unsigned long obj_lock(struct obj *o)\n{\n\tunsigned long old = READ_ONCE(o->val);\n\n\twhile (!try_cmpxchg_acquire(&o->val, &old, old | OBJ_LOCKED))\n\t\tcpu_relax();\n\treturn old;\n}\n';
  writeFileSync(join(dir, 'obj.c'), `${lockFn}\n${filler}`);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'base');
  writeFileSync(join(dir, 'obj.c'), `${lockFn}\n${filler}\nstatic void other(void)\n{\n}\n`);
  git(dir, 'commit', '-q', '-am', 'obj: add other');
  const unlock = '\nstatic void obj_unlock(struct obj *o, unsigned long v)\n{\n\tWRITE_ONCE(o->val, v);\n}\n';
  const finalText = readFileSync(join(dir, 'obj.c'), 'utf8') + unlock;
  writeFileSync(join(dir, 'obj.c'), finalText);
  const unlockLine = finalText.split('\n').findIndex((l) => l.includes('WRITE_ONCE(o->val, v)')) + 1;
  git(dir, 'commit', '-q', '-am', 'obj: add obj_unlock');
  const out = join(dir, 'patches');
  git(dir, 'format-patch', '-q', '-o', out, '--cover-letter', 'HEAD~2');
  git(dir, 'reset', '-q', '--hard', 'HEAD~2');

  const hunkOnly = runCli(['check', '--format', 'json', out]);
  assert.equal(hunkOnly.status, 0, hunkOnly.stderr);
  assert.deepEqual(JSON.parse(hunkOnly.stdout).findings, []);

  const tree = runCli(['check', '--format', 'json', '--tree', dir, out]);
  assert.equal(tree.status, 1, tree.stderr);
  const report = JSON.parse(tree.stdout);
  const f = report.findings.map((x: { ruleId: string; patch: number; line: number; function: string; introduced: boolean }) => [x.ruleId, x.patch, x.function, x.introduced]);
  assert.deepEqual(f, [['bitlock-unlock-without-release', 2, 'obj_unlock', true]]);
  assert.equal(report.findings[0].line, unlockLine);
  assert.ok(report.notes.some((n: string) => /whole files/.test(n)));
});
