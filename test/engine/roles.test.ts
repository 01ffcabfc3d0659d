// detectRoles over parsed snippets: registrations, ops-struct initialisers, assignments and
// callback-shaped signatures, driver ops callbacks and the rules file's validation; near misses get no role.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseC } from '../../src/engine/parser.js';
import { detectRegistrations, detectRoles, registrationsInText, roleContext, rolesFromShape, shapeFromHeader, validateRoleRules } from '../../src/engine/roles.js';
import { hunkUnit } from '../../src/engine/units.js';
import { preprocess } from '../../src/engine/preprocess.js';

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

test('driver callbacks the core calls in atomic context: ops-struct fields, URB completions, run-time assignments', async () => {
  const r = await roles(`
static const struct net_device_ops foo_netdev_ops = {
	.ndo_open = foo_open,
	.ndo_set_rx_mode = foo_rx_filter,
	.ndo_tx_timeout = foo_watchdog_reset,
	.ndo_get_stats = foo_legacy_stats,
};
static const struct uart_ops foo_uart_ops = {
	.startup = foo_startup,
	.shutdown = foo_shutdown_port,
	.start_tx = foo_tx_kick,
	.set_mctrl = foo_modem_lines,
	.set_termios = foo_termios,
};
static const struct clk_ops foo_gate_ops = {
	.prepare = foo_gate_prepare,
	.enable = foo_gate_on,
	.disable = foo_gate_off,
	.is_enabled = foo_gate_state,
	.set_rate = foo_gate_rate,
};
static struct pci_ops foo_pcie_ops = { .map_bus = foo_map_bus, .read = foo_cfg_rd, .write = foo_cfg_wr };
static struct console foo_console = { .name = "ttyFOO", .write = foo_console_out, .device = uart_console_device };
static const struct file_operations foo_fops = { .read = foo_file_read, .write = foo_file_write };
static void foo_init(struct foo *f) {
	usb_fill_bulk_urb(f->urb, f->udev, pipe, f->buf, 64, foo_bulk_in, f);
	usb_fill_control_urb(f->ctrl_urb, f->udev, pipe, (u8 *)&f->req, f->buf, 8, foo_ctrl_in, f);
	f->read_urbs[0]->complete = foo_read_in;
	f->req->complete = foo_gadget_req_done;
	f->ced.set_next_event = foo_next_event;
	f->ced.set_state_shutdown = foo_ced_off;
	f->ced.tick_resume = foo_ced_resume;
}`);
  assert.deepEqual(r.foo_rx_filter, ['net_device_ops.ndo_set_rx_mode']);
  assert.deepEqual(r.foo_watchdog_reset, ['net_device_ops.ndo_tx_timeout']);
  assert.deepEqual(r.foo_legacy_stats, ['net_device_ops.ndo_get_stats']);
  assert.equal(r.foo_open, undefined, 'ndo_open runs under RTNL, a mutex');
  assert.deepEqual(r.foo_tx_kick, ['uart_ops.start_tx']);
  assert.deepEqual(r.foo_modem_lines, ['uart_ops.set_mctrl']);
  for (const sleepable of ['foo_startup', 'foo_shutdown_port', 'foo_termios', 'foo_gate_prepare', 'foo_gate_rate', 'foo_map_bus']) {
    assert.equal(r[sleepable], undefined, `${sleepable} is not called in atomic context`);
  }
  assert.deepEqual(r.foo_gate_on, ['clk_ops.enable']);
  assert.deepEqual(r.foo_gate_off, ['clk_ops.disable']);
  assert.deepEqual(r.foo_gate_state, ['clk_ops.is_enabled']);
  assert.deepEqual(r.foo_cfg_rd, ['pci_ops.config']);
  assert.deepEqual(r.foo_cfg_wr, ['pci_ops.config']);
  assert.deepEqual(r.foo_console_out, ['console.write']);
  assert.equal(r.foo_file_read, undefined, '.read of another struct is no pci_ops.read');
  assert.equal(r.foo_file_write, undefined, '.write of another struct is no console write');
  assert.deepEqual(r.foo_bulk_in, ['urb.complete']);
  assert.deepEqual(r.foo_ctrl_in, ['urb.complete']);
  assert.deepEqual(r.foo_read_in, ['urb.complete']);
  assert.equal(r.foo_gadget_req_done, undefined, 'a usb_request is not an URB');
  assert.deepEqual(r.foo_next_event, ['clock_event_device.set_next_event']);
  assert.deepEqual(r.foo_ced_off, ['clock_event_device.set_state']);
  assert.equal(r.foo_ced_resume, undefined);
});

test('driver callback shapes, and the registration that overrides a name', async () => {
  const r = await roles(`
static int foo_pcie_rd_conf(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 *val) { return 0; }
static int foo_pcie_wr_conf(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 val) { return 0; }
static int foo_read_config(struct pci_bus *bus, unsigned int devfn, int where, u32 *val) { return 0; }
static int foo_timer_next(unsigned long delta, struct clock_event_device *ced) { return 0; }
static int foo_timer_shutdown(struct clock_event_device *ced) { return 0; }
static int foo_timer_resume(struct clock_event_device *ced) { return 0; }
static void foo_early_write(struct console *con, const char *s, unsigned n) { }
static void foo_set_rx_mode(struct net_device *ndev) { }
static void foo_uninit(struct net_device *ndev) { }
static void foo_tx_timeout(struct net_device *ndev, unsigned int txqueue) { }
static struct net_device_stats *foo_get_stats(struct net_device *ndev) { return &ndev->stats; }
static void foo_stop_rx(struct uart_port *port) { }
static void foo_release_port(struct uart_port *port) { }
static unsigned int foo_get_mctrl(struct uart_port *port) { return 0; }
static int foo_pll_enable(struct clk_hw *hw) { return 0; }
static int foo_pll_prepare(struct clk_hw *hw) { return 0; }
static int i2c_clk_enable(struct clk_hw *hw) { return 0; }
static const struct clk_ops i2c_clk_ops = { .prepare = i2c_clk_enable };
static void foo_read_bulk_callback(struct urb *urb) { }
static void foo_submit(struct urb *urb) { }
`);
  assert.deepEqual(r.foo_pcie_rd_conf, ['pci_ops.config']);
  assert.deepEqual(r.foo_pcie_wr_conf, ['pci_ops.config']);
  assert.equal(r.foo_read_config, undefined, 'four parameters: a pci_bus_read_config_dword()-like helper');
  assert.deepEqual(r.foo_timer_next, ['clock_event_device.set_next_event']);
  assert.deepEqual(r.foo_timer_shutdown, ['clock_event_device.set_state']);
  assert.equal(r.foo_timer_resume, undefined);
  assert.deepEqual(r.foo_early_write, ['console.write']);
  assert.deepEqual(r.foo_set_rx_mode, ['net_device_ops.ndo_set_rx_mode']);
  assert.equal(r.foo_uninit, undefined);
  assert.deepEqual(r.foo_tx_timeout, ['net_device_ops.ndo_tx_timeout']);
  assert.deepEqual(r.foo_get_stats, ['net_device_ops.ndo_get_stats']);
  assert.deepEqual(r.foo_stop_rx, ['uart_ops.stop_rx']);
  assert.equal(r.foo_release_port, undefined);
  assert.deepEqual(r.foo_get_mctrl, ['uart_ops.get_mctrl']);
  assert.deepEqual(r.foo_pll_enable, ['clk_ops.enable']);
  assert.equal(r.foo_pll_prepare, undefined);
  assert.equal(r.i2c_clk_enable, undefined, 'registered as .prepare of a clk_ops in the same file: its name does not decide');
  assert.deepEqual(r.foo_read_bulk_callback, ['urb.complete']);
  assert.equal(r.foo_submit, undefined);
});

test('dma_fence enable_signaling (under the fence lock); the other fence ops and I2C atomic transfers get no role', async () => {
  const r = await roles(`
static const struct dma_fence_ops foo_fence_ops = {
	.get_driver_name = foo_fence_driver,
	.enable_signaling = foo_fence_arm_irq,
	.wait = foo_fence_wait,
};
static bool bar_fence_enable_signaling(struct dma_fence *f) { return true; }
static bool bar_fence_signaled(struct dma_fence *f) { return true; }
static const struct i2c_algorithm foo_i2c_algo = { .xfer = foo_i2c_xfer, .xfer_atomic = foo_i2c_poll_xfer };
`);
  assert.deepEqual(r.foo_fence_arm_irq, ['dma_fence_ops.enable_signaling']);
  assert.deepEqual(r.bar_fence_enable_signaling, ['dma_fence_ops.enable_signaling']);
  for (const none of ['foo_fence_wait', 'bar_fence_signaled', 'foo_i2c_xfer', 'foo_i2c_poll_xfer']) assert.equal(r[none], undefined, none);
});

test('hunk fragments whose header git cut short: the parameters it shows, with the distinctive type or the name', async () => {
  const r = await roles(`void __lockreview_hunk_foo_pcie_rd_conf(void) /* static int foo_pcie_rd_conf(struct pci_bus *bus, unsigned int devfn, int whe */ {
	x();
}
void __lockreview_hunk_foo_timer_set_next_event(void) /* static int foo_timer_set_next_event(unsigned long delta, */ {
	x();
}
void __lockreview_hunk_foo_arm_delay(void) /* static int foo_arm_delay(unsigned long delta, */ {
	x();
}
void __lockreview_hunk_foo_console_write(void) /* static void foo_console_write(struct console *co, const char *s, */ {
	x();
}
void __lockreview_hunk_foo_pci_setup(void) /* static int foo_pci_setup(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 *val, int x) */ {
	x();
}
void __lockreview_hunk_foo_gpio_irq_set_affinity(void) /* static int foo_gpio_irq_set_affinity(struct irq_data *d, */ {
	x();
}
void __lockreview_hunk_foo_probe(void) /* static int foo_probe(struct platform_device *pdev, */ {
	x();
}`);
  assert.deepEqual(r.foo_pcie_rd_conf, ['pci_ops.config']);
  assert.deepEqual(r.foo_timer_set_next_event, ['clock_event_device.set_next_event']);
  assert.equal(r.foo_arm_delay, undefined, 'unsigned long alone is no evidence');
  assert.deepEqual(r.foo_console_write, ['console.write']);
  assert.equal(r.foo_pci_setup, undefined, 'a complete header with one parameter more is no pci_ops callback');
  assert.deepEqual(r.foo_gpio_irq_set_affinity, ['irq-chip']);
  assert.equal(r.foo_probe, undefined);
});

test('role contexts: wording and atomicity come from rules/roles.yaml', () => {
  assert.deepEqual(roleContext('net_device_ops.ndo_set_rx_mode'), { atomic: true, onRT: false, text: 'ndo_set_rx_mode callback: runs under netif_addr_lock_bh (spinlock, BHs off)' });
  assert.equal(roleContext('pci_ops.config')?.onRT, true, 'the raw pci_lock stays a spinning lock on PREEMPT_RT');
  assert.equal(roleContext('threaded-irq')?.atomic, false);
  assert.equal(roleContext('no_such_ops.op'), null);
});

test('rules/roles.yaml validation names the entry and field', () => {
  const ok = { contexts: Object.fromEntries(['hardirq', 'threaded-irq', 'softirq', 'timer', 'irq-chip', 'nmi', 'mmu-notifier-nonblock', 'rcu-callback'].map((r) => [r, { atomic: true, onRT: false, text: r }])), calls: [], structFields: [], assignments: [], shapes: [] };
  assert.equal(validateRoleRules(ok).contexts.size, 8);
  assert.throws(() => validateRoleRules({ ...ok, calls: [{ name: 'request_irq', arg: 1, role: 'hardirqq' }] }), /calls\[0\]\.role: role hardirqq has no entry in contexts/);
  assert.throws(() => validateRoleRules({ ...ok, structFields: [{ struct: 'uart_ops', distinctive: false, fields: ['start_tx'] }] }), /structFields\[0\]\.fields\[0\]: role uart_ops\.start_tx has no entry/);
  assert.throws(() => validateRoleRules({ ...ok, shapes: [{ params: ['struct urb *'], nameSufixes: ['_complete'], role: 'timer' }] }), /shapes\[0\]: unknown field "nameSufixes"/);
  assert.throws(() => validateRoleRules({ ...ok, contexts: { ...ok.contexts, nmi: undefined } }), /contexts\.nmi: expected a mapping/);
});

test('registrations carry the rows they span; shapes are no registration', async () => {
  const tree = await parseC(`static int foo_enable(struct clk_hw *hw)
{
	return 0;
}
static int probe(struct device *dev)
{
	ret = devm_request_irq(dev, irq,
			       foo_isr, 0, "foo", priv);
}
static const struct clk_ops foo_ops = {
	.prepare = foo_enable,
	.enable = bar_on,
};
`);
  try {
    const r = detectRegistrations(tree.rootNode);
    assert.deepEqual(
      r.sites.map((s) => [s.fn, s.role, s.fromRow, s.toRow]),
      [
        ['foo_isr', 'hardirq', 6, 7],
        ['bar_on', 'clk_ops.enable', 11, 11],
      ],
    );
    assert.deepEqual([...(r.inOpsStruct.get('clk_ops') ?? [])].sort(), ['bar_on', 'foo_enable']);
  } finally {
    tree.delete();
  }
});

// A hunk inside a file-scope ops table (git's hunk header is the table's opening line): the unit
// wraps the fragment with that line, so the designated initialisers say which struct they fill.
test('hunk unit: a fragment inside an ops table is read as that table', async () => {
  const lines = [
    { kind: 'ctx', text: '\t.recalc_rate = foo_recalc,' },
    { kind: 'del', text: '\t.prepare = foo_on,' },
    { kind: 'add', text: '\t.enable = foo_on,' },
    { kind: 'ctx', text: '\t.unprepare = foo_off,' },
  ] as const;
  let n = 40;
  const hunk = {
    oldStart: 40,
    oldLines: 3,
    newStart: 40,
    newLines: 3,
    header: 'static const struct clk_ops foo_ops = {',
    lines: lines.map((l) => ({ ...l, oldLine: null, newLine: l.kind === 'del' ? null : n++ })),
  };
  const unit = hunkUnit('drivers/clk/foo.c', 1, hunk)!;
  const tree = await parseC(preprocess(unit.text));
  try {
    assert.deepEqual(Object.fromEntries(detectRoles(tree.rootNode)), { foo_on: ['clk_ops.enable'] });
    const [site] = detectRegistrations(tree.rootNode).sites;
    assert.equal(unit.lineMap[site!.fromRow], 41, 'the registration maps to its post-image line');
    assert.ok(unit.changed.has(41));
    assert.equal(tree.rootNode.hasError, false, unit.text);
  } finally {
    tree.delete();
  }
  // The same lines under a function's header stay a function fragment: no struct type, no role.
  const inFn = hunkUnit('drivers/clk/foo.c', 1, { ...hunk, header: 'static int foo_on(struct clk_hw *hw)' })!;
  const t2 = await parseC(preprocess(inFn.text));
  try {
    assert.deepEqual(Object.fromEntries(detectRoles(t2.rootNode)), {});
  } finally {
    t2.delete();
  }
});

test('registrations in unparsed text (a hunk\'s deleted lines): fields, assignments and calls', () => {
  const regs = (t: string) => registrationsInText(t).map((r) => `${r.fn}:${r.role}`).sort();
  assert.deepEqual(regs('\t.enable = foo_on,\n\t.prepare = foo_prep,'), ['foo_on:clk_ops.enable']);
  assert.deepEqual(regs('\tchip->irq_mask = foo_mask;'), ['foo_mask:irq-chip']);
  assert.deepEqual(regs('\tret = request_threaded_irq(irq, NULL, foo_thread,\n\t\t\t\tIRQF_ONESHOT, "foo", p);'), ['NULL:hardirq', 'foo_thread:threaded-irq']);
  assert.deepEqual(regs('\tret = devm_request_irq(dev, irq, (irq_handler_t)foo_isr, 0, "foo", p);'), ['foo_isr:hardirq']);
  assert.deepEqual(regs('\tif (a.enable == foo_on)'), []);
});
