// bitlock precision on shapes from the 6.12 driver sweep (docs/scan-6.12.md), each written as its
// own C. bitlock-wait-without-acquire: loops that poll a value this thread produces (a retry loop
// whose helper is handed the object it tests, a register copied into a local union) or read it
// under a lock the loop takes again are no waits for a hand-over and stay silent; the hand-over
// shapes next to them (a spin on another CPU's flag, a local waiter whose address escapes, a lock
// dropped before the test) keep firing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnSource } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/bitlock/index.js';

const WAIT = 'bitlock-wait-without-acquire';

const HEADER = `struct adapter_q {
	spinlock_t q_lock;
	int free_cnt;
	int free_head;
	int last_status;
	unsigned long flags;
	int result;
};
union ctl_reg {
	u32 all_bits;
	struct { u32 action:4; u32 rest:28; } bits;
};
struct waiter_node {
	struct task_struct *task;
	struct waiter_node *next;
};
#define Q_BUSY 1
#define RC_EBUSY 16
#define RESET_DONE 2
`;

async function ruleFindings(code: string, rule: string) {
  const findings = await runChecksOnSource(HEADER + code, { checks, file: 'drivers/net/acme/acme_q.c' });
  return findings.filter((f) => f.ruleId === rule);
}

test('a retry loop testing what its own helper call wrote is silent', async () => {
  const code = `
static int q_send_cmd_retry_lock(struct adapter_q *q, int cmd)
{
	int status, tries = 0;

	do {
		status = q_send_cmd(q, cmd);
		if (!status || q->last_status != RC_EBUSY)
			break;
		msleep(10);
	} while (++tries < 5);
	return status;
}
`;
  assert.deepEqual((await ruleFindings(code, WAIT)).map((f) => f.message), []);
});

test('a poll loop whose helper fills the caller\'s status word is silent', async () => {
  const code = `
static int port_wait_for_link(struct adapter_q *q, int port, u16 *portstatus)
{
	int status = 0, waited = 0;

	while (waited < 2000) {
		if (status || *portstatus & Q_BUSY)
			break;
		msleep(20);
		waited += 20;
		status = q_read_port_status(q, port, portstatus);
	}
	return status;
}
`;
  assert.deepEqual((await ruleFindings(code, WAIT)).map((f) => f.message), []);
});

test('a register copied into a local union and tested is silent', async () => {
  const code = `
static int q_wait_for_reset_lock(struct adapter_q *q, u32 __iomem *reg)
{
	union ctl_reg r;

	while (1) {
		msleep(100);
		r.all_bits = readl(reg);
		if (r.bits.action == RESET_DONE)
			break;
	}
	return q->result;
}
`;
  assert.deepEqual((await ruleFindings(code, WAIT)).map((f) => f.message), []);
});

test('a condition tested under the lock the loop takes again is silent', async () => {
  const code = `
static int q_submit_wait_for_slots(struct adapter_q *q, int count)
{
	unsigned long flags;
	int index;

	raw_spin_lock_irqsave(&q->q_lock, flags);
	while (q->free_cnt < count + 2) {
		raw_spin_unlock_irqrestore(&q->q_lock, flags);
		cpu_relax();
		raw_spin_lock_irqsave(&q->q_lock, flags);
	}
	index = READ_ONCE(q->free_head);
	raw_spin_unlock_irqrestore(&q->q_lock, flags);
	return index;
}
`;
  assert.deepEqual((await ruleFindings(code, WAIT)).map((f) => f.message), []);
});

test('a caller-held mutex dropped around the wait and taken again before the test is silent', async () => {
  const code = `
static int q_open_wait_for_excl(struct adapter_q *q, struct mutex *open_lock)
{
	int ret = 0;

	while (q->free_cnt > 0) {
		mutex_unlock(open_lock);
		ret = wait_event_interruptible(q->waitq, !q->free_cnt);
		mutex_lock(open_lock);
		if (ret)
			return ret;
	}
	return READ_ONCE(q->result);
}
`;
  assert.deepEqual((await ruleFindings(code, WAIT)).map((f) => f.message), []);
});

test('an exit tested between the unlock and the lock of that loop still fires', async () => {
  const code = `
static int q_wait_for_slots_unlocked(struct adapter_q *q, int count)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&q->q_lock, flags);
	for (;;) {
		raw_spin_unlock_irqrestore(&q->q_lock, flags);
		if (READ_ONCE(q->free_cnt) >= count)
			break;
		cpu_relax();
		raw_spin_lock_irqsave(&q->q_lock, flags);
	}
	return READ_ONCE(q->free_head);
}
`;
  assert.equal((await ruleFindings(code, WAIT)).length, 1);
});

test('a wait_for_* poll of a state word with nothing lock-like about it is silent', async () => {
  const code = `
#define HBA_OPERATIONAL 0
static int q_wait_for_outstanding(struct adapter_q *q)
{
	int i;

	for (i = 0; i < 180; i++) {
		msleep(1000);
		if (READ_ONCE(q->last_status) == HBA_OPERATIONAL)
			break;
	}
	return READ_ONCE(q->last_status) == HBA_OPERATIONAL ? 0 : -EIO;
}
`;
  assert.deepEqual((await ruleFindings(code, WAIT)).map((f) => f.message), []);
});

test('a spin until a descriptor stops reading -EBUSY is no lock wait', async () => {
  const code = `
struct tx_desc { int cookie; struct chan *chan; };
static int tx_wait_submitted(struct tx_desc *tx)
{
	while (tx->cookie == -EBUSY)
		cpu_relax();
	return chan_sync_wait(tx);
}
`;
  assert.deepEqual((await ruleFindings(code, WAIT)).map((f) => f.message), []);
});

test('hand-over waits next to those shapes keep firing', async () => {
  // A tracepoint handed the object does not make the loop a poll of its own call.
  const traced = `
static int q_wait_for_engine(struct adapter_q *q)
{
	while (test_bit(Q_BUSY, &q->flags)) {
		trace_q_spin(q);
		cpu_relax();
	}
	return READ_ONCE(q->result);
}
`;
  // An on-stack waiter whose address the waker gets: waiter.task is shared memory.
  const onStack = `
static void q_down_slowpath(struct adapter_q *q)
{
	struct waiter_node waiter;

	waiter.task = current;
	q_enqueue(q, &waiter);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (!waiter.task)
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	q->result = READ_ONCE(q->free_head);
}
`;
  // The lock is dropped before the test: the read is unordered again.
  const dropped = `
static int q_lock_wait_slots(struct adapter_q *q, int count)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&q->q_lock, flags);
	q->free_head++;
	raw_spin_unlock_irqrestore(&q->q_lock, flags);
	while (READ_ONCE(q->free_cnt) < count)
		cpu_relax();
	return READ_ONCE(q->free_head);
}
`;
  // A driver log macro handed the value (and a format string naming it) writes nothing back.
  const logged = `
static int q_lock_wait_free(struct adapter_q *q, int *free_cnt)
{
	while (!*free_cnt) {
		acme_core_warn(q, "waiting for free_cnt %d\\n", *free_cnt);
		cpu_relax();
	}
	return READ_ONCE(q->result);
}
`;
  for (const [name, code] of [['traced', traced], ['on-stack waiter', onStack], ['dropped lock', dropped], ['logged value', logged]] as const) {
    const found = await ruleFindings(code, WAIT);
    assert.equal(found.length, 1, `${name}: ${found.map((f) => f.message).join('\n')}`);
  }
});

// bitlock-unlock-without-release: a store into an object the function has just allocated is its
// initialisation, and a pointer installed by cmpxchg() that only an error label resets is a
// published pointer, not a lock. The same words released on the path after a critical section
// keep firing.
const RELEASE = 'bitlock-unlock-without-release';

const DEV = `struct blkdev {
	atomic_t pp_busy;
	int nr_done;
	struct ctl *owner;
	struct queue *sq;
};
struct queue { struct ctl *ctrl; int qid; int size; };
`;

const RELEASE_SITE = `
static int blkdev_writeback(struct blkdev *bd)
{
	if (atomic_xchg(&bd->pp_busy, 1))
		return -EAGAIN;
	bd->nr_done++;
	blkdev_flush(bd);
	atomic_set(&bd->pp_busy, 0);
	return 0;
}
`;

test('a store that initialises a freshly allocated object is no release', async () => {
  const code = `${DEV}${RELEASE_SITE}
static int blkdev_add(void)
{
	struct blkdev *bd;

	bd = kzalloc(sizeof(*bd), GFP_KERNEL);
	if (!bd)
		return -ENOMEM;
	atomic_set(&bd->pp_busy, 0);
	return blkdev_register(bd);
}
`;
  const found = (await runChecksOnSource(code, { checks, file: 'drivers/block/acme/blkdev.c' })).filter((f) => f.ruleId === RELEASE);
  assert.deepEqual(found.map((f) => `${f.function}:${f.line}`).filter((s) => s.startsWith('blkdev_add')), []);
});

test('the same store in a function that did not allocate the object still fires', async () => {
  const code = `${DEV}${RELEASE_SITE}
static void blkdev_abort(struct blkdev *bd)
{
	bd->nr_done = 0;
	atomic_set(&bd->pp_busy, 0);
}
`;
  const found = (await runChecksOnSource(code, { checks, file: 'drivers/block/acme/blkdev.c' })).filter((f) => f.ruleId === RELEASE);
  assert.ok(found.some((f) => f.function === 'blkdev_abort'), found.map((f) => `${f.function}: ${f.message}`).join('\n'));
});

test('a pointer installed by cmpxchg and reset only under an error label is no lock', async () => {
  const code = `${DEV}
static int queue_install(struct blkdev *bd, struct ctl *ctrl, int qid)
{
	struct ctl *old;
	int ret;

	old = cmpxchg(&bd->sq->ctrl, NULL, ctrl);
	if (old)
		return -EBUSY;
	bd->sq->qid = qid;
	bd->sq->size = 32;
	ret = ctl_setup_queue(ctrl, bd->sq);
	if (ret)
		goto err;
	return 0;

err:
	bd->sq->ctrl = NULL;
	return ret;
}
`;
  const found = (await runChecksOnSource(code, { checks, file: 'drivers/nvme/acme/queue.c' })).filter((f) => f.ruleId === RELEASE);
  assert.deepEqual(found.map((f) => f.message), []);
});

test('a cmpxchg claim released on the straight path still fires', async () => {
  const code = `${DEV}
static int queue_claim_and_fill(struct blkdev *bd, struct ctl *me, int qid)
{
	if (cmpxchg(&bd->owner, NULL, me))
		return -EBUSY;
	bd->sq->qid = qid;
	bd->sq->size = 32;
	WRITE_ONCE(bd->owner, NULL);
	return 0;
}
`;
  const found = (await runChecksOnSource(code, { checks, file: 'drivers/nvme/acme/queue.c' })).filter((f) => f.ruleId === RELEASE);
  assert.equal(found.length, 1, found.map((f) => f.message).join('\n'));
});

// A static cleanup helper whose only callers hold a real lock exclusively releases the word inside
// that lock (the rdma uobject shape: cleanup under down_write(), lookups under down_read()).
const UOBJ = `struct uobj { atomic_t usecnt; void *object; };
struct ufile { struct rw_semaphore destroy_rwsem; struct uobj *objs[8]; int nr; };

static int uobj_try_lock(struct uobj *u)
{
	return atomic_cmpxchg(&u->usecnt, 0, -1) == 0 ? 0 : -EBUSY;
}

static int ufile_cleanup(struct ufile *uf)
{
	int i, ret = -EBUSY;

	for (i = 0; i < uf->nr; i++) {
		struct uobj *u = uf->objs[i];

		WARN_ON(uobj_try_lock(u));
		u->object = NULL;
		if (!uobj_destroy(u))
			ret = 0;
		else
			atomic_set(&u->usecnt, 0);
	}
	return ret;
}
`;

test('a static helper released only under its callers\' exclusive lock is silent', async () => {
  const code = `${UOBJ}
void ufile_destroy_hw(struct ufile *uf)
{
	down_write(&uf->destroy_rwsem);
	while (uf->nr && !ufile_cleanup(uf))
		;
	up_write(&uf->destroy_rwsem);
}
`;
  const found = (await runChecksOnSource(code, { checks, file: 'drivers/infiniband/acme/uobj.c' })).filter((f) => f.ruleId === RELEASE);
  assert.deepEqual(found.map((f) => `${f.function}: ${f.message}`), []);
});

test('the same helper with one call made without the lock still fires', async () => {
  const code = `${UOBJ}
void ufile_destroy_hw(struct ufile *uf)
{
	down_write(&uf->destroy_rwsem);
	while (uf->nr && !ufile_cleanup(uf))
		;
	up_write(&uf->destroy_rwsem);
}

void ufile_abort(struct ufile *uf)
{
	ufile_cleanup(uf);
}
`;
  const found = (await runChecksOnSource(code, { checks, file: 'drivers/infiniband/acme/uobj.c' })).filter((f) => f.ruleId === RELEASE);
  assert.equal(found.length, 1, found.map((f) => `${f.function}: ${f.message}`).join('\n'));
  assert.equal(found[0]!.function, 'ufile_cleanup');
});
