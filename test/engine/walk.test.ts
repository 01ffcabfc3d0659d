// The engine's walk over real C: contexts, branches, gotos, trylocks, guards, hunk fragments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnalysisEvent, Check, FunctionModel } from '../../src/engine/types.js';
import { runChecksOnPatch, runChecksOnSource } from '../helpers/check-tester.js';

function recorder(): { check: Check; fns: FunctionModel[]; events: AnalysisEvent[] } {
  const fns: FunctionModel[] = [];
  const events: AnalysisEvent[] = [];
  const check: Check = {
    meta: { id: 'engine-recorder', class: 'bitlock', severity: 'info', title: 'records', help: '', docs: [] },
    create: () => ({ onFunction: (fn) => void fns.push(fn), onEvent: (ev) => void events.push(ev) }),
  };
  return { check, fns, events };
}
const call = (evs: AnalysisEvent[], callee: string) => evs.find((e) => e.kind === 'call' && e.callee === callee)!;
const held = (e: AnalysisEvent) => e.ctx.locks.map((l) => `${l.lockClass}:${l.kind}`);

test('locks, gotos, trylock, guards and iterator loops are tracked', async () => {
  const r = recorder();
  await runChecksOnSource(
    `static DEFINE_RAW_SPINLOCK(glock);
int f(struct kvm *kvm, struct kvm_vcpu *v)
{
	spin_lock(&kvm->lock);
	if (kvm->err)
		goto out;
	mutex_lock(&v->mutex);
	list_for_each_entry(pos, &kvm->list, node) {
		foo(pos);
	}
	mutex_unlock(&v->mutex);
out:
	after_out();
	spin_unlock(&kvm->lock);
	if (!spin_trylock(&kvm->b))
		return -EBUSY;
	raw_spin_lock_irqsave(&glock, flags);
	guard(spinlock)(&kvm->c);
	return 0;
}`,
    { checks: [r.check] },
  );
  assert.deepEqual(held(call(r.events, 'foo')), ['kvm->lock:spinlock', 'kvm_vcpu::mutex:mutex']);
  assert.equal(call(r.events, 'foo').loops[0]!.kind, 'iterator');
  assert.deepEqual(held(call(r.events, 'after_out')), ['kvm->lock:spinlock']);
  assert.deepEqual(held(call(r.events, 'raw_spin_lock_irqsave')), ['kvm->b:spinlock']);
  const fn = r.fns[0]!;
  assert.deepEqual(fn.params.get('kvm'), 'struct kvm *');
  assert.deepEqual(
    fn.exits.map((e) => [e.kind, e.line, e.ctx.locks.map((l) => l.expr)]),
    [
      ['return', 16, []],
      ['return', 19, ['kvm->b', 'glock']],
    ],
  );
  const ret = r.events.filter((e) => e.kind === 'return').at(-1)!;
  assert.ok(ret.ctx.atomic.some((a) => a.kind === 'raw_spinlock' && a.onRT));
});

test('a hunk that starts mid-function is wrapped in a function named from the hunk header', async () => {
  const r = recorder();
  await runChecksOnPatch(
    `diff --git a/mm/x.c b/mm/x.c
--- a/mm/x.c
+++ b/mm/x.c
@@ -10,6 +10,7 @@ static void x_put(struct x *x)
 	spin_lock(&x->lock);
 	if (x->n) {
 		x->n--;
+		WRITE_ONCE(x->flag, 0);
 	}
 	spin_unlock(&x->lock);
 }
`,
    { checks: [r.check] },
  );
  assert.equal(r.fns.length, 1);
  assert.equal(r.fns[0]!.name, 'x_put');
  assert.equal(r.fns[0]!.partial, true);
  const w = call(r.events, 'WRITE_ONCE');
  assert.equal(w.line, 13);
  assert.equal(w.changed, true);
  assert.deepEqual(held(w), ['x->lock:spinlock']);
});

test('the task-list do/while iterator pairs keep the function whole (the next function is its own)', async () => {
  const r = recorder();
  await runChecksOnSource(
    `int attach(struct task_struct *leader, bool threadgroup)
{
	spin_lock_irq(&css_set_lock);
	rcu_read_lock();
	task = leader;
	do {
		add_src(task);
		if (!threadgroup)
			break;
	} while_each_thread(leader, task);
	rcu_read_unlock();
	spin_unlock_irq(&css_set_lock);
	return 0;
}

int kill_group(struct pid *pgrp)
{
	read_lock(&tasklist_lock);
	do_each_pid_task(pgrp, PIDTYPE_PGID, p) {
		kill_one(p);
	} while_each_pid_task(pgrp, PIDTYPE_PGID, p);
	read_unlock(&tasklist_lock);
	next_step();
	return 0;
}`,
    { checks: [r.check] },
  );
  assert.deepEqual(r.fns.map((f) => [f.name, f.startLine, f.endLine]), [['attach', 1, 14], ['kill_group', 16, 25]]);
  assert.deepEqual(held(call(r.events, 'add_src')), ['css_set_lock:spinlock']);
  assert.deepEqual(held(call(r.events, 'kill_one')), ['tasklist_lock:rwlock']);
  assert.equal(call(r.events, 'kill_one').loops.length, 1);
  assert.deepEqual(held(call(r.events, 'next_step')), []);
});
