// Streaming mbox splitter: yields one raw message at a time while reading, so a 50 MB archive is
// never held whole. Handles mboxo and mboxrd (`>From ` lines lose one `>`), CRLF files, and the
// `From <sha> Mon Sep 17 00:00:00 2001` separator of git format-patch.
// A separator is a `From ` line carrying a time, at the start of the input or after an empty line:
// a body `From ` line an mboxo writer left unquoted therefore does not split a message.

const FROM = Buffer.from('From ');
const QUOTED_FROM = /^>+From /;

// `From <addr-or-sha> <asctime>`: the date (a hh:mm time) tells a separator from a body line
// such as "From the looks of it" that an mboxo writer left unquoted.
const SEPARATOR = /^From \S+ +.*\b\d{1,2}:\d\d/;

function isSeparator(line: Buffer): boolean {
  // Byte tests first: this runs on every line of the archive, and almost none start with "From ".
  if (line.length <= 5 || line[0] !== 0x46 /* F */ || line[4] !== 0x20) return false;
  return line.compare(FROM, 0, 5, 0, 5) === 0 && SEPARATOR.test(line.toString('latin1', 0, Math.min(line.length, 200)));
}

function isEmpty(line: Buffer): boolean {
  return line.length === 0 || (line.length === 1 && line[0] === 0x0d);
}

/** Lines (without the LF) of a byte stream, read incrementally: one batch per chunk read, so
 *  that the consumer pays for one await per chunk, not one per line. */
export async function* streamLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer[]> {
  let rest: Buffer | null = null;
  for await (const c of chunks) {
    const chunk: Buffer = typeof c === 'string' ? Buffer.from(c, 'latin1') : c;
    const buf: Buffer = rest && rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const batch: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      batch.push(buf.subarray(start, nl));
      start = nl + 1;
    }
    if (batch.length) yield batch;
    // Copy the tail so the (large) chunk it came from can be collected.
    // (Buffer.copyBytesFrom: a native copy; Buffer.from(view) copies byte by byte.)
    rest = start < buf.length ? Buffer.copyBytesFrom(buf, start) : null;
  }
  if (rest && rest.length) yield [rest];
}

/** Messages of an mbox, each as raw bytes starting with its `From ` line, LF line ends. */
export async function* splitMbox(batches: AsyncIterable<Buffer[]>): AsyncGenerator<{ raw: Buffer; line: number }> {
  let cur: Buffer[] = [];
  let startLine = 0;
  let lineNo = 0;
  let prevEmpty = true;
  const flush = (): { raw: Buffer; line: number } | null => {
    if (!cur.length) return null;
    // Drop the empty line(s) that separate messages.
    while (cur.length > 1 && isEmpty(cur[cur.length - 1]!)) cur.pop();
    // One allocation per message: the lines are views into the read chunks until here.
    let size = 0;
    for (const l of cur) size += l.length + 1;
    const raw = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (const l of cur) {
      at += l.copy(raw, at);
      raw[at++] = 0x0a;
    }
    cur = [];
    return { raw, line: startLine };
  };
  for await (const batch of batches) {
    for (const rawLine of batch) {
      let line = rawLine;
      if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
      if (isSeparator(line) && (prevEmpty || cur.length === 0)) {
        const m = flush();
        if (m) yield m;
        startLine = lineNo;
        cur.push(line);
      } else {
        if (line[0] === 0x3e /* > */ && QUOTED_FROM.test(line.toString('latin1', 0, Math.min(line.length, 64)))) line = line.subarray(1);
        cur.push(line);
      }
      prevEmpty = line.length === 0;
      lineNo++;
    }
  }
  const m = flush();
  if (m) yield m;
}
