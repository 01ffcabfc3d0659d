// detectRoles over parsed snippets: registrations, ops-struct initialisers, assignments and
// callback-shaped signatures; near misses get no role.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseC } from '../../src/engine/parser.js';
import { detectRoles, rolesFromShape, shapeFromHeader } from '../../src/engine/roles.js';

async function roles(src: string) {
  const tree = await parseC(src);
  try {
    return Object.fromEntries([...detectRoles(tree.rootNode)].map(([k, v]) => [k, [...v].sort()]));
  } finally {
    tree.delete();
  }
}

test('request_threaded_irq: primary handler is hard-IRQ, thread_fn is threaded', async () => {
  const r = await roles(`
static int probe(struct device *dev) {
	ret = request_threaded_irq(irq, foo_hardirq, foo_thread, IRQF_ONESHOT, "foo", priv);
	ret = devm_request_irq(dev, irq2, &bar_isr, 0, "bar", priv);
	ret = devm_request_threaded_irq(dev, irq3, NULL, baz_thread, IRQF_ONESHOT, "baz", priv);
	return request_irq(irq4, (irq_handler_t)qux_isr, 0, "qux", priv);
}`);
  assert.deepEqual(r.foo_hardirq, ['hardirq']);
  assert.deepEqual(r.foo_thread, ['threaded-irq']);
  assert.deepEqual(r.bar_isr, ['hardirq']);
  assert.deepEqual(r.baz_thread, ['threaded-irq']);
  assert.deepEqual(r.qux_isr, ['hardirq']);
  assert.equal(r.NULL, undefined);
});

test('timers, tasklets, NAPI, RCU callbacks, NMI handlers and file-scope macros', async () => {
  const r = await roles(`
static DEFINE_TIMER(watchdog, watchdog_fire);
static DECLARE_TASKLET(rx_tasklet, rx_tasklet_fn);
static void init(struct foo *f) {
	timer_setup(&f->timer, foo_timeout, 0);
	tasklet_setup(&f->tasklet, foo_tasklet);
	netif_napi_add(f->ndev, &f->napi, foo_poll);
	call_rcu(&f->rcu, foo_free_rcu);
	register_nmi_handler(NMI_LOCAL, foo_nmi, 0, "foo");
	hrtimer_init(&f->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	f->hrt.function = foo_hrtimer_fn;
	INIT_WORK(&f->work, foo_work);
}`);
  assert.deepEqual(r.watchdog_fire, ['timer']);
  assert.deepEqual(r.rx_tasklet_fn, ['softirq']);
  assert.deepEqual(r.foo_timeout, ['timer']);
  assert.deepEqual(r.foo_tasklet, ['softirq']);
  assert.deepEqual(r.foo_poll, ['softirq']);
  assert.deepEqual(r.foo_free_rcu, ['rcu-callback']);
  assert.deepEqual(r.foo_nmi, ['nmi']);
  assert.deepEqual(r.foo_hrtimer_fn, ['timer']);
  assert.equal(r.foo_work, undefined, 'a work item runs in process context');
});

test('irq_chip and mmu_notifier_ops initialisers, nested and assigned', async () => {
  const r = await roles(`
static struct irq_chip foo_chip = {
	.name = "foo",
	.irq_set_type = foo_set_type,
	.irq_mask = foo_mask,
	.irq_bus_lock = foo_bus_lock,
	.irq_bus_sync_unlock = foo_bus_sync_unlock,
};
static struct bar_priv bars[] = { { .chip = { .irq_eoi = bar_eoi } } };
static const struct mmu_notifier_ops kvm_mn_ops = {
	.invalidate_range_start = kvm_mn_start,
	.clear_young = kvm_mn_clear_young,
};
static const struct file_operations fops = { .invalidate_range_start = not_a_notifier };
static void setup(struct irq_chip *chip) { chip->irq_ack = baz_ack; }
`);
  assert.deepEqual(r.foo_set_type, ['irq-chip']);
  assert.deepEqual(r.foo_mask, ['irq-chip']);
  assert.deepEqual(r.bar_eoi, ['irq-chip']);
  assert.deepEqual(r.baz_ack, ['irq-chip']);
  assert.equal(r.foo_bus_lock, undefined, 'irq_bus_lock runs in sleepable context');
  assert.deepEqual(r.kvm_mn_start, ['mmu-notifier-nonblock']);
  assert.equal(r.kvm_mn_clear_young, undefined);
  assert.equal(r.not_a_notifier, undefined, 'field names of non-distinctive structs need the struct type');
});

test('callback shapes: hrtimer, timer_list with from_timer, irq_chip op by name', async () => {
  const r = await roles(`
static enum hrtimer_restart foo_hrt(struct hrtimer *t) { return HRTIMER_NORESTART; }
static void foo_tmo(struct timer_list *t) { struct foo *f = from_timer(f, t, timer); }
static void foo_arm(struct timer_list *t) { mod_timer(t, jiffies + 1); }
static int ls_set_type(struct irq_data *data, unsigned int type) { return 0; }
static void helper(struct irq_data *data) { }
`);
  assert.deepEqual(r.foo_hrt, ['timer']);
  assert.deepEqual(r.foo_tmo, ['timer']);
  assert.equal(r.foo_arm, undefined);
  assert.deepEqual(r.ls_set_type, ['irq-chip']);
  assert.equal(r.helper, undefined);
});

test('shapeFromHeader: hunk-only fragments recognise an irq_chip callback by its header', () => {
  const shape = shapeFromHeader('ls_extirq_set_type', 'ls_extirq_set_type(struct irq_data *data, unsigned int type)');
  assert.ok(shape);
  assert.deepEqual(shape.params, ['struct irq_data *', 'unsigned int']);
  assert.deepEqual(rolesFromShape(shape), ['irq-chip']);
  const other = shapeFromHeader('foo_probe', 'static int foo_probe(struct platform_device *pdev)');
  assert.deepEqual(other && rolesFromShape(other), []);
});

test('hunk fragments: the engine wrapper named after the hunk header gets roles from its parameters', async () => {
  const r = await roles(`void __lockreview_hunk_foo_gpio_irq_set_type(struct irq_data *d, unsigned int type) {
	regmap_update_bits(map, 0, 1, type);
}
void __lockreview_hunk_foo_probe(struct platform_device *pdev) {
	foo();
}`);
  assert.deepEqual(r.foo_gpio_irq_set_type, ['irq-chip']);
  assert.equal(r.foo_probe, undefined);
});
