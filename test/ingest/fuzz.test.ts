// Fuzzing the mbox / MIME / diff parsers: random bytes, mutated real messages and random diff-shaped
// text must end in a model or an InputError, never another exception or a hang. Runs are bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ingestBuffer, parseMessage } from '../../src/ingest/index.js';
import { InputError } from '../../src/errors.js';
import { SHARED } from '../helpers/cli.js';

const CORPUS = join(SHARED, 'corpus');
const messages = readdirSync(CORPUS).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(CORPUS, f)));

async function modelOrInputError(buf: Buffer): Promise<void> {
  try {
    const r = await ingestBuffer(buf, 'fuzz');
    assert.ok(r.series.length >= 1);
    for (const s of r.series) for (const p of s.patches) for (const f of p.files) for (const h of f.hunks) {
      for (const l of h.lines) if (l.kind !== 'del') assert.ok(Number.isInteger(l.newLine) && l.newLine! >= 0);
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    assert.ok(err.input.length > 0 && err.message.length > 0);
  }
}

test('random bytes', { timeout: 120_000 }, async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => modelOrInputError(Buffer.from(bytes))), { numRuns: 200, seed: 4242 });
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('gzip' as const) }),
);

test('mutated real corpus messages', { timeout: 180_000 }, async () => {
  const { gzipSync } = await import('node:zlib');
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: messages.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (i, muts) => {
      let b = Buffer.from(messages[i]!);
      for (const m of muts) {
        const at = b.length ? m.kind === 'gzip' ? 0 : m.at % b.length : 0;
        if (m.kind === 'truncate') b = b.subarray(0, at);
        else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(at)]);
        else if (m.kind === 'flip') { b = Buffer.from(b); if (b.length) b[at] = m.byte; }
        else if (m.kind === 'dupline') {
          const s = b.lastIndexOf(0x0a, at) + 1;
          let e = b.indexOf(0x0a, at);
          if (e < 0) e = b.length;
          b = Buffer.concat([b.subarray(0, e), Buffer.from('\n'), b.subarray(s, e), b.subarray(e)]);
        } else b = gzipSync(b);
      }
      await modelOrInputError(b);
    }),
    { numRuns: 200, seed: 777 },
  );
});

const diffish = fc.constantFrom(
  'diff --git a/x.c b/x.c', '--- a/x.c', '+++ b/x.c', '--- /dev/null', '+++ /dev/null', '@@ -1,2 +1,2 @@', '@@ -1 +1,3 @@ fn', '@@ -0,0 +1 @@',
  '+added', '-removed', ' ctx', '', '-- ', '2.43.0', '\\ No newline at end of file', 'rename from a', 'rename to b', 'new file mode 100644',
  'GIT binary patch', 'literal 3', 'Binary files a/x and b/x differ', 'From 0123 Mon Sep 17 00:00:00 2001', 'Subject: [PATCH 1/2] x',
  'Subject: Re: [PATCH v2 0/2] y', 'Message-ID: <a@b>', 'In-Reply-To: <a@b>', 'References: <a@b> <c@d>', 'Content-Type: multipart/mixed; boundary=b',
  '--b', '--b--', 'Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: quoted-printable', '=E9=3D=', '>From x', 'From x@y Thu Jan  1 00:00:00 1970',
);

test('random diff- and mail-shaped text', { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(diffish, { maxLength: 60 }), fc.boolean(), async (lines, crlf) => {
      await modelOrInputError(Buffer.from(lines.join(crlf ? '\r\n' : '\n') + '\n'));
    }),
    { numRuns: 200, seed: 99 },
  );
});

test('parseMessage never throws anything but InputError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      try {
        parseMessage(Buffer.from(bytes));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
      }
    }),
    { numRuns: 200, seed: 5 },
  );
});
