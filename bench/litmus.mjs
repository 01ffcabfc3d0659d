#!/usr/bin/env node
// Times the embedded LKMM checker over ../shared/lkmm (kernel/ and variants/): each test is
// decided several times and the median and worst wall time per test are reported, with the
// overall median (goal: under 50 ms per test). A script, not a test: timings are not asserted.
// Run from the repository root after building: `npx tsc -p . && node bench/litmus.mjs [runs]`.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const shared = join(root, '..', 'shared', 'lkmm');
const built = join(root, 'build', 'litmus', 'index.js');
if (!existsSync(built)) {
  console.error('bench/litmus.mjs: build/ is missing; run `npx tsc -p .` first');
  process.exit(2);
}
const { decideLitmus } = await import(built);
const runs = Math.max(1, Number(process.argv[2] ?? 5));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const rows = [];
for (const dir of ['kernel', 'variants']) {
  const d = join(shared, dir);
  for (const f of readdirSync(d).filter((x) => x.endsWith('.litmus')).sort()) {
    const text = readFileSync(join(d, f), 'utf8');
    const times = [];
    let outcome = '';
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      try {
        const r = decideLitmus(text, f);
        outcome = `${r.observation} ${r.positive} ${r.negative}`;
      } catch (e) {
        outcome = `error: ${e.message}`;
      }
      times.push(performance.now() - t0);
    }
    rows.push({ test: `${dir}/${f}`, median: median(times), worst: Math.max(...times), outcome });
  }
}

const fmt = (ms) => ms.toFixed(2).padStart(9);
const slowest = [...rows].sort((a, b) => b.median - a.median).slice(0, 10);
console.log(`lockreview-lkmm bench: ${rows.length} tests x ${runs} runs`);
console.log(`${'test'.padEnd(72)} ${'median ms'.padStart(9)} ${'worst ms'.padStart(9)}`);
for (const r of slowest) console.log(`${r.test.padEnd(72)} ${fmt(r.median)} ${fmt(r.worst)}`);
const meds = rows.map((r) => r.median);
const worst = Math.max(...rows.map((r) => r.worst));
const total = rows.reduce((a, r) => a + r.median, 0);
console.log('-'.repeat(92));
console.log(`${'all tests: median of medians'.padEnd(72)} ${fmt(median(meds))}`);
console.log(`${'all tests: worst single run'.padEnd(72)} ${fmt(worst)}`);
console.log(`${'all tests: sum of medians'.padEnd(72)} ${fmt(total)}`);
console.log(`goal: median < 50 ms per test -> ${median(meds) < 50 ? 'met' : 'NOT met'}`);
