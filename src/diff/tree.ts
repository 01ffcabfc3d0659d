// --tree: apply a series in a temporary detached worktree of the user's repository, so analysis
// sees whole files before and after each patch.
//
// Approach: `git worktree add --detach --no-checkout <tmp> <base>` (base = the series' base-commit
// when the repo has it, else HEAD), a sparse checkout of just the files the series touches, then
// per patch `git am -3` on a mail rebuilt from the Patch, falling back to
// `git apply -3` and plain `git apply` on its diff, committing each result so every point of the
// series has a revision (`git cat-file blob <rev>:<path>` reads it). The first patch that does not
// apply stops the run: later patches depend on it. The user's work tree, index, HEAD, branches and
// stash are never touched: every mutating command runs inside the temporary worktree, which is
// removed (and pruned) by dispose().
// Blind spots: submodules are not checked out; binary patches only apply through `git am`.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { Patch, Series, SourceProvider } from '../model/index.js';
import { InputError } from '../errors.js';

export interface TreeSession extends SourceProvider {
  notes: string[];
  /** applied[i] tells whether patch i+1 applied. */
  applied: boolean[];
  dispose(): Promise<void>;
}

const NO_HOOKS = ['core.hooksPath=/dev/null'];
const IDENTITY = ['user.name=lockreview', 'user.email=lockreview@localhost', 'commit.gpgsign=false', ...NO_HOOKS];

/** RFC 2047 for a header value that is not plain ASCII (git mailinfo decodes it to UTF-8). */
function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** Rebuild a mail `git am` accepts from the model (the original bytes are not kept). */
function patchMail(p: Patch, series: Series): string {
  const from = p.from ? `${p.from.name ? encodeWord(p.from.name.replace(/[\r\n"]/g, ' ')) + ' ' : ''}<${p.from.email}>` : 'lockreview <lockreview@localhost>';
  const date = p.date && !Number.isNaN(Date.parse(p.date)) ? new Date(p.date).toUTCString() : new Date(0).toUTCString();
  const subject = (p.subject || series.subject || 'patch').replace(/[\r\n]+/g, ' ');
  const body = p.description.trim() ? p.description.replace(/\n*$/, '\n') : '';
  return [
    `From ${p.commit ?? '0000000000000000000000000000000000000000'} Mon Sep 17 00:00:00 2001`,
    `From: ${from}`,
    `Date: ${date}`,
    `Subject: ${encodeWord(`[PATCH] ${subject}`)}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body + '---',
    p.diffText,
  ].join('\n');
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  // git's own diagnosis ("error: patch failed: f.c:12", "error: f.c: does not exist in index")
  // beats its summary ("Patch failed at 0001 ...").
  const errors = lines.filter((l) => /^error:/.test(l) && !/^error: Failed to merge in the changes/.test(l));
  const pick = errors.length ? errors.map((l) => l.replace(/^error:\s*/, '')).join('; ') : lines.find((l) => /patch failed|does not apply|corrupt/i.test(l)) ?? lines[0] ?? 'git failed';
  return pick.replace(/^error:\s*/, '');
}

async function exists(git: SimpleGit, rev: string): Promise<string | null> {
  try {
    return (await git.raw(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).trim() || null;
  } catch {
    return null;
  }
}

/** A sparse-checkout pattern matching exactly one path (anchored, wildcards escaped). */
function exactPattern(path: string): string {
  return '/' + path.replace(/[\\*?[\]!#]/g, (c) => '\\' + c).replace(/^\s|\s$/g, (c) => '\\' + c);
}

/** Check out the base in the new worktree: only the series' files when sparse checkout works,
 *  else everything. Returns whether the worktree is sparse. */
async function sparseCheckout(git: SimpleGit, wt: string, series: Series): Promise<boolean> {
  const paths = new Set<string>();
  for (const p of series.patches) for (const f of p.files) for (const x of [f.oldPath, f.newPath]) if (x) paths.add(x);
  try {
    const gitDir = (await git.raw(['rev-parse', '--absolute-git-dir'])).trim();
    await mkdir(join(gitDir, 'info'), { recursive: true });
    await writeFile(join(gitDir, 'info', 'sparse-checkout'), [...paths].map(exactPattern).join('\n') + '\n');
    await git.raw(['-c', 'core.sparseCheckout=true', 'read-tree', '-mu', 'HEAD']);
    return true;
  } catch {
    await git.raw(['read-tree', '-mu', 'HEAD']).catch(() => undefined);
    await git.raw(['checkout', '--quiet', '--force', 'HEAD', '--', '.']).catch(() => undefined);
    return false;
  }
}

export async function openTree(dir: string, series: Series): Promise<TreeSession> {
  let user: SimpleGit;
  try {
    user = simpleGit(dir);
    const inside = (await user.raw(['rev-parse', '--is-inside-work-tree'])).trim();
    if (inside !== 'true') throw new Error('not inside');
  } catch {
    throw new InputError(dir, 'not a git work tree');
  }
  const notes: string[] = [];
  let base: string | null = null;
  if (series.baseCommit) {
    base = await exists(user, series.baseCommit);
    if (!base) notes.push(`base-commit ${series.baseCommit.slice(0, 12)} is not in ${dir}; applying on HEAD`);
  }
  base ??= await exists(user, 'HEAD');
  if (!base) throw new InputError(dir, 'the repository has no commit to apply the series on');
  const short = base.slice(0, 12);

  const tmp = await mkdtemp(join(tmpdir(), 'lockreview-tree-'));
  const wt = join(tmp, 'wt');
  try {
    // No hook of the user's repo (post-checkout) runs for our worktree.
    await simpleGit(dir, { config: NO_HOOKS, unsafe: { allowUnsafeHooksPath: true } }).raw(['worktree', 'add', '--detach', '--no-checkout', '--quiet', wt, base]);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new InputError(dir, `cannot create a temporary worktree: ${firstLine(err)}`);
  }
  // Hooks of the user's repo must not run on our temporary commits: hooksPath points nowhere.
  // Only the files the series touches are checked out (a kernel tree has ~90k files): the sparse
  // patterns live in the temporary worktree's own git dir, and sparse mode is switched on per
  // command, so the user's config is not changed.
  const sparse = await sparseCheckout(simpleGit(wt, { config: NO_HOOKS, unsafe: { allowUnsafeHooksPath: true } }), wt, series);
  const git = simpleGit(wt, { config: [...IDENTITY, ...(sparse ? ['core.sparseCheckout=true'] : [])], unsafe: { allowUnsafeHooksPath: true } });
  const revs: string[] = [base];
  const applied: boolean[] = series.patches.map(() => false);
  let failedAt = -1;
  for (let i = 0; i < series.patches.length; i++) {
    const p = series.patches[i]!;
    const mailPath = join(tmp, `patch-${i + 1}.mbox`);
    const diffPath = join(tmp, `patch-${i + 1}.diff`);
    await writeFile(mailPath, patchMail(p, series));
    await writeFile(diffPath, p.diffText);
    let reason: string | null = null;
    try {
      await git.raw(['am', '-3', '--keep-cr', '--quiet', mailPath]);
    } catch (err) {
      reason = firstLine(err);
      await git.raw(['am', '--abort']).catch(() => undefined);
      for (const args of [['apply', '-3', '--index', diffPath], ['apply', '--index', diffPath]]) {
        try {
          await git.raw(args);
          await git.raw(['commit', '--quiet', '--allow-empty', '--no-verify', '-m', p.subject || `patch ${i + 1}`]);
          reason = null;
          break;
        } catch (e) {
          await git.raw(['reset', '--quiet', '--hard', 'HEAD']).catch(() => undefined);
          // Plain `git apply` (the last attempt) says best which hunk failed where.
          reason = firstLine(e);
        }
      }
    }
    if (reason !== null) {
      failedAt = i;
      notes.push(`patch ${p.index}/${p.total} does not apply to ${short}: ${reason}`);
      break;
    }
    applied[i] = true;
    revs.push((await git.revparse(['HEAD'])).trim());
  }
  if (failedAt < 0) notes.push(`analysed whole files: series applied on ${short}`);
  else if (failedAt > 0) notes.push(`analysed whole files for patches 1-${failedAt} applied on ${short}; later patches hunk-only`);
  else notes.push('the series does not apply: analysed hunks only');
  if (failedAt >= 0 && failedAt + 1 < series.patches.length) {
    notes.push(`patch${series.patches.length - failedAt - 1 > 1 ? 'es' : ''} after ${series.patches[failedAt]!.index}/${series.patches[failedAt]!.total} not applied (they depend on it)`);
  }

  const cache = new Map<string, string | null>();
  let disposed = false;
  return {
    description: `git worktree at ${short} (${failedAt < 0 ? 'series applied' : `${revs.length - 1} of ${series.patches.length} patches applied`})`,
    notes,
    applied,
    async file(path: string, afterPatch: number): Promise<string | null> {
      // Patch k's content exists only when patches 1..k all applied.
      if (disposed || afterPatch < 0 || afterPatch >= revs.length || !Number.isInteger(afterPatch)) return null;
      const key = `${afterPatch}\0${path}`;
      if (cache.has(key)) return cache.get(key)!;
      let text: string | null;
      try {
        text = await user.raw(['cat-file', 'blob', `${revs[afterPatch]}:${path.replace(/^\.?\//, '')}`]);
      } catch {
        text = null;
      }
      if (text != null && afterPatch > 0 && !addedLinesInPlace(series.patches[afterPatch - 1], path, text)) text = null;
      cache.set(key, text);
      return text;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await user.raw(['worktree', 'remove', '--force', wt]).catch(() => undefined);
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      await user.raw(['worktree', 'prune']).catch(() => undefined);
    },
  };
}

/** Whether every line `patch` adds to `path` sits at the post-image line number the patch gives.
 *  git applies a hunk at an offset when the base moved; the engine marks changed lines (and reports
 *  them) by the patch's numbers, so a file applied elsewhere would hide the patch's own lines:
 *  such a file is refused, and the engine analyses its hunks instead. */
function addedLinesInPlace(patch: Patch | undefined, path: string, text: string): boolean {
  const f = patch?.files.find((x) => x.newPath === path);
  if (!f) return true;
  const lines = text.split('\n');
  const bare = (t: string) => (t.endsWith('\r') ? t.slice(0, -1) : t);
  for (const h of f.hunks) {
    for (const l of h.lines) {
      if (l.kind !== 'add' || l.newLine == null) continue;
      const got = lines[l.newLine - 1];
      if (got === undefined || bare(got) !== bare(l.text)) return false;
    }
  }
  return true;
}
