// MIME: transfer encodings, charsets, attachments, format=flowed, CRLF.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { ingestInputs, parseMessage } from '../../src/ingest/index.js';
import { InputError } from '../../src/errors.js';
import { diffFor, mail, patchBody, writeTemp } from './builders.js';
import { runCli } from '../helpers/cli.js';

function qpEncode(text: string): string {
  // Enough of quoted-printable for the test: '=' and non-ASCII as =XX, long lines soft-broken.
  const bytes = Buffer.from(text, 'utf8');
  let out = '';
  let col = 0;
  for (const b of bytes) {
    let piece: string;
    if (b === 0x0a) { out += '\n'; col = 0; continue; }
    piece = b === 0x3d || b > 0x7e || (b < 0x20 && b !== 0x09) ? '=' + b.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(b);
    if (col + piece.length > 72) { out += '=\n'; col = 0; }
    out += piece;
    col += piece.length;
  }
  return out;
}

const added = ['\tif (x == y) { /* Jörg\'s fix: a very long comment line that must be soft-broken by the encoder */ }'];
const diff = diffFor('kernel/sched/core.c', 200, 'void f(void)', added);
const body = patchBody('sched: fix it', diff);

function check(r: Awaited<ReturnType<typeof ingestInputs>>): void {
  const lines = r.series[0]!.patches[0]!.files[0]!.hunks[0]!.lines;
  const l = lines.find((x) => x.kind === 'add' && x.text.includes('Jörg'));
  assert.ok(l, 'added line decoded');
  assert.equal(l!.text, added[0]);
  assert.equal(l!.newLine, 201);
}

test('quoted-printable body', async () => {
  const m = mail({ subject: '[PATCH] sched: qp', body: qpEncode(body), headers: ['MIME-Version: 1.0', 'Content-Type: text/plain; charset="utf-8"', 'Content-Transfer-Encoding: quoted-printable'] });
  check(await ingestInputs([writeTemp('qp.eml', m)]));
});

test('base64 body', async () => {
  const b64 = Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\n');
  const m = mail({ subject: '[PATCH] sched: b64', body: b64 + '\n', headers: ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'] });
  check(await ingestInputs([writeTemp('b64.eml', m)]));
});

test('ISO-8859-1 body and RFC 2047 subject/from', async () => {
  const head = mail({
    subject: '=?iso-8859-1?q?=5BPATCH=5D_sched=3A_J=F6rg?=', from: '=?ISO-8859-1?Q?J=F6rg_M=FCller?= <jm@example.org>', body: '',
    headers: ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=ISO-8859-1', 'Content-Transfer-Encoding: 8bit'],
  });
  const raw = Buffer.concat([Buffer.from(head, 'utf8'), iconv.encode(body, 'latin1')]);
  const r = await ingestInputs([writeTemp('latin1.eml', raw)]);
  check(r);
  const p = r.series[0]!.patches[0]!;
  assert.equal(p.subject, 'sched: Jörg');
  assert.deepEqual(p.from, { name: 'Jörg Müller', email: 'jm@example.org' });
});

test('a charset TextDecoder lacks (IBM437) is decoded through iconv-lite, loaded on demand, in process and by the CLI', async () => {
  assert.throws(() => new TextDecoder('cp437'), 'premise: WHATWG TextDecoder has no cp437');
  const head = mail({ subject: '[PATCH] sched: cp437', body: '', headers: ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=IBM437', 'Content-Transfer-Encoding: 8bit'] });
  const path = writeTemp('cp437.eml', Buffer.concat([Buffer.from(head, 'utf8'), iconv.encode(body, 'cp437')]));
  check(await ingestInputs([path]));
  const cli = runCli(['check', '--format', 'json', '--fail-on', 'never', path]);
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).series[0].patches[0].subject, 'sched: cp437');
});

test('unknown charset is an InputError naming the input', async () => {
  const m = mail({ subject: '[PATCH] x', body, headers: ['Content-Type: text/plain; charset=x-klingon-9'] });
  const p = writeTemp('kl.eml', m);
  await assert.rejects(ingestInputs([p]), (e: unknown) => e instanceof InputError && e.input === p && /unknown charset "x-klingon-9"/.test(e.message));
});

test('CRLF line ends', async () => {
  const m = mail({ subject: '[PATCH] sched: crlf', body }).replace(/\n/g, '\r\n');
  const r = await ingestInputs([writeTemp('crlf.eml', m)]);
  check(r);
  assert.ok(!r.series[0]!.patches[0]!.files[0]!.hunks[0]!.lines.some((l) => l.text.endsWith('\r')));
  assert.ok(!r.series[0]!.patches[0]!.diffText.includes('\r'));
});

function multipart(parts: string[], boundary = 'XyZ'): string {
  return parts.map((p) => `--${boundary}\n${p}\n`).join('') + `--${boundary}--\n`;
}

test('patch as a text/x-patch attachment (base64) and as an octet-stream named *.patch', async () => {
  const att = Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\n');
  const m1 = mail({
    subject: '[PATCH] sched: attached', body: multipart([
      'Content-Type: text/plain; charset=utf-8\n\nPlease see the attached fix.\n',
      `Content-Type: text/x-patch; charset=utf-8; name="0001-fix.patch"\nContent-Disposition: attachment; filename="0001-fix.patch"\nContent-Transfer-Encoding: base64\n\n${att}`,
    ]), headers: ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="XyZ"'],
  });
  const r1 = await ingestInputs([writeTemp('att.eml', m1)]);
  check(r1);
  assert.match(r1.series[0]!.patches[0]!.description, /Please see the attached fix/);
  const m2 = mail({
    subject: '[PATCH] sched: octet', body: multipart([
      'Content-Type: text/plain\n\nhi\n',
      `Content-Type: application/octet-stream; name=fix.patch\nContent-Transfer-Encoding: base64\n\n${att}`,
    ]), headers: ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=XyZ'],
  });
  check(await ingestInputs([writeTemp('oct.eml', m2)]));
  const parsed = parseMessage(Buffer.from(m2));
  assert.equal(parsed.attachments.length, 1);
  assert.equal(parsed.attachments[0]!.filename, 'fix.patch');
});

test('format=flowed: the description is unflowed, the diff kept line for line', async () => {
  const flowedBody = 'sched: a long sentence that the mailer \nwrapped here.\n\n---\n' + diff;
  const m = mail({ subject: '[PATCH] sched: flowed', body: flowedBody, headers: ['Content-Type: text/plain; charset=utf-8; format=flowed'] });
  const r = await ingestInputs([writeTemp('fl.eml', m)]);
  check(r);
  assert.match(r.series[0]!.patches[0]!.description, /mailer wrapped here/);
});

test('invalid UTF-8 in an 8bit body still yields a model', async () => {
  const raw = Buffer.concat([Buffer.from(mail({ subject: '[PATCH] x: bytes', body: '' })), Buffer.from(body.replace('Jörg', 'J\u00ff\u00feorg'), 'latin1')]);
  const r = await ingestInputs([writeTemp('bad8.eml', raw)]);
  assert.equal(r.series[0]!.patches[0]!.files[0]!.hunks[0]!.lines.find((l) => l.kind === 'add' && l.text.includes('org'))!.newLine, 201);
});

test('parseMessage: threading headers without angle brackets noise, dates in ISO', () => {
  const m = parseMessage(Buffer.from(mail({ subject: 'Re: x', messageId: 'a@b', inReplyTo: 'p@b', references: ['r@b', 'p@b'], body: 'x\n' })));
  assert.equal(m.messageId, 'a@b');
  assert.equal(m.inReplyTo, 'p@b');
  assert.deepEqual(m.references, ['r@b', 'p@b']);
  assert.equal(m.date, '2024-03-04T10:00:00.000Z');
  assert.deepEqual(m.to, ['linux-kernel@vger.kernel.org']);
});

test('in-body From:/Subject: of git send-email name the author and are not description', async () => {
  const m = mail({ subject: '[PATCH] sched: sent by someone else', from: 'Sender <s@x>', body: patchBody('From: Real Author <ra@x>\nSubject: [PATCH] sched: real subject\n\nThe real message.', diff) });
  const p = (await ingestInputs([writeTemp('inbody.eml', m)])).series[0]!.patches[0]!;
  assert.deepEqual(p.from, { name: 'Real Author', email: 'ra@x' });
  assert.equal(p.subject, 'sched: real subject');
  assert.match(p.description, /^The real message\./);
});

test('differential: our synchronous MIME decoding gives the same text as PostalMime.parse', async () => {
  const { default: PostalMime } = await import('postal-mime');
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { SHARED } = await import('../helpers/cli.js');
  const dir = join(SHARED, 'corpus');
  const samples: Buffer[] = readdirSync(dir).filter((f) => f.endsWith('.eml')).map((f) => readFileSync(join(dir, f)));
  samples.push(Buffer.from(mail({ subject: 'qp', body: qpEncode(body), headers: ['MIME-Version: 1.0', 'Content-Type: text/plain; charset="utf-8"', 'Content-Transfer-Encoding: quoted-printable'] })));
  samples.push(Buffer.from(mail({ subject: 'b64', body: Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\n') + '\n', headers: ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'] })));
  samples.push(Buffer.concat([Buffer.from(mail({ subject: 'l1', body: '', headers: ['Content-Type: text/plain; charset=ISO-8859-1'] })), iconv.encode(body, 'latin1')]));
  for (const raw of samples) {
    const ours = parseMessage(raw);
    const theirs = await PostalMime.parse(raw);
    const norm = (t: string) => t.replace(/\r\n/g, '\n').replace(/\n+$/, '');
    assert.equal(norm(ours.text), norm(theirs.text ?? ''));
    assert.equal(ours.subject, (theirs.subject ?? '').replace(/\s+/g, ' ').trim());
    assert.equal(ours.messageId, theirs.messageId?.replace(/^<|>$/g, '') ?? null);
  }
});

test('an HTML alternative in an unknown charset does not make the mail unreadable', async () => {
  const m = mail({
    subject: '[PATCH] sched: alt', body: [
      '--ALT', 'Content-Type: text/plain; charset=utf-8', '', body, '--ALT', 'Content-Type: text/html; charset=x-klingon-9', '', '<p>hi</p>', '--ALT--', '',
    ].join('\n'), headers: ['MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary=ALT'],
  });
  check(await ingestInputs([writeTemp('alt.eml', m)]));
});

test('a mail with two patch attachments is a series of two with the mail as its cover', async () => {
  const fp = `From ${'c'.repeat(40)} Mon Sep 17 00:00:00 2001\nFrom: Inner Author <ia@x>\nDate: Mon, 4 Mar 2024 09:00:00 +0000\nSubject: [PATCH 1/2] mm: first\n\nFirst message.\n---\n${diffFor('mm/a.c', 30)}-- \n2.43.0\n`;
  const m = mail({
    subject: '[PATCH v3] mm: two fixes', messageId: 'carrier@x', body: multipart([
      'Content-Type: text/plain; charset=utf-8\n\nTwo fixes attached.\n',
      `Content-Type: text/x-patch; name="0001-mm-first.patch"\nContent-Disposition: attachment; filename="0001-mm-first.patch"\n\n${fp}`,
      `Content-Type: text/x-diff; name="0002-mm-second.patch"\nContent-Disposition: attachment; filename="0002-mm-second.patch"\n\n${diffFor('mm/b.c', 40)}`,
    ]), headers: ['MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="XyZ"'],
  });
  const r = await ingestInputs([writeTemp('two.eml', m)]);
  assert.equal(r.series.length, 1);
  const s = r.series[0]!;
  assert.equal(s.version, 3);
  assert.match(s.cover ?? '', /Two fixes attached/);
  assert.deepEqual(s.patches.map((p) => [p.index, p.total, p.subject]), [[1, 2, 'mm: first'], [2, 2, 'mm-second']]);
  assert.deepEqual(s.patches[0]!.from, { name: 'Inner Author', email: 'ia@x' });
  assert.equal(s.patches[0]!.commit, 'c'.repeat(40));
  assert.match(s.patches[0]!.description, /^First message\./);
  assert.equal(s.patches[1]!.files[0]!.hunks[0]!.lines.find((l) => l.kind === 'add')!.newLine, 40);
});
