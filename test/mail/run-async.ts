// Runs the built CLI without blocking the event loop, so a server started by the same test (HTTP,
// SMTP on 127.0.0.1) can answer it. Same contract as test/helpers/cli.ts runCli.
import { spawn } from 'node:child_process';
import { BIN, ROOT, type CliRun } from '../helpers/cli.js';

export function runCliAsync(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
