#!/usr/bin/env node
// Section 3 of bench/run.mjs alone, plus the scan's peak RSS: `lockreview scan` over virt/,
// arch/x86/kvm/, kernel/, mm/ against a bare tree-sitter parse of the same files, runs alternated
// so that both see the same machine load. Usage: node bench/scan.mjs [--runs N] [--workers N]
// (--workers sets LOCKREVIEW_WORKERS for the scan). Prints a table; writes nothing.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, BIN, OUT, ensureLinuxSource, timeCommand, peakRssMb, cFiles, countLines, table } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Number(opt('--runs')) || 3;
const env = opt('--workers') ? { ...process.env, LOCKREVIEW_WORKERS: opt('--workers') } : process.env;
const node = process.execPath;
const linux = ensureLinuxSource();
const dirs = ['virt', 'arch/x86/kvm', 'kernel', 'mm'].map((d) => join(linux, d));
const files = cFiles(dirs);
mkdirSync(OUT, { recursive: true });
const listFile = join(OUT, 'scan-files.txt');
writeFileSync(listFile, files.join('\n'));
const lines = countLines(files);

const scanTimes = [];
const bareTimes = [];
for (let i = 0; i < runs; i++) {
  const scan = timeCommand(node, [BIN, 'scan', '--format', 'json', '--fail-on', 'never', ...dirs], 1, { env });
  if (scan.status !== 0) throw new Error(`scan failed: ${scan.stderr.slice(0, 300)}`);
  scanTimes.push(scan.median);
  const bare = timeCommand(node, [join(ROOT, 'bench', 'bare-parse.mjs'), listFile], 1);
  if (bare.status !== 0) throw new Error(`bare parse failed: ${bare.stderr}`);
  bareTimes.push(bare.median);
  console.error(`run ${i + 1}: scan ${scan.median.toFixed(0)} ms (${scan.stderr.trim().split('\n').pop()}), bare ${bare.median.toFixed(0)} ms`);
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const scanMs = median(scanTimes);
const bareMs = median(bareTimes);
const rss = peakRssMb(node, [BIN, 'scan', '--format', 'json', '--fail-on', 'never', ...dirs], { env });
console.log(table([
  ['run', 'files', 'lines', 'ms', 'lines/s'],
  ['lockreview scan', files.length, lines, scanMs.toFixed(0), Math.round(lines / (scanMs / 1000))],
  ['bare tree-sitter parse', files.length, lines, bareMs.toFixed(0), Math.round(lines / (bareMs / 1000))],
]));
console.log(`\nRatio (lockreview speed / bare parse speed): ${(bareMs / scanMs).toFixed(2)} (goal >= 0.5). Peak RSS of the scan: ${rss?.toFixed(0) ?? 'n/a'} MB (goal < 400).`);
