// Series assembly from mail: threading, subject prefixes, revisions, missing patches, loops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestInputs, ingestMessages, parseMessage, parseSubject } from '../../src/ingest/index.js';
import { diffFor, mail, mbox, patchBody, writeTemp } from './builders.js';

test('subject prefixes: version, position, RFC, tree names, RESEND, reply markers', () => {
  const cases: Array<[string, Partial<ReturnType<typeof parseSubject>>]> = [
    ['[PATCH v3 2/7] mm: x', { subject: 'mm: x', version: 3, index: 2, total: 7, prefixes: [], reply: false, patchTag: true }],
    ['[RFC PATCH] mm: y', { subject: 'mm: y', version: 1, index: null, prefixes: ['RFC'], patchTag: true }],
    ['[PATCH net-next 3/7] net: z', { version: 1, index: 3, total: 7, prefixes: ['net-next'] }],
    ['[PATCH RESEND] a: b', { prefixes: ['RESEND'], index: null }],
    ['[PATCH v2 RFC 2/4] a: b', { version: 2, index: 2, total: 4, prefixes: ['RFC'] }],
    ['Re: [PATCH v2 1/3] a: b', { reply: true, version: 2, index: 1, subject: 'a: b' }],
    ['RE: Re: [PATCH] a: b', { reply: true, subject: 'a: b' }],
    ['[RFC][PATCH 0/3] cover', { index: 0, total: 3, prefixes: ['RFC'] }],
  ];
  for (const [raw, want] of cases) {
    const got = parseSubject(raw);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((got as never)[k], v, `${raw}: ${k}`);
  }
});

function seriesMails(version: number, opts: { skip?: number[]; resend?: boolean; idp?: string; date?: string } = {}): string[] {
  const v = version > 1 ? `v${version} ` : '';
  const tag = opts.resend ? 'PATCH RESEND' : 'PATCH';
  const idp = opts.idp ?? `v${version}`;
  const cover = `${idp}-0@x`;
  const out = [
    mail({ subject: `[${tag} ${v}0/3] lock: fix the rmap bit lock`, messageId: cover, date: opts.date, body: `Cover text for v${version}.\n\nbase-commit: ${'b'.repeat(40)}\n` }),
  ];
  for (let i = 1; i <= 3; i++) {
    if (opts.skip?.includes(i)) continue;
    out.push(mail({
      subject: `[${tag} ${v}${i}/3] lock: part ${i}`,
      messageId: `${idp}-${i}@x`,
      inReplyTo: cover,
      references: [cover],
      date: opts.date,
      body: patchBody(`lock: part ${i} (v${version})`, diffFor(`mm/part${i}.c`, 10 * i + version)),
    }));
  }
  return out;
}

test('cover + 3 patches + a review reply + a v2 resend: v2 is reviewed, with a note', async () => {
  const v1 = seriesMails(1, { date: 'Mon, 4 Mar 2024 10:00:00 +0000' });
  const review = mail({
    subject: 'Re: [PATCH 2/3] lock: part 2', messageId: 'rev@x', inReplyTo: 'v1-2@x', references: ['v1-0@x', 'v1-2@x'],
    body: '> +\tspin_lock(&lock);\n\nThis can deadlock.\n\nReviewed-by: Bo <bo@x>\n',
  });
  const v2 = seriesMails(2, { date: 'Tue, 5 Mar 2024 10:00:00 +0000' });
  const r = await ingestInputs([writeTemp('thread.mbox', mbox([...v1, review, ...v2]))]);
  assert.equal(r.series.length, 1);
  const s = r.series[0]!;
  assert.equal(s.version, 2);
  assert.equal(s.subject, 'lock: fix the rmap bit lock');
  assert.equal(s.messageId, 'v2-0@x');
  assert.equal(s.cover?.startsWith('Cover text for v2.'), true);
  assert.equal(s.baseCommit, 'b'.repeat(40));
  assert.deepEqual(s.patches.map((p) => [p.index, p.total, p.subject, p.messageId]), [
    [1, 3, 'lock: part 1', 'v2-1@x'], [2, 3, 'lock: part 2', 'v2-2@x'], [3, 3, 'lock: part 3', 'v2-3@x'],
  ]);
  // v2 of part 2 changes line 22 (10*2+2).
  assert.equal(s.patches[1]!.files[0]!.hunks[0]!.lines.find((l) => l.kind === 'add')!.newLine, 22);
  assert.ok(s.notes.some((n) => /reviewing v2 .*skipped v1 \(3 patches\)/.test(n)), s.notes.join('\n'));
  assert.ok(r.notes.some((n) => /skipped 1 mail without a patch/.test(n)));
});

test('a newer but incomplete revision loses to the newest complete one, and says so', async () => {
  const r = await ingestInputs([writeTemp('t.mbox', mbox([...seriesMails(1), ...seriesMails(2), ...seriesMails(3, { skip: [2] })]))]);
  const s = r.series[0]!;
  assert.equal(s.version, 2);
  assert.ok(s.notes.some((n) => /reviewing v2 .*newer ones are incomplete.*v3 .*incomplete/.test(n)), s.notes.join('\n'));
});

test('missing patches of an M/N series are reported, not fatal', async () => {
  const r = await ingestInputs([writeTemp('m.mbox', mbox(seriesMails(1, { skip: [2] })))]);
  const s = r.series[0]!;
  assert.deepEqual(s.missing, [2]);
  assert.deepEqual(s.patches.map((p) => p.index), [1, 3]);
  assert.ok(s.notes.some((n) => /patch 2 of 3 missing/.test(n)));
});

test('RESEND of the same version replaces the earlier posting (latest wins)', async () => {
  const first = seriesMails(1, { date: 'Mon, 4 Mar 2024 10:00:00 +0000' });
  const resend = seriesMails(1, { resend: true, idp: 'rs', date: 'Mon, 11 Mar 2024 10:00:00 +0000' });
  const r = await ingestInputs([writeTemp('r.mbox', mbox([...first, ...resend]))]);
  assert.equal(r.series.length, 1);
  assert.equal(r.series[0]!.patches[0]!.messageId, 'rs-1@x');
  assert.ok(r.series[0]!.notes.some((n) => /several revisions/.test(n)));
});

test('unrelated patches in one input become several series', async () => {
  const a = mail({ subject: '[PATCH] net: fix a', messageId: 'a@x', body: patchBody('a', diffFor('net/a.c')) });
  const b = mail({ subject: '[PATCH v2] fs: fix b', messageId: 'b@x', body: patchBody('b', diffFor('fs/b.c')) });
  const r = await ingestInputs([writeTemp('u.mbox', mbox([a, b]))]);
  assert.deepEqual(r.series.map((s) => [s.subject, s.version]), [['net: fix a', 1], ['fs: fix b', 2]]);
});

test('a References loop terminates and still yields the series', async () => {
  const p1 = mail({ subject: '[PATCH 1/2] x: a', messageId: 'l1@x', inReplyTo: 'l2@x', references: ['l2@x'], body: patchBody('a', diffFor('a.c')) });
  const p2 = mail({ subject: '[PATCH 2/2] x: b', messageId: 'l2@x', inReplyTo: 'l1@x', references: ['l1@x'], body: patchBody('b', diffFor('b.c')) });
  const self = mail({ subject: '[PATCH] y', messageId: 's@x', inReplyTo: 's@x', references: ['s@x', 's@x'], body: patchBody('y', diffFor('y.c')) });
  const r = await ingestInputs([writeTemp('loop.mbox', mbox([p1, p2, self]))]);
  assert.equal(r.series.length, 2);
  assert.deepEqual(r.series[0]!.patches.map((p) => p.index), [1, 2]);
});

test('replies with a diff are not patches; trailers-only mails are not patches', async () => {
  const p = mail({ subject: '[PATCH] x: fix', messageId: 'p@x', body: patchBody('x', diffFor('x.c')) });
  const sketch = mail({ subject: 'Re: [PATCH] x: fix', messageId: 'q@x', inReplyTo: 'p@x', body: 'How about:\n\n' + diffFor('other.c') });
  const acked = mail({ subject: '[PATCH] x: fix', messageId: 'ack@x', inReplyTo: 'p@x', body: 'Acked-by: Z <z@x>\n' });
  const r = await ingestInputs([writeTemp('t.mbox', mbox([p, sketch, acked]))]);
  assert.equal(r.series.length, 1);
  assert.deepEqual(r.series[0]!.patches[0]!.files.map((f) => f.newPath), ['x.c']);
  assert.ok(r.notes.some((n) => /skipped 1 reply carrying a diff/.test(n)));
});

test('ingestMessages assembles messages another door parsed', () => {
  const msgs = seriesMails(1).map((m) => parseMessage(Buffer.from(m)));
  const r = ingestMessages(msgs, 'public-inbox:lkml');
  assert.equal(r.series[0]!.patches.length, 3);
  assert.equal(r.series[0]!.source, 'public-inbox:lkml');
  assert.throws(() => ingestMessages([parseMessage(Buffer.from(mail({ subject: 'hello', body: 'hi\n' })))], 'src'), /no patch found/);
});

test('backports of one fix to two stable trees are two series; RFC then v2 are one', async () => {
  const a = mail({ subject: '[PATCH 5.15 20/107] net: fix x', messageId: 's1@x', body: patchBody('x', diffFor('net/x.c')) });
  const b = mail({ subject: '[PATCH 6.1 30/200] net: fix x', messageId: 's2@x', body: patchBody('x', diffFor('net/x.c', 12)) });
  const r = await ingestInputs([writeTemp('st.mbox', mbox([a, b]))]);
  assert.deepEqual(r.series.map((s) => s.prefixes), [['5.15'], ['6.1']]);
  const rfc = mail({ subject: '[RFC PATCH] mm: y', messageId: 'r1@x', body: patchBody('y', diffFor('mm/y.c')) });
  const v2 = mail({ subject: '[PATCH v2] mm: y', messageId: 'r2@x', body: patchBody('y', diffFor('mm/y.c', 14)) });
  const r2 = await ingestInputs([writeTemp('rfc.mbox', mbox([rfc, v2]))]);
  assert.equal(r2.series.length, 1);
  assert.equal(r2.series[0]!.version, 2);
});
