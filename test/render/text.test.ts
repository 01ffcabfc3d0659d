import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderText } from '../../src/render/text.js';
import { report, rmapFinding } from './sample-report.js';

test('text: gcc-style line, then the interleaving as an aligned CPU0/CPU1 table and the litmus verdict', () => {
  const out = renderText(report([rmapFinding()]));
  const lines = out.split('\n');
  assert.equal(lines[0], '== patch 1/1: KVM: x86/mmu: Add a lock bit to rmap heads');
  assert.match(lines[1]!, /^arch\/x86\/kvm\/mmu\/mmu\.c:42: warning: bit lock KVM_RMAP_LOCKED .* \[bitlock-unlock-without-release\]$/);
  assert.ok(lines.includes('    in function kvm_rmap_unlock()'));
  const header = lines.find((l) => /^\s+CPU0\s+CPU1$/.test(l));
  assert.ok(header, out);
  const col1 = header!.indexOf('CPU1');
  // CPU1's steps start exactly under the CPU1 title; CPU0's at the left column.
  const cpu1Step = lines.find((l) => l.includes('old_val = kvm_rmap_lock(rmap_head);'))!;
  assert.equal(cpu1Step.indexOf('old_val'), col1);
  const cpu0Step = lines.find((l) => l.includes('WRITE_ONCE(rmap_head->val, new_val);'))!;
  assert.equal(cpu0Step.indexOf('WRITE_ONCE'), header!.indexOf('CPU0'));
  assert.match(out, /\/\* not ordered after the store above \*\//);
  assert.match(out, /CPU1 walks a pte_list_desc/);
  assert.match(out, /litmus test \(lockreview-lkmm: Sometimes, the bad outcome is allowed; 1 of 4 executions\):/);
  assert.match(out, /\n\s+exists \(1:r0=0 \/\\ 1:r1=0\)\n/);
  assert.equal(lines.at(-2), '1 finding in 1 patch');
  assert.doesNotMatch(out, /\x1b\[/, 'no colour unless asked');
});

test('text: colour only when asked; suppressed findings are one line and not counted', () => {
  const r = report([rmapFinding(), rmapFinding({ id: 'x2', line: 90, suppressed: { reason: 'mmu_lock held', line: 89 } })]);
  const plain = renderText(r);
  assert.match(plain, /mmu\.c:90: warning: .* \(suppressed: mmu_lock held\)\n/);
  assert.match(plain, /1 finding in 1 patch \(1 suppressed\)/);
  const coloured = renderText(r, { color: true });
  assert.match(coloured, /\x1b\[1;35mwarning\x1b\[0m/);
});

test('text: findings are grouped by patch in order, a call chain is indented, a splat is shown with its configs', () => {
  const f2 = rmapFinding({
    id: 'p2',
    patch: 2,
    ruleId: 'atomic-sleep-in-spinlock',
    class: 'atomic-sleep',
    severity: 'error',
    file: 'drivers/tty/serial/st-asc.c',
    line: 7,
    endLine: 7,
    message: 'gpiod_get() may sleep under port->lock',
    reproduction: { interleaving: null, litmus: null, verdict: null, chain: ['asc_set_termios()', 'spin_lock_irqsave(&port->lock)', 'gpiod_get()'], splat: 'BUG: sleeping function called from invalid context', configs: ['CONFIG_DEBUG_ATOMIC_SLEEP'] },
  });
  const r = report([f2, rmapFinding()], { stats: { patches: 2, files: 2, functions: 4, ms: 1 } });
  r.series[0]!.patches.push({ index: 2, total: 2, subject: 'serial: st-asc: gpio', messageId: null, files: [] });
  const out = renderText(r);
  assert.ok(out.indexOf('== patch 1/') < out.indexOf('== patch 2/2: serial: st-asc: gpio'));
  assert.match(out, /drivers\/tty\/serial\/st-asc\.c:7: error: gpiod_get\(\) may sleep under port->lock \[atomic-sleep-in-spinlock\]/);
  assert.match(out, /call chain:\n\s+asc_set_termios\(\)\n\s+-> spin_lock_irqsave/);
  assert.match(out, /splat \(with CONFIG_DEBUG_ATOMIC_SLEEP\):\n\s+BUG: sleeping function/);
  assert.match(out, /2 findings in 2 patches/);
});
