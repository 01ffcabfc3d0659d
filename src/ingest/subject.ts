// Subject prefixes of patch mail: `[PATCH v3 2/7]`, `[RFC PATCH]`, `[PATCH net-next 3/7]`,
// `[PATCH RESEND]`, `[PATCH v2 RFC 2/4]`, `[PATCH 6.12 123/456]`, `[tip: irq/core]`, `Re: ...`.
// Every leading [...] group is removed from the subject; only groups that look like patch tags
// (PATCH, RFC, vN, M/N) are read for version and position, the others' words become prefixes.

export interface SubjectInfo {
  subject: string; // without reply markers and [..] groups
  reply: boolean; // Re:/Aw:/Fwd: in front
  patchTag: boolean; // a [PATCH ...] / [RFC ...] group was present
  version: number; // 1 when absent
  index: number | null; // M of M/N
  total: number | null; // N of M/N
  prefixes: string[]; // other words: RFC, RESEND, net-next, 6.12 ...
}

const REPLY = /^(?:re|aw|sv|antw|fwd?|wg)\s*(?:\[\d+\])?\s*:\s*/i;

export function parseSubject(raw: string): SubjectInfo {
  let s = raw.trim();
  let reply = false;
  const info: SubjectInfo = { subject: '', reply: false, patchTag: false, version: 1, index: null, total: null, prefixes: [] };
  for (;;) {
    const r = s.match(REPLY);
    if (r) {
      reply = true;
      s = s.slice(r[0].length).trimStart();
      continue;
    }
    const g = s.match(/^\[([^\]]*)\]\s*/);
    if (!g) break;
    s = s.slice(g[0].length);
    readGroup(g[1]!, info);
  }
  info.reply = reply;
  info.subject = s.trim();
  return info;
}

function readGroup(group: string, info: SubjectInfo): void {
  const words = group.trim().split(/[\s,]+/).filter(Boolean);
  const tagLike = words.some((w) => /^(?:PATCH|RFC|RESEND)$/i.test(w) || /^v\d+$/i.test(w) || /^\d+\/\d+$/.test(w));
  if (!tagLike) {
    if (group.trim()) info.prefixes.push(group.trim());
    return;
  }
  for (const w of words) {
    let m: RegExpMatchArray | null;
    if (/^PATCH(?:ES)?$/i.test(w)) info.patchTag = true;
    else if ((m = w.match(/^v(\d+)$/i))) info.version = Number(m[1]);
    else if ((m = w.match(/^(\d+)\/(\d+)$/))) {
      info.index = Number(m[1]);
      info.total = Number(m[2]);
    } else {
      if (/^RFC$/i.test(w)) info.patchTag = true;
      info.prefixes.push(w.toUpperCase() === 'RFC' || w.toUpperCase() === 'RESEND' ? w.toUpperCase() : w);
    }
  }
}
