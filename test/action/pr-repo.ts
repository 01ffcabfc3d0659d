// A real git repository for the Action tests, shaped like the 2024 KVM rmap thread: the base has
// rmap heads without a lock; the PR adds a bit lock (try_cmpxchg sets KVM_RMAP_LOCKED) whose unlock
// is a plain WRITE_ONCE() with no release ordering; a v2 of the PR releases with
// smp_store_release(). Also turns commits into the REST shapes the fake GitHub serves.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { FakeCommit, FakeFile } from './fake-github.js';

export const MMU_PATH = 'arch/x86/kvm/mmu/mmu.c';

const HEADER = `// SPDX-License-Identifier: GPL-2.0-only
#include <linux/kvm_host.h>

struct kvm_rmap_head {
	unsigned long val;
};

struct pte_list_desc {
	struct pte_list_desc *more;
	u32 spte_count;
	u64 *sptes[14];
};

#define KVM_RMAP_MANY	BIT(0)
`;

const BASE = `${HEADER}
static void pte_list_add(struct kvm_rmap_head *rmap_head, u64 *spte)
{
	struct pte_list_desc *desc;

	desc = (struct pte_list_desc *)(rmap_head->val & ~KVM_RMAP_MANY);
	desc->sptes[desc->spte_count++] = spte;
}
`;

function withLock(unlockStore: string): string {
  return `${HEADER}#define KVM_RMAP_LOCKED	BIT(1)

static unsigned long kvm_rmap_lock(struct kvm_rmap_head *rmap_head)
{
	unsigned long old_val, new_val;

	old_val = READ_ONCE(rmap_head->val);
	if (!old_val)
		return 0;

	do {
		/*
		 * If the rmap is locked, wait for it to be unlocked before
		 * trying acquire the lock, e.g. to bounce the cache line.
		 */
		while (old_val & KVM_RMAP_LOCKED) {
			old_val = READ_ONCE(rmap_head->val);
			cpu_relax();
		}

		/*
		 * Recheck for an empty rmap, it may have been purged by the
		 * task that held the lock.
		 */
		if (!old_val)
			return 0;

		new_val = old_val | KVM_RMAP_LOCKED;
	} while (!try_cmpxchg(&rmap_head->val, &old_val, new_val));

	/* Return the old value, i.e. _without_ the LOCKED bit set. */
	return old_val;
}

static void kvm_rmap_unlock(struct kvm_rmap_head *rmap_head,
			    unsigned long new_val)
{
	WARN_ON_ONCE(new_val & KVM_RMAP_LOCKED);
	${unlockStore}
}

static void pte_list_add(struct kvm_rmap_head *rmap_head, u64 *spte)
{
	struct pte_list_desc *desc;
	unsigned long old_val;

	old_val = kvm_rmap_lock(rmap_head);
	desc = (struct pte_list_desc *)(old_val & ~KVM_RMAP_MANY);
	desc->sptes[desc->spte_count++] = spte;
	kvm_rmap_unlock(rmap_head, old_val);
}
`;
}

export const BUGGY_UNLOCK = 'WRITE_ONCE(rmap_head->val, new_val);';
export const FIXED_UNLOCK = 'smp_store_release(&rmap_head->val, new_val);';
export const PR_V1 = withLock(BUGGY_UNLOCK);
export const PR_V2 = withLock(FIXED_UNLOCK);
export const SUPPRESSION = '/* lockreview: ignore bitlock-unlock-without-release -- x86-only: TSO orders the stores */';
export const PR_SUPPRESSED = withLock(`${SUPPRESSION}\n\t${BUGGY_UNLOCK}`);

/** 1-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`not in the fixture: ${needle}`);
  return i + 1;
}

export interface PrRepo {
  dir: string;
  git: SimpleGit;
  base: string;
  v1: string; // PR head of the first push
  v2: string; // PR head after a force-push of the fixed version
  v3: string; // the v1 bug, silenced with an in-code suppression that gives a reason
}

async function commitFile(git: SimpleGit, dir: string, text: string, message: string): Promise<string> {
  const p = join(dir, MMU_PATH);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  await git.add(MMU_PATH);
  await git.commit(message, undefined, { '--no-verify': null });
  return (await git.revparse(['HEAD'])).trim();
}

export async function makePrRepo(): Promise<PrRepo> {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-action-repo-'));
  const git = simpleGit(dir);
  await git.init(['-q', '-b', 'main']);
  await git.addConfig('user.name', 'Test Author');
  await git.addConfig('user.email', 'test@example.org');
  await git.addConfig('commit.gpgsign', 'false');
  const base = await commitFile(git, dir, BASE, 'KVM: x86/mmu: rmap heads');
  await git.checkout(['-q', '-b', 'pr-v1']);
  const v1 = await commitFile(git, dir, PR_V1, 'KVM: x86/mmu: Add a lock bit to rmap heads\n\nSteal a bit from rmap entries for a per-rmap spinlock.');
  await git.checkout(['-q', '-b', 'pr-v2', base]);
  const v2 = await commitFile(git, dir, PR_V2, 'KVM: x86/mmu: Add a lock bit to rmap heads\n\nv2: release the lock with smp_store_release().');
  await git.checkout(['-q', '-b', 'pr-v3', base]);
  const v3 = await commitFile(git, dir, PR_SUPPRESSED, 'KVM: x86/mmu: Add a lock bit to rmap heads\n\nv3: x86-only, say why the plain store is enough.');
  return { dir, git, base, v1, v2, v3 };
}

/** The REST `files` of a diff between two commits: status, and the hunks as `patch`. */
export async function restFiles(git: SimpleGit, from: string, to: string): Promise<FakeFile[]> {
  const names = (await git.raw(['diff', '--name-status', '-M', from, to])).trim().split('\n').filter(Boolean);
  const out: FakeFile[] = [];
  for (const line of names) {
    const [code, a, b] = line.split('\t') as [string, string, string | undefined];
    const filename = b ?? a;
    const status = code.startsWith('A') ? 'added' : code.startsWith('D') ? 'removed' : code.startsWith('R') ? 'renamed' : 'modified';
    const diff = await git.raw(['diff', '-M', from, to, '--', ...(b ? [a, b] : [a])]);
    const at = diff.indexOf('\n@@');
    const file: FakeFile = { filename, status, patch: at >= 0 ? diff.slice(at + 1).replace(/\n$/, '') : undefined };
    if (b) file.previous_filename = a;
    out.push(file);
  }
  return out;
}

/** The PR as GitHub would serve it: one commit on top of `base` ending at `head`. */
export async function pullOf(repo: PrRepo, head: string): Promise<{ commits: FakeCommit[]; files: FakeFile[] }> {
  const message = (await repo.git.raw(['log', '-1', '--format=%B', head])).trimEnd();
  const files = await restFiles(repo.git, repo.base, head);
  return { commits: [{ sha: head, parents: [repo.base], message, files }], files };
}
