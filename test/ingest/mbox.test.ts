// The streaming mbox splitter: exact bytes and start lines of each message on the awkward inputs
// (CRLF, mboxrd quoting, unquoted body `From ` lines, no final newline, empty input), whatever
// the sizes of the chunks it is fed. The splitter works on byte ranges of the read chunks; a plain
// line-by-line reading of the rules at the top of src/ingest/mbox.ts (`byLines` below) is the
// reference it must agree with byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitMbox } from '../../src/ingest/mbox.js';
import { ingestInputs } from '../../src/ingest/index.js';
import { diffFor, mbox, patchBody, writeTemp } from './builders.js';

interface Split { raw: string; line: number }

async function* inChunks(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function split(input: string | Buffer, sizes: number[] = [65536]): Promise<Split[]> {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const out: Split[] = [];
  for await (const m of splitMbox(inChunks(bytes, sizes))) out.push({ raw: m.raw.toString('latin1'), line: m.line });
  return out;
}

/** The rules, one line at a time: lines end at LF (a last line without one counts), one CR
 *  before the LF goes, a `From ` line with a hh:mm time at the start or after an empty line opens
 *  a message, `>+From ` loses one `>`, and the empty (or lone-CR) lines ending a message go,
 *  keeping one if that is all it holds. */
function byLines(input: string): Split[] {
  const lines = input.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: Split[] = [];
  let cur: string[] = [];
  let start = 0;
  let prevEmpty = true;
  const flush = () => {
    while (cur.length > 1 && (cur[cur.length - 1] === '' || cur[cur.length - 1] === '\r')) cur.pop();
    if (cur.length) out.push({ raw: cur.map((l) => l + '\n').join(''), line: start });
    cur = [];
  };
  lines.forEach((raw, i) => {
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (prevEmpty && line.length > 5 && /^From \S+ +.*\b\d{1,2}:\d\d/.test(line.slice(0, 200))) {
      flush();
      start = i;
    } else if (/^>+From /.test(line.slice(0, 64))) {
      line = line.slice(1);
    }
    cur.push(line);
    prevEmpty = line === '';
  });
  flush();
  return out;
}

const SEP1 = 'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001';
const SEP2 = 'From ada@example.org Thu Jan  1 12:34:56 1970';
const CHUNKINGS = [[1], [2], [3], [4], [5], [6], [7], [1, 7, 3, 2, 5], [64], [65536]];

async function assertSplits(input: string, expected: Split[]): Promise<void> {
  assert.deepEqual(byLines(input), expected, 'the line-by-line reading agrees with the expectation');
  for (const sizes of CHUNKINGS) assert.deepEqual(await split(input, sizes), expected, `chunks of ${sizes.join(',')} bytes`);
}

test('CRLF mbox: CRs go, the separating empty line goes, start lines count every line', async () => {
  const input = `${SEP1}\r\nSubject: a\r\n\r\nbody a\r\n\r\n${SEP2}\r\nSubject: b\r\n\r\nbody b\r\n`;
  await assertSplits(input, [
    { raw: `${SEP1}\nSubject: a\n\nbody a\n`, line: 0 },
    { raw: `${SEP2}\nSubject: b\n\nbody b\n`, line: 5 },
  ]);
});

test('mboxrd: >From and >>From lose one >; other > lines and a lone CR inside a line stay', async () => {
  const input = `${SEP1}\n\n>From here\n>>From there\n> From not quoting\n>Fromage\n>>>\nmid\rline\n`;
  await assertSplits(input, [{ raw: `${SEP1}\n\nFrom here\n>From there\n> From not quoting\n>Fromage\n>>>\nmid\rline\n`, line: 0 }]);
});

test('a body From line splits only after an empty line and only with a time in it', async () => {
  const notAfterEmpty = `text\n${SEP2}`; // a separator-looking line inside a paragraph
  const noTime = 'From the looks of it, fine.';
  const input = `${SEP1}\nSubject: a\n\n${notAfterEmpty}\n\n${noTime}\n\n${SEP2}\nSubject: b\n`;
  await assertSplits(input, [
    { raw: `${SEP1}\nSubject: a\n\n${notAfterEmpty}\n\n${noTime}\n`, line: 0 },
    { raw: `${SEP2}\nSubject: b\n`, line: 8 },
  ]);
});

test('a separator after a CRLF empty line, and lone-CR lines, at the end of a message', async () => {
  const input = `${SEP1}\nx\n\r\r\n\r\n${SEP2}\ny\n\n\n`;
  await assertSplits(input, [
    { raw: `${SEP1}\nx\n`, line: 0 },
    { raw: `${SEP2}\ny\n`, line: 4 },
  ]);
});

test('no final newline: the last line still ends with LF (its CR dropped)', async () => {
  await assertSplits(`${SEP1}\nlast`, [{ raw: `${SEP1}\nlast\n`, line: 0 }]);
  await assertSplits(`${SEP1}\nlast\r`, [{ raw: `${SEP1}\nlast\n`, line: 0 }]);
  await assertSplits(`${SEP1}\n\n${SEP2}`, [{ raw: `${SEP1}\n`, line: 0 }, { raw: `${SEP2}\n`, line: 2 }]);
});

test('empty input yields nothing; text before the first separator is a message at line 0', async () => {
  await assertSplits('', []);
  await assertSplits(`preamble\n\n${SEP1}\nx\n`, [{ raw: 'preamble\n', line: 0 }, { raw: `${SEP1}\nx\n`, line: 2 }]);
  await assertSplits('\n\n\n', [{ raw: '\n', line: 0 }]);
});

test('string chunks are taken as latin1 bytes; 8-bit bytes pass through unchanged', async () => {
  const input = `${SEP1}\nJ\u00f6rg \u00ff\n`;
  const got: Split[] = [];
  async function* strings(): AsyncGenerator<string> { yield input.slice(0, 40); yield input.slice(40); }
  for await (const m of splitMbox(strings())) got.push({ raw: m.raw.toString('latin1'), line: m.line });
  assert.deepEqual(got, [{ raw: input, line: 0 }]);
});

test('random mixes of separators, quoting, CRs and empty lines split the same in any chunking', async () => {
  const pieces = ['\n', '\n', '\n', '\r\n', '\r', '\r\r\n', SEP1, SEP2, 'From the top', 'From a 1:23', '>From ', '>>From x', '>'.repeat(58) + 'From ', '>'.repeat(59) + 'From ', 'F', 'Fro', '>', 'body text', ' ', 'From x ' + 'y'.repeat(190) + ' 12:00', 'From x ' + 'y'.repeat(200) + ' 12:00'];
  let seed = 20240304;
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let round = 0; round < 400; round++) {
    let input = '';
    for (let i = next(30); i > 0; i--) input += pieces[next(pieces.length)];
    const expected = byLines(input);
    for (const sizes of [[1 + next(7)], [1 + next(7), 1 + next(7), 1 + next(64)], [65536]]) {
      assert.deepEqual(await split(input, sizes), expected, `round ${round}, chunks of ${sizes.join(',')}: ${JSON.stringify(input)}`);
    }
  }
});

test('To and Cc of a patch from an mbox: folded, quoted, encoded; copies and JSON hold the lists', async () => {
  const m = [
    'From: Ada Dev <ada@example.org>',
    'To: Linus Torvalds <torvalds@example.org>,',
    ' "Doe, Jane" <jane@example.org>',
    'Cc: =?UTF-8?Q?J=C3=B6rg_R=C3=B6del?= <joro@example.org>, linux-kernel@vger.kernel.org,',
    '\tstable@example.org (Stable list), Bob <bob@example.org>',
    'Subject: [PATCH] mm: fix the lock',
    'Date: Mon, 4 Mar 2024 10:00:00 +0000',
    'Message-ID: <p1@x>',
    '',
    patchBody('mm: fix the lock', diffFor('mm/x.c', 20)),
  ].join('\n');
  const path = writeTemp('rcpt.mbox', mbox([m]));
  const patch = (await ingestInputs([path])).series[0]!.patches[0]!;
  const to = ['Linus Torvalds <torvalds@example.org>', 'Doe, Jane <jane@example.org>'];
  const cc = ['Jörg Rödel <joro@example.org>', 'linux-kernel@vger.kernel.org', 'Stable list <stable@example.org>', 'Bob <bob@example.org>'];
  assert.deepEqual(patch.to, to);
  assert.deepEqual(patch.cc, cc);
  const copy = { ...patch };
  assert.deepEqual(Object.getOwnPropertyDescriptor(copy, 'cc')?.value, cc, 'a spread copy holds a plain array');
  assert.deepEqual(JSON.parse(JSON.stringify(patch)).cc, cc);
  assert.deepEqual(structuredClone(patch).to, to);
  patch.cc = ['other@example.org'];
  assert.deepEqual(patch.cc, ['other@example.org'], 'the lists can be assigned like plain fields');
  assert.deepEqual(copy.cc, cc);
});
