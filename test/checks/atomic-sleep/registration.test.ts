// atomic-sleep when the patch changes only how a function is registered: its body (which sleeps)
// is what it was, visible in the hunk's context or in another hunk of the file, and the changed
// registration line (`.prepare = foo` -> `.enable = foo`, request_threaded_irq's thread_fn handed
// to request_irq, an ops table added at file scope) is where the finding belongs. Each buggy
// patch has its fixed twin, which must be silent, and a registration the patch did not touch
// (with the sleeping call untouched too) is pre-existing: silent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnPatch, runChecksOnSource } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/atomic-sleep/index.js';
import { FIX_SHAPES } from './fix-shapes.js';

const file = (path: string, hunks: string) => `diff --git a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n${hunks}`;

// The clk driver's enable function sleeps (clk_prepare_enable of its parent); a later hunk inside
// the ops table moves it from .prepare (prepare_lock, a mutex) to .enable (enable_lock, IRQs off).
// The first hunk changes a line of the function that is not the sleeping call.
const clkPatch = (from: string, to: string, setRate = ' \t.set_rate = acme_pll_set_rate,') =>
  file(
    'drivers/clk/acme/clk-acme-pll.c',
    `@@ -60,7 +60,7 @@ static int acme_pll_on(struct clk_hw *hw)
 \tstruct acme_pll *pll = to_acme_pll(hw);
 \tint ret;
 
 \tret = clk_prepare_enable(pll->parent);
 \tif (ret)
 \t\treturn ret;
-\twritel(ACME_PLL_EN | ACME_PLL_LOCK, pll->base + ACME_PLL_CTRL);
+\twritel(ACME_PLL_EN, pll->base + ACME_PLL_CTRL);
@@ -140,7 +140,7 @@ static const struct clk_ops acme_pll_ops = {
 \t.recalc_rate = acme_pll_recalc_rate,
 \t.round_rate = acme_pll_round_rate,
${setRate}
${from === to ? ` \t${to} = acme_pll_on,` : `-\t${from} = acme_pll_on,\n+\t${to} = acme_pll_on,`}
 \t.unprepare = acme_pll_off,
 \t.is_prepared = acme_pll_is_prepared,
 };
`,
  );

test('clk_ops: .prepare -> .enable in a hunk inside the ops table, the sleeping body in another hunk', async () => {
  const f = await runChecksOnPatch(clkPatch('.prepare', '.enable'), { checks });
  assert.equal(f.length, 1, JSON.stringify(f.map((x) => `${x.ruleId}@${x.line}: ${x.message}`)));
  assert.equal(f[0]!.ruleId, 'atomic-sleep-in-atomic');
  assert.equal(f[0]!.line, 143, 'on the registration line');
  assert.equal(f[0]!.function, 'acme_pll_on');
  assert.equal(f[0]!.introduced, true);
  assert.match(f[0]!.message, /^acme_pll_on\(\) now runs in atomic context \(clk_ops\.enable callback.*\) because of this registration \(line 143\), and it calls clk_prepare_enable\(pll->parent\) at line 63/);
  assert.deepEqual(f[0]!.reproduction.chain, ['acme_pll_on() [atomic: clk_ops.enable callback: runs under the clk enable_lock (spinlock, IRQs off) at line 143]', 'clk_prepare_enable()']);
  assert.ok(f[0]!.reproduction.interleaving?.steps.some((s) => s.line === 143));
});

test('clk_ops: the fixed twin (.enable -> .prepare) and an untouched registration stay silent', async () => {
  assert.deepEqual(await runChecksOnPatch(clkPatch('.enable', '.prepare'), { checks }), []);
  // `.enable = acme_pll_on` unchanged (a neighbouring op changes): the bug, if any, is pre-existing.
  const untouched = clkPatch('.enable', '.enable', '-\t.set_rate = acme_pll_set_rate_old,\n+\t.set_rate = acme_pll_set_rate,');
  const g = await runChecksOnPatch(untouched, { checks });
  assert.deepEqual(g.map((x) => `${x.ruleId}@${x.line}`), []);
});

test('an ops table in a file-scope hunk gives the role to a function of another hunk (the sleeping call changed)', async () => {
  const patch = clkPatch('.enable', '.enable', '-\t.set_rate = acme_pll_set_rate_old,\n+\t.set_rate = acme_pll_set_rate,').replace(
    ' \tret = clk_prepare_enable(pll->parent);\n',
    '-\tret = clk_enable(pll->parent);\n+\tret = clk_prepare_enable(pll->parent);\n',
  );
  const f = await runChecksOnPatch(patch, { checks });
  assert.deepEqual(f.map((x) => `${x.ruleId}@${x.line}`), ['atomic-sleep-in-atomic@63']);
  assert.match(f[0]!.message, /clk_ops\.enable callback/);
});

// A threaded handler's thread_fn (it may sleep: a mutex around an I2C read) handed to request_irq
// as the primary handler, in the probe function right below it; the handler's body is context.
const irqPatch = (bug: boolean) =>
  file(
    'drivers/input/misc/acme-keys.c',
    `@@ -88,21 +88,20 @@ static void acme_keys_report(struct acme_keys *k, u8 state)
 
 static irqreturn_t acme_keys_irq(int irq, void *data)
 {
 \tstruct acme_keys *k = data;
 \tint state;
 
 \tmutex_lock(&k->lock);
 \tstate = i2c_smbus_read_byte_data(k->client, ACME_KEYS_STATE);
 \tmutex_unlock(&k->lock);
 \tif (state >= 0)
 \t\tacme_keys_report(k, state);
 \treturn IRQ_HANDLED;
 }
 
 static int acme_keys_probe(struct i2c_client *client)
 {
 \tstruct acme_keys *k;
 \tint ret;
 
-\tret = devm_request_threaded_irq(&client->dev, client->irq, NULL, acme_keys_irq,
-\t\t\t\t\tIRQF_ONESHOT, "acme-keys", k);
+${bug ? '\tret = devm_request_irq(&client->dev, client->irq, acme_keys_irq, 0, "acme-keys", k);' : '\tret = devm_request_threaded_irq(&client->dev, client->irq, NULL, acme_keys_irq, IRQF_ONESHOT, "acme-keys", k);'}
`,
  );

test('request_threaded_irq thread_fn handed to devm_request_irq: the finding is on the registration', async () => {
  const f = await runChecksOnPatch(irqPatch(true), { checks });
  assert.deepEqual(f.map((x) => `${x.ruleId}@${x.line}`), ['atomic-sleep-in-atomic@107']);
  assert.match(f[0]!.message, /^acme_keys_irq\(\) now runs in atomic context \(hard-IRQ handler.*\) because of this registration \(line 107\), and it calls mutex_lock\(&k->lock\) at line 94/);
  assert.deepEqual(await runChecksOnPatch(irqPatch(false), { checks }), []);
});

// An ops table added at file scope registers a function whose body is in another hunk.
const uartPatch = (op: string) =>
  file(
    'drivers/tty/serial/acme_uart.c',
    `@@ -210,7 +210,7 @@ static void acme_uart_kick(struct uart_port *port)
 \tstruct acme_uart *au = to_acme_uart(port);
 
 \tgpiod_set_value_cansleep(au->de_gpio, 1);
-\tau->tx_busy = 1;
+\tau->tx_busy = true;
 \twritel(ACME_TX_GO, port->membase + ACME_CTRL);
 }
 
@@ -400,3 +400,8 @@ static void acme_uart_config_port(struct uart_port *port, int flags)
 \tport->type = PORT_ACME;
 }
 
+static const struct uart_ops acme_uart_ops = {
+\t${op} = acme_uart_kick,
+\t.tx_empty = acme_uart_tx_empty,
+};
+
`,
  );

test('uart_ops table added at file scope: .start_tx = fn whose body (another hunk) sleeps', async () => {
  const f = await runChecksOnPatch(uartPatch('.start_tx'), { checks });
  assert.deepEqual(f.map((x) => `${x.ruleId}@${x.line}`), ['atomic-sleep-in-atomic@404']);
  assert.match(f[0]!.message, /acme_uart_kick\(\) now runs in atomic context \(uart_ops\.start_tx callback/);
  assert.match(f[0]!.message, /gpiod_set_value_cansleep\(au->de_gpio, 1\) at line 212/);
  assert.deepEqual(await runChecksOnPatch(uartPatch('.startup'), { checks }), []);
});

// With the whole file (--tree), the same: the changed line is the registration.
const clkFile = (op: string) => `static int acme_gate_on(struct clk_hw *hw)
{
	struct acme_gate *g = to_acme_gate(hw);

	return clk_prepare_enable(g->bus_clk);
}

static const struct clk_ops acme_gate_ops = {
	${op} = acme_gate_on,
};
`;

test('whole file: a changed .enable registration draws the finding; .prepare or an untouched one does not', async () => {
  const f = await runChecksOnSource(clkFile('.enable'), { checks, changedLines: [9] });
  assert.deepEqual(f.map((x) => `${x.ruleId}@${x.line}`), ['atomic-sleep-in-atomic@9']);
  assert.match(f[0]!.message, /because of this registration \(line 9\), and it calls clk_prepare_enable\(g->bus_clk\) at line 5/);
  assert.deepEqual(await runChecksOnSource(clkFile('.prepare'), { checks, changedLines: [9] }), []);
  assert.deepEqual(await runChecksOnSource(clkFile('.enable'), { checks, changedLines: [3] }), []);
});

// The clk_ops.enable shape of fix-shapes.ts goes by the name acme_gate_enable(struct clk_hw *); an
// ops table in another hunk of the file that puts it into .prepare says the name misleads.
test('a name-only clk_ops.enable role yields to another hunk putting the function into .prepare', async () => {
  const s = FIX_SHAPES.find((x) => x.name.includes('clk_ops.enable'))!;
  const table = (op: string) => `@@ -120,5 +120,5 @@ static const struct clk_ops acme_gate_ops = {
 \t.is_enabled = acme_gate_is_enabled,
-\t.recalc_rate = acme_gate_recalc_old,
+\t.recalc_rate = acme_gate_recalc,
 \t${op} = acme_gate_enable,
 \t.unprepare = acme_gate_disable,
 };
`;
  assert.deepEqual(await runChecksOnPatch(s.buggy + table('.prepare'), { checks }), []);
  const f = await runChecksOnPatch(s.buggy + table('.enable'), { checks });
  assert.deepEqual(f.map((x) => `${x.ruleId}@${x.line}`), [`atomic-sleep-in-atomic@${s.line}`]);
});

// atomic-sleep-rt-only: a function taking a spinlock_t put into an irq_chip (raw desc->lock held):
// the irq_chip fields are distinctive, the table's type need not be in view.
const irqChipPatch = (field: string) =>
  file(
    'drivers/gpio/gpio-acme.c',
    `@@ -150,7 +150,7 @@ static void acme_gpio_hw_mask(struct acme_gpio *ag, unsigned int hwirq)
 \tunsigned long flags;
 
 \tspin_lock_irqsave(&ag->lock, flags);
-\tag->mask |= BIT(hwirq);
+\tag->mask &= ~BIT(hwirq);
 \twritel(ag->mask, ag->base + ACME_GPIO_IMR);
 \tspin_unlock_irqrestore(&ag->lock, flags);
 }
@@ -300,4 +300,4 @@ static struct irq_chip acme_gpio_irq_chip = {
 \t.name = "acme-gpio",
-\t.irq_bus_sync_unlock = acme_gpio_hw_mask,
+\t${field} = acme_gpio_hw_mask,
 \t.irq_unmask = acme_gpio_unmask,
 \t.irq_set_type = acme_gpio_set_type,
`,
  );

test('irq_chip: a function taking a spinlock_t registered as .irq_mask draws the RT finding on the registration', async () => {
  const f = await runChecksOnPatch(irqChipPatch('.irq_mask'), { checks });
  assert.deepEqual(f.map((x) => `${x.ruleId}@${x.line}`), ['atomic-sleep-rt-only@301']);
  assert.match(f[0]!.message, /^acme_gpio_hw_mask\(\) now runs in a context that is atomic even on PREEMPT_RT \(irq_chip callback under the raw desc->lock\) because of this registration \(line 301\), and it calls spin_lock_irqsave\(&ag->lock, flags\) at line 152/);
  assert.ok(f[0]!.reproduction.configs?.includes('CONFIG_PREEMPT_RT=y'));
  // Moved to a field no rule names (.irq_bus_lock runs in sleepable context): silent.
  assert.deepEqual(await runChecksOnPatch(irqChipPatch('.irq_bus_lock'), { checks }), []);
});

test('a registration rewritten for the same context (request_irq -> devm_request_irq) is no new cause: silent', async () => {
  const patch = irqPatch(true)
    .replace('-\tret = devm_request_threaded_irq(&client->dev, client->irq, NULL, acme_keys_irq,\n-\t\t\t\t\tIRQF_ONESHOT, "acme-keys", k);\n', '-\tret = request_irq(client->irq, acme_keys_irq,\n-\t\t\t  0, "acme-keys", k);\n');
  assert.notEqual(patch, irqPatch(true));
  assert.deepEqual(await runChecksOnPatch(patch, { checks }), []);
  // A table line moved (deleted and added elsewhere in the hunk) restates the registration.
  const moved = clkPatch('.enable', '.enable', ' \t.set_rate = acme_pll_set_rate,').replace(
    ' \t.recalc_rate = acme_pll_recalc_rate,\n',
    '-\t.enable = acme_pll_on,\n \t.recalc_rate = acme_pll_recalc_rate,\n',
  ).replace(' \t.enable = acme_pll_on,\n', '+\t.enable = acme_pll_on,\n');
  assert.deepEqual(await runChecksOnPatch(moved, { checks }), []);
  // ... and the same table with the line added (not moved) is the cause.
  const added = moved.replace('-\t.enable = acme_pll_on,\n', '-\t.prepare = acme_pll_on,\n');
  assert.deepEqual((await runChecksOnPatch(added, { checks })).map((x) => `${x.ruleId}@${x.line}`), ['atomic-sleep-in-atomic@143']);
});
