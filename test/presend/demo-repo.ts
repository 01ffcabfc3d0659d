// A real git repository with a three-commit topic branch on top of main, the middle commit adding a
// hand-rolled bit lock (try_cmpxchg sets DEMO_LOCKED) that is released by a plain
// WRITE_ONCE(head->val, v & ~DEMO_LOCKED): no RELEASE ordering (the 2024 KVM rmap thread's bug).
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';

export const TABLE = 'drivers/demo/table.c';
export const OTHER = 'drivers/demo/Makefile';
export const BUGGY_UNLOCK = 'WRITE_ONCE(head->val, v & ~DEMO_LOCKED);';
export const FIXED_UNLOCK = 'smp_store_release(&head->val, v & ~DEMO_LOCKED);';

const BASE = `// SPDX-License-Identifier: GPL-2.0
#include <linux/bitops.h>

struct demo_head {
	unsigned long val;
};

static int demo_count(struct demo_head *head)
{
	return head->val != 0;
}
`;

const EMPTY_HELPER = `
static int demo_empty(struct demo_head *head)
{
	return !READ_ONCE(head->val);
}
`;

/** The lock/unlock pair; `above` is put on the line above the unlock store (a suppression). */
export function lockCode(unlock: string, above: string | null = null): string {
  return `
#define DEMO_LOCKED	BIT(0)

static unsigned long demo_lock(struct demo_head *head)
{
	unsigned long old;

	old = READ_ONCE(head->val);
	do {
		while (old & DEMO_LOCKED) {
			cpu_relax();
			old = READ_ONCE(head->val);
		}
	} while (!try_cmpxchg(&head->val, &old, old | DEMO_LOCKED));
	return old;
}

static void demo_unlock(struct demo_head *head, unsigned long v)
{
${above ? `\t${above}\n` : ''}\t${unlock}
}
`;
}

export interface DemoRepo {
  dir: string;
  git: SimpleGit;
  base: string;
  /** The topic commits, oldest first. */
  commits: string[];
}

export async function writeFile(dir: string, path: string, text: string): Promise<void> {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

export function readText(dir: string, path: string): string {
  return readFileSync(join(dir, path), 'utf8');
}

async function commit(git: SimpleGit, dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [p, t] of Object.entries(files)) await writeFile(dir, p, t);
  await git.add(Object.keys(files));
  await git.commit(message, undefined, { '--no-verify': null });
  return (await git.revparse(['HEAD'])).trim();
}

export async function initRepo(prefix = 'lockreview-presend-'): Promise<{ dir: string; git: SimpleGit }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = simpleGit(dir);
  await git.init(['-q', '-b', 'main']);
  await git.addConfig('user.name', 'Test Author');
  await git.addConfig('user.email', 'test@example.org');
  await git.addConfig('commit.gpgsign', 'false');
  return { dir, git };
}

/**
 * main: the base. topic: (1) demo_empty(), (2) the bit lock with `unlock` as its release, (3) a
 * marked read in demo_count() plus a Makefile. `above` goes on the line above the release.
 */
export async function makeDemoRepo(opts: { unlock?: string; above?: string | null; topic?: boolean } = {}): Promise<DemoRepo> {
  const { dir, git } = await initRepo();
  const base = await commit(git, dir, { [TABLE]: BASE }, 'demo: table heads');
  const commits: string[] = [];
  if (opts.topic !== false) {
    await git.checkout(['-q', '-b', 'topic']);
    const one = BASE + EMPTY_HELPER;
    commits.push(await commit(git, dir, { [TABLE]: one }, 'demo: add demo_empty()'));
    const two = one + lockCode(opts.unlock ?? BUGGY_UNLOCK, opts.above ?? null);
    commits.push(await commit(git, dir, { [TABLE]: two }, 'demo: add a bit lock to demo heads\n\nSteal bit 0 of the head word for a per-head lock.'));
    const three = two.replace('return head->val != 0;', 'return READ_ONCE(head->val) != 0;');
    commits.push(await commit(git, dir, { [TABLE]: three, [OTHER]: 'obj-y += table.o\n' }, 'demo: mark the read in demo_count()'));
  }
  return { dir, git, base, commits };
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`not in the text: ${needle}`);
  return i + 1;
}

/** Everything presend must leave alone: work tree + index, HEAD, branches, stash, worktrees. */
export async function repoState(git: SimpleGit): Promise<string> {
  const parts = await Promise.all([
    git.raw(['status', '--porcelain=v1', '--untracked-files=all']),
    git.raw(['rev-parse', 'HEAD']),
    git.raw(['symbolic-ref', '-q', 'HEAD']).catch(() => 'detached'),
    git.raw(['for-each-ref', '--format=%(refname) %(objectname)']),
    git.raw(['stash', 'list']),
    git.raw(['worktree', 'list', '--porcelain']),
    git.raw(['diff', '--cached']),
    git.raw(['diff']),
  ]);
  return parts.join('\n---\n');
}
