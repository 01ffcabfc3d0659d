// Series grouping of public-inbox mail: shallow and deep threading, a v2 threaded to v1, late
// patches of a reviewed series, unthreaded patches, and the subject tags that make a posting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupSeries, parseSubjectTag, patchMailInfo, type GroupableMessage } from '../../src/ingest/public-inbox.js';

function msg(id: string, index: number, total: number, parent: string | null, extra: Partial<GroupableMessage> = {}): GroupableMessage {
  return { messageId: id, author: 'jane@example.org', inReplyTo: parent, references: parent ? [parent] : [], version: 1, index, total, ...extra };
}

test('subject tags: what is a posting, its version and its M/N', () => {
  assert.deepEqual(parseSubjectTag('[PATCH v3 2/7] mm: foo'), { version: 3, index: 2, total: 7, subject: 'mm: foo' });
  assert.deepEqual(parseSubjectTag('[RFC PATCH net-next 0/4] net: bar'), { version: 1, index: 0, total: 4, subject: 'net: bar' });
  assert.deepEqual(parseSubjectTag('[PATCH 6.13 512/623] xfrm: baz'), { version: 1, index: 512, total: 623, subject: 'xfrm: baz' });
  assert.deepEqual(parseSubjectTag('[PATCH] lone'), { version: 1, index: 1, total: 1, subject: 'lone' });
  assert.equal(parseSubjectTag('Re: [PATCH v2 1/2] mm: foo'), null);
  assert.equal(parseSubjectTag('[GIT PULL] locking fixes'), null);
  assert.equal(parseSubjectTag('[tip: irq/core] irq_work: Fix'), null);
  assert.equal(parseSubjectTag('plain mail'), null);
});

test('headers of a patch mail, RFC 2047 subject and folded References', () => {
  const raw = Buffer.from(
    'From: =?UTF-8?B?Wm/Dqw==?= <Zoe@Example.org>\nSubject: [PATCH v2 1/2]\n =?UTF-8?Q?caf=C3=A9=3A_fix?=\nMessage-ID: <p1@x>\nIn-Reply-To: <c0@x>\nReferences: <v1@x>\n\t<c0@x>\n\nbody\n',
  );
  assert.deepEqual(patchMailInfo(raw), { messageId: 'p1@x', subject: 'café: fix', author: 'zoe@example.org', inReplyTo: 'c0@x', references: ['v1@x', 'c0@x'], version: 2, index: 1, total: 2 });
});

test('shallow and deep threading give one series; a cover letter keys it', () => {
  const shallow = groupSeries([msg('c0', 0, 3, null), msg('p1', 1, 3, 'c0'), msg('p2', 2, 3, 'c0'), msg('p3', 3, 3, 'c0')]);
  assert.equal(shallow.length, 1);
  assert.equal(shallow[0]!.key, 'c0');
  assert.equal(shallow[0]!.complete, true);
  const deep = groupSeries([msg('p1', 1, 3, null), msg('p2', 2, 3, 'p1'), msg('p3', 3, 3, 'p2')]);
  assert.equal(deep.length, 1);
  assert.equal(deep[0]!.key, 'p1');
  assert.equal(deep[0]!.complete, true);
});

test('a v2 threaded to v1 is its own series; a missing patch keeps it incomplete', () => {
  const groups = groupSeries([
    msg('v1c', 0, 2, null),
    msg('v1p1', 1, 2, 'v1c'),
    msg('v1p2', 2, 2, 'v1c'),
    msg('v2c', 0, 2, 'v1c', { version: 2 }),
    msg('v2p1', 1, 2, 'v2c', { version: 2, references: ['v1c', 'v2c'] }),
  ]);
  assert.equal(groups.length, 2);
  const v2 = groups.find((g) => g.version === 2)!;
  assert.equal(v2.key, 'v2c');
  assert.equal(v2.complete, false);
  assert.deepEqual(v2.missing, [2]);
});

test('a late patch lands in the reviewed series it belongs to; unthreaded patches join their posting', () => {
  const known = new Map([['c0', { messageId: 'c0', version: 1, total: 2, index: 0, seriesKey: 'c0' }]]);
  const late = groupSeries([msg('p2', 2, 2, 'c0')], known);
  assert.equal(late[0]!.key, 'c0');
  const loose = groupSeries([msg('c0', 0, 2, null), msg('p1', 1, 2, 'c0'), msg('p2', 2, 2, null)]);
  assert.equal(loose.length, 1);
  assert.equal(loose[0]!.complete, true);
  // Another author's patches with the same shape are not mixed in.
  const other = groupSeries([msg('c0', 0, 2, null), msg('p1', 1, 2, 'c0'), msg('q2', 2, 2, null, { author: 'bob@example.org' })]);
  assert.equal(other.length, 2);
});
