// atomic-sleep in hunk-only mode (what `lockreview check` does without --tree): an irq_chip
// callback recognised from the hunk header, a lock taken above the hunk and released in a later
// hunk of the same function, and the near misses of the same shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnPatch } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/atomic-sleep/index.js';

const irqChipPatch = (call: string) => `diff --git a/drivers/gpio/gpio-foo.c b/drivers/gpio/gpio-foo.c
--- a/drivers/gpio/gpio-foo.c
+++ b/drivers/gpio/gpio-foo.c
@@ -120,7 +120,7 @@ static int foo_gpio_irq_set_type(struct irq_data *d, unsigned int type)
 	default:
 		return -EINVAL;
 	}
-	foo_write_trigger(chip, hwirq, val);
+	${call}
 
 	return 0;
 }
`;

test('regmap access added to an irq_chip .irq_set_type callback: RT-only finding from the hunk alone', async () => {
  const f = await runChecksOnPatch(irqChipPatch('regmap_update_bits(chip->map, FOO_TRIG, BIT(hwirq), val);'), { checks });
  assert.equal(f.length, 1, JSON.stringify(f.map((x) => x.message)));
  assert.equal(f[0]!.ruleId, 'atomic-sleep-rt-only');
  assert.equal(f[0]!.function, 'foo_gpio_irq_set_type');
  assert.equal(f[0]!.line, 123);
  assert.match(f[0]!.message, /irq_chip callback/);
  assert.match(f[0]!.message, /CONFIG_PREEMPT_RT/);
  assert.ok(f[0]!.reproduction.configs?.includes('CONFIG_PREEMPT_RT=y'));
});

test('near miss: MMIO access under a raw spinlock in the same callback stays silent', async () => {
  const f = await runChecksOnPatch(irqChipPatch('raw_spin_lock(&chip->lock); writel(val, chip->base); raw_spin_unlock(&chip->lock);'), { checks });
  assert.deepEqual(f, []);
});

const portLockPatch = (before: string, after: string) => `diff --git a/drivers/tty/serial/foo.c b/drivers/tty/serial/foo.c
--- a/drivers/tty/serial/foo.c
+++ b/drivers/tty/serial/foo.c
@@ -300,7 +300,8 @@ static void foo_set_termios(struct uart_port *port, struct ktermios *termios,
 	if (termios->c_cflag & CRTSCTS) {
 		ctrl |= FOO_CTS;
 	} else {
 		ctrl &= ~FOO_CTS;
+${before}
 	}
 
 	writel(ctrl, port->membase + FOO_CTRL);
@@ -340,5 +341,6 @@ static void foo_set_termios(struct uart_port *port, struct ktermios *termios,
 	writel(baud_div, port->membase + FOO_BAUD);
 
 	uart_port_unlock_irqrestore(port, flags);
+${after}
 }
 
`;

test('a sleeping call in one hunk, the unlock of a lock taken above the hunk in a later one', async () => {
  const f = await runChecksOnPatch(portLockPatch('\t\tfoo->rts = devm_gpiod_get(port->dev, "rts", GPIOD_OUT_LOW);', '\tfoo_done(port);'), { checks });
  assert.equal(f.length, 1, JSON.stringify(f.map((x) => x.message)));
  assert.equal(f[0]!.ruleId, 'atomic-sleep-in-atomic');
  assert.equal(f[0]!.line, 304);
  assert.match(f[0]!.message, /port->lock/);
  assert.match(f[0]!.message, /uart_port_unlock_irqrestore/);
});

test('near misses: the same call after the unlock, or an atomic allocation before it', async () => {
  const after = await runChecksOnPatch(portLockPatch('\t\tfoo->want_rts = true;', '\tfoo->rts = devm_gpiod_get(port->dev, "rts", GPIOD_OUT_LOW);'), { checks });
  assert.deepEqual(after, []);
  const atomic = await runChecksOnPatch(portLockPatch('\t\tfoo->buf = kzalloc(64, GFP_ATOMIC);', '\tfoo_done(port);'), { checks });
  assert.deepEqual(atomic, []);
});

test('near miss: allocate-then-lock, the function start visible and the unlock in a later hunk', async () => {
  const patch = `diff --git a/drivers/misc/foo.c b/drivers/misc/foo.c
--- a/drivers/misc/foo.c
+++ b/drivers/misc/foo.c
@@ -10,6 +10,7 @@ struct foo *foo_get(void);
 static int foo_update(struct foo *f)
 {
 	void *old;
+	void *buf = kzalloc(64, GFP_KERNEL);
 
 	if (!buf)
 		return -ENOMEM;
@@ -40,4 +41,5 @@ static int foo_update(struct foo *f)
 	f->buf = buf;
 	spin_unlock(&f->lock);
+	kfree(old);
 	return 0;
 }
`;
  assert.deepEqual(await runChecksOnPatch(patch, { checks }), []);
});
