// A whole definition in the analysis wins over the generated sleep table's entry for the same
// name (src/engine/generated-facts.ts); without the definition the table answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFiles } from '../../src/engine/index.js';
import { loadKnowledgeBase } from '../../src/kb/index.js';
import { checks as atomicSleepChecks } from '../../src/checks/atomic-sleep/index.js';

// gpiod_add_lookup_tables() is in rules/primitives/sleep-6.12-generated.yaml (it takes a mutex in
// 6.12's drivers/gpio/gpiolib.c).
const caller = `
struct foo { spinlock_t lock; struct gpiod_lookup_table **tables; };

void foo_setup(struct foo *f)
{
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	gpiod_add_lookup_tables(f->tables, 1);
	spin_unlock_irqrestore(&f->lock, flags);
}
`;

async function scan(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'lr-generated-'));
  writeFileSync(join(dir, 'foo.c'), text);
  const kb = await loadKnowledgeBase();
  assert.equal(kb.primitive('gpiod_add_lookup_tables')?.family, 'sleep-db', 'the test relies on this table entry');
  return (await analyzeFiles([dir], { kb, checks: atomicSleepChecks })).findings;
}

test('without its definition, a table function called under a spinlock is a sleep in atomic context', async () => {
  const found = await scan(caller);
  assert.deepEqual(found.map((f) => [f.ruleId, f.function]), [['atomic-sleep-in-atomic', 'foo_setup']]);
  assert.match(found[0]!.message, /^gpiod_add_lookup_tables\(\) may sleep \(Linux 6.12, drivers\/gpio\/gpiolib.c: -> mutex_lock\(\)\)/);
});

test('a whole definition that does not sleep overrides the table entry', async () => {
  const found = await scan(`${caller}
static int registered;

void gpiod_add_lookup_tables(struct gpiod_lookup_table **tables, size_t n)
{
	registered += n;
}
`);
  assert.deepEqual(found, []);
});

test('a whole definition that sleeps is reported through the definition (its own chain)', async () => {
  const found = await scan(`${caller}
static DEFINE_MUTEX(tables_lock);

void gpiod_add_lookup_tables(struct gpiod_lookup_table **tables, size_t n)
{
	mutex_lock(&tables_lock);
	mutex_unlock(&tables_lock);
}
`);
  assert.deepEqual(found.map((f) => [f.ruleId, f.function]), [['atomic-sleep-in-atomic', 'foo_setup']]);
  assert.match(found[0]!.message, /mutex_lock/);
});
