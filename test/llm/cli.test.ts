// The LLM flags through the real CLI: a scripted OpenAI-compatible server on 127.0.0.1 words the
// shipped example's finding; with the server down the run completes with the deterministic text
// and the same exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, runCli } from '../helpers/cli.js';

const EXAMPLE = join(ROOT, 'examples', 'rmap-bitlock.mbox');

/** Runs the CLI asynchronously (the server lives in this process, so spawnSync would deadlock). */
function runAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

test('--llm-url/--llm-model/--llm-key-env: wording applied, marked in JSON, key read from the named variable', async () => {
  const seen: Array<{ auth?: string; body: any }> = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data);
      seen.push({ auth: req.headers.authorization, body });
      const task = JSON.parse(body.messages[1].content);
      const content =
        body.response_format.json_schema.name === 'lockreview_triage'
          ? { outcome: 'keep', reason: 'the release is a plain WRITE_ONCE' }
          : { message: `Releasing this lock with ${task.data.message.includes('WRITE_ONCE') ? 'WRITE_ONCE()' : 'a plain store'} gives no RELEASE ordering; use smp_store_release().`, reproductionSummary: 'Another CPU can take the lock and miss the critical section.' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { content: JSON.stringify(content) } }], usage: { prompt_tokens: 10, completion_tokens: 5 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const r = await runAsync(['check', '--format', 'json', '--llm-url', url, '--llm-model', 'scripted', '--llm-key-env', 'LR_KEY', EXAMPLE], { LR_KEY: 'k-123', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'lr-cache-')) });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(!r.stderr.includes('k-123'), 'the key is never printed');
    const report = JSON.parse(r.stdout);
    assert.equal(report.findings.length, 1);
    assert.equal(report.findings[0].wordedBy, 'scripted');
    assert.match(report.findings[0].message, /smp_store_release/);
    assert.equal(report.findings[0].triage.outcome, 'keep');
    assert.equal(report.stats.llm.promptTokens, 20);
    assert.ok(seen.length >= 2 && seen.every((s) => s.auth === 'Bearer k-123'));
  } finally {
    server.close();
  }
});

test('LLM server down: same findings, deterministic text, same exit status', async () => {
  const plain = runCli(['check', '--format', 'json', EXAMPLE]);
  const down = await runAsync(['check', '--format', 'json', '--llm-url', 'http://127.0.0.1:9', '--llm-model', 'm', EXAMPLE], { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'lr-cache-')) });
  assert.equal(down.status, plain.status);
  const a = JSON.parse(plain.stdout).findings;
  const b = JSON.parse(down.stdout).findings;
  assert.deepEqual(b.map((f: any) => [f.id, f.message, f.wordedBy ?? null]), a.map((f: any) => [f.id, f.message, null]));
});

test('--llm-url without a model, or not a URL, is a usage error (exit 2)', () => {
  const r = runCli(['check', '--llm-url', 'http://127.0.0.1:9', EXAMPLE]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--llm-model/);
  const s = runCli(['check', '--llm-url', 'ftp://x', '--llm-model', 'm', EXAMPLE]);
  assert.equal(s.status, 2);
  assert.equal(s.stdout, '');
});
