// `check --msgid` against a public-inbox server on 127.0.0.1: the thread is fetched as
// <base><msgid>/t.mbox.gz; 404, a 500 that heals, a truncated gzip, a refused connection and an
// oversized thread each end the way a user can act on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { runCliAsync } from './run-async.js';
import { normaliseMsgid, threadUrl } from '../../src/ingest/lore.js';

const MBOX = readFileSync(join(ROOT, 'test/fixtures/mail/rmap-bitlock.mbox'));
const MSGID = '20240809194335.1726916-19-seanjc@google.com';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const seen: string[] = [];
let handler: Handler = (_req, res) => res.writeHead(500).end();
const server = createServer((req, res) => {
  seen.push(req.url ?? '');
  handler(req, res);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/all/`;
after(() => server.close());

test('msgid forms and the thread URL', () => {
  assert.equal(normaliseMsgid(`<${MSGID}>`), MSGID);
  assert.equal(normaliseMsgid(`https://lore.kernel.org/kvm/${MSGID}/`), MSGID);
  assert.equal(threadUrl('https://lore.kernel.org/all', 'a/b c@x'), 'https://lore.kernel.org/all/a%2Fb%20c@x/t.mbox.gz');
  assert.equal(threadUrl('https://lore.kernel.org/all/', 'x+y=z:1@host'), 'https://lore.kernel.org/all/x+y=z:1@host/t.mbox.gz');
  assert.equal(threadUrl('https://lore.kernel.org/all/', '<a>#?%@b'), 'https://lore.kernel.org/all/%3Ca%3E%23%3F%25@b/t.mbox.gz');
});

test('check --msgid fetches t.mbox.gz and reviews the thread', async () => {
  seen.length = 0;
  handler = (req, res) => {
    if (req.url === `/all/${MSGID}/t.mbox.gz`) res.writeHead(200, { 'content-type': 'application/gzip' }).end(gzipSync(MBOX));
    else res.writeHead(404).end('not found');
  };
  const r = await runCliAsync(['check', '--msgid', `<${MSGID}>`, '--lore-url', base, '--format', 'json', '--fail-on', 'never']);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { series: Array<{ subject: string; patches: Array<{ messageId: string }> }> };
  assert.equal(report.series[0]!.patches[0]!.messageId, MSGID);
  assert.match(report.series[0]!.subject, /per-rmap spinlock/);
  assert.deepEqual(seen, [`/all/${MSGID}/t.mbox.gz`], 'angle brackets stripped, one request');
});

test('404: one line naming the msgid and the URL, exit 2', async () => {
  handler = (_req, res) => res.writeHead(404).end('no such thread');
  const r = await runCliAsync(['check', '--msgid', 'missing@example.org', '--lore-url', base]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /missing@example\.org/);
  assert.match(r.stderr, /HTTP 404/);
  assert.match(r.stderr, /127\.0\.0\.1:\d+\/all\/missing@example\.org\/t\.mbox\.gz/);
});

test('500 then 200: retried with backoff and reviewed', async () => {
  seen.length = 0;
  let calls = 0;
  handler = (_req, res) => {
    calls++;
    if (calls === 1) res.writeHead(503).end('busy');
    else res.writeHead(200).end(gzipSync(MBOX));
  };
  const r = await runCliAsync(['check', '--msgid', MSGID, '--lore-url', base, '--format', 'json', '--fail-on', 'never']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(calls, 2);
  assert.equal(JSON.parse(r.stdout).series.length, 1);
});

test('a server that keeps failing: bounded retries, then one line', async () => {
  let calls = 0;
  handler = (_req, res) => {
    calls++;
    res.writeHead(502).end();
  };
  const r = await runCliAsync(['check', '--msgid', MSGID, '--lore-url', base]);
  assert.equal(r.status, 2);
  assert.equal(calls, 4, 'first attempt and three retries');
  assert.match(r.stderr, /server error HTTP 502.*gave up after 4 attempts/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('truncated gzip: a clean error, nothing on stdout', async () => {
  const gz = gzipSync(MBOX);
  handler = (_req, res) => res.writeHead(200).end(gz.subarray(0, Math.floor(gz.length / 2)));
  const r = await runCliAsync(['check', '--msgid', MSGID, '--lore-url', base, '--format', 'email']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /truncated gzip data from http:\/\/127\.0\.0\.1/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('size limit: an oversized thread is refused', async () => {
  const big = gzipSync(Buffer.concat(Array.from({ length: 40 }, () => MBOX)));
  handler = (_req, res) => res.writeHead(200).end(big);
  const r = await runCliAsync(['check', '--msgid', MSGID, '--lore-url', base, '--max-fetch-mb', '0.05']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /over the 52429-byte limit/);
});

test('offline: connection refused is one line, exit 2', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const r = await runCliAsync(['check', '--msgid', MSGID, '--lore-url', `http://127.0.0.1:${port}/all/`]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--msgid 20240809194335\.1726916-19-seanjc@google\.com: connection refused/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
