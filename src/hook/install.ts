// Installs / removes the sendemail-validate hook. The hooks directory is git's own answer
// (`git rev-parse --git-path hooks`, which honours core.hooksPath); a hook that is already there is
// moved aside to sendemail-validate.lockreview-chained (a rename: content and mode stay exact) and
// our hook runs it first; uninstall renames it back.

import { spawnSync } from 'node:child_process';
import { gitReadEnv } from '../diff/git-batch.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { CHAINED_SUFFIX, HOOK_MARKER, HOOK_NAME, hookScript } from './script.js';

export interface HookPaths {
  dir: string;
  hook: string;
  chained: string;
}

export interface InstallOptions {
  failOn: string | null;
  /** Defaults: this node and this installation's bin/lockreview.js. */
  node?: string;
  bin?: string;
}

export interface HookChange {
  paths: HookPaths;
  /** What happened, one sentence per step, for the door to print. */
  notes: string[];
}

/** Where git looks for the hook of the repository around `dir`. */
export function hookPaths(dir: string): HookPaths {
  const top = gitOut(dir, ['rev-parse', '--show-toplevel']);
  // Relative core.hooksPath values are relative to the top level, where git runs hooks.
  const hooksDir = gitOut(top, ['rev-parse', '--git-path', 'hooks']);
  const abs = isAbsolute(hooksDir) ? hooksDir : resolve(top, hooksDir);
  const hook = join(abs, HOOK_NAME);
  return { dir: abs, hook, chained: hook + CHAINED_SUFFIX };
}

export function isOurHook(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').split('\n', 3).includes(HOOK_MARKER);
  } catch {
    return false;
  }
}

export function installHook(dir: string, opts: InstallOptions): HookChange {
  const paths = hookPaths(dir);
  const notes: string[] = [];
  const script = hookScript({ node: opts.node ?? process.execPath, bin: opts.bin ?? defaultBin(), failOn: opts.failOn });
  mkdirSync(paths.dir, { recursive: true });
  if (existsSync(paths.hook) && isOurHook(paths.hook)) {
    notes.push(`updated ${paths.hook}`);
  } else if (existsSync(paths.hook)) {
    if (existsSync(paths.chained)) {
      throw new InputError(paths.hook, `a hook is already chained at ${paths.chained}: move one of them away first`);
    }
    renameSync(paths.hook, paths.chained);
    notes.push(`moved the existing hook to ${paths.chained}; it runs first`);
    notes.push(`installed ${paths.hook}`);
  } else {
    if (existsSync(paths.chained)) notes.push(`${paths.chained} (left by an earlier install) will run first`);
    notes.push(`installed ${paths.hook}`);
  }
  // Written beside the target and renamed over it: never a half-written hook.
  const tmp = `${paths.hook}.lockreview-tmp-${process.pid}`;
  writeFileSync(tmp, script, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, paths.hook);
  return { paths, notes };
}

export function uninstallHook(dir: string): HookChange {
  const paths = hookPaths(dir);
  if (!existsSync(paths.hook) || !isOurHook(paths.hook)) {
    throw new InputError(paths.hook, 'no lockreview hook is installed here');
  }
  const notes: string[] = [];
  unlinkSync(paths.hook);
  notes.push(`removed ${paths.hook}`);
  if (existsSync(paths.chained)) {
    renameSync(paths.chained, paths.hook);
    notes.push(`restored the original hook from ${paths.chained}`);
  }
  return { paths, notes };
}

/** bin/lockreview.js of this installation (this file is build/hook/install.js). */
function defaultBin(): string {
  const bin = fileURLToPath(new URL('../../bin/lockreview.js', import.meta.url));
  if (!existsSync(bin) || !statSync(bin).isFile()) throw new InputError(bin, 'cannot find the lockreview launcher to record in the hook');
  return bin;
}

function gitOut(cwd: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: gitReadEnv() });
  if (r.error) throw new InputError('git', `cannot run git: ${r.error.message}`);
  if (r.status !== 0) throw new InputError(cwd, (r.stderr || 'not a git repository').trim().split('\n')[0]!);
  return r.stdout.trim();
}
