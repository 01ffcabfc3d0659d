// Runs the committed Action bundle the way the runner does: `node dist/action.js` with INPUT_*
// variables, an event file, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. The bundle is copied out
// of the repository first, so a run proves it needs no node_modules.
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const repoRoot = new URL('../../', import.meta.url).pathname;
let copied: string | null = null;

/** dist/ copied to a directory with no node_modules above it. */
export function bundleCopy(): string {
  if (copied) return copied;
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-action-bundle-'));
  cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(repoRoot, 'action.yml'), join(dir, 'action.yml'));
  copied = join(dir, 'dist', 'action.js');
  return copied;
}

export const TOKEN = 'ghs_lockreviewTestToken0123456789SECRET';

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  workDir: string;
}

export interface RunOptions {
  apiUrl: string;
  workspace: string;
  event: unknown;
  inputs: Record<string, string>;
  eventName?: string;
  /** Extra environment (e.g. XDG_CACHE_HOME for the LLM cache). */
  env?: Record<string, string>;
}

export async function runBundle(o: RunOptions): Promise<ActionRun> {
  const work = mkdtempSync(join(tmpdir(), 'lockreview-action-run-'));
  const eventPath = join(work, 'event.json');
  writeFileSync(eventPath, JSON.stringify(o.event));
  const outputPath = join(work, 'output.txt');
  const summaryPath = join(work, 'summary.md');
  writeFileSync(outputPath, '');
  writeFileSync(summaryPath, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? work,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: o.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_REPOSITORY: 'kvm-x86/linux',
    GITHUB_API_URL: o.apiUrl,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
  };
  Object.assign(env, o.env ?? {});
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(process.execPath, [bundleCopy()], { env, cwd: o.workspace, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, stdout, stderr, outputs: parseOutputs(readFileSync(outputPath, 'utf8')), summary: existsSync(summaryPath) ? readFileSync(summaryPath, 'utf8') : '', workDir: work };
}

/** GITHUB_OUTPUT's `name<<DELIM ... DELIM` and `name=value` forms. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = lines[i]!.match(/^([^=<]+)<<(.+)$/);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i]!.includes('=')) {
      const [k, ...v] = lines[i]!.split('=');
      out[k!] = v.join('=');
    }
  }
  return out;
}

export function pullRequestEvent(owner: string, repo: string, number: number, base: string, head: string): unknown {
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      title: 'KVM: x86/mmu: Add a lock bit to rmap heads',
      body: 'Steal a bit from rmap entries for a rudimentary per-rmap spinlock.',
      base: { sha: base, ref: 'main', repo: { full_name: `${owner}/${repo}` } },
      head: { sha: head, ref: 'rmap-lock', repo: { full_name: `contributor/${repo}` } },
    },
    repository: { full_name: `${owner}/${repo}`, name: repo, owner: { login: owner } },
  };
}
