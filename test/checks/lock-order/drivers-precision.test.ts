// lock-order-abba precision on a shape from the 6.12 driver sweep (docs/scan-6.12.md): a helper
// called with two locks held that drops both, waits, and takes them again in the usual order. Its
// re-acquisitions order after nothing the caller held, so no edge comes from the dropped locks;
// a helper that keeps the caller's lock while it takes another still closes a cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnSource } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/lock-order/index.js';

const header = `
struct sess {
	struct mutex op_mutex;
	spinlock_t fwd_lock;
	int state;
	wait_queue_head_t waitq;
};
`;

test('a helper that drops the caller\'s locks before taking them again adds no reverse edge', async () => {
  const code = `${header}
static int sess_send_and_wait(struct sess *s)
{
	s->state = 1;
	spin_unlock_bh(&s->fwd_lock);
	mutex_unlock(&s->op_mutex);

	wait_event_interruptible(s->waitq, s->state != 1);

	mutex_lock(&s->op_mutex);
	spin_lock_bh(&s->fwd_lock);
	return 0;
}

static int sess_abort(struct sess *s)
{
	int ret;

	mutex_lock(&s->op_mutex);
	spin_lock_bh(&s->fwd_lock);
	ret = sess_send_and_wait(s);
	spin_unlock_bh(&s->fwd_lock);
	mutex_unlock(&s->op_mutex);
	return ret;
}
`;
  const findings = await runChecksOnSource(code, { checks, file: 'drivers/scsi/sess.c' });
  assert.deepEqual(findings.map((f) => `${f.function}: ${f.message}`), []);
});

test('a helper that keeps the caller\'s lock while it takes another one is still an edge', async () => {
  const code = `${header}
static int sess_send_and_wait(struct sess *s)
{
	s->state = 1;
	wait_event_interruptible(s->waitq, s->state != 1);

	mutex_lock(&s->op_mutex);
	s->state = 0;
	mutex_unlock(&s->op_mutex);
	return 0;
}

static int sess_abort(struct sess *s)
{
	int ret;

	spin_lock_bh(&s->fwd_lock);
	ret = sess_send_and_wait(s);
	spin_unlock_bh(&s->fwd_lock);
	return ret;
}

static void sess_reset(struct sess *s)
{
	mutex_lock(&s->op_mutex);
	spin_lock_bh(&s->fwd_lock);
	s->state = 0;
	spin_unlock_bh(&s->fwd_lock);
	mutex_unlock(&s->op_mutex);
}
`;
  const findings = await runChecksOnSource(code, { checks, file: 'drivers/scsi/sess.c' });
  assert.equal(findings.length, 1, findings.map((f) => f.message).join('\n'));
  assert.equal(findings[0]!.ruleId, 'lock-order-abba');
  assert.match(findings[0]!.message, /op_mutex/);
  assert.match(findings[0]!.message, /fwd_lock/);
});
