// srcu-cleanup-without-barrier in hunk-only review: a patch that deletes the srcu_barrier() in
// front of a cleanup_srcu_struct() it keeps, with the call_srcu() outside the patch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnPatch } from '../../helpers/check-tester.js';
import { checks as srcuChecks } from '../../../src/checks/srcu/index.js';

const patch = (deleted: string[]) =>
  [
    'diff --git a/drivers/acme/acme-core.c b/drivers/acme/acme-core.c',
    '--- a/drivers/acme/acme-core.c',
    '+++ b/drivers/acme/acme-core.c',
    `@@ -640,${5 + deleted.length} +640,5 @@ static void acme_dev_release(struct device *dev)`,
    ' 	struct acme_dev *ad = to_acme_dev(dev);',
    ' ',
    ...deleted.map((l) => `-${l}`),
    ' 	cleanup_srcu_struct(&ad->srcu);',
    ' 	kfree(ad);',
    ' }',
    '',
  ].join('\n');

test('deleting the srcu_barrier() before the cleanup is flagged on the cleanup', async () => {
  const found = await runChecksOnPatch(patch(['	srcu_barrier(&ad->srcu);']), { checks: srcuChecks });
  assert.deepEqual(found.map((f) => [f.ruleId, f.line]), [['srcu-cleanup-without-barrier', 642]]);
  assert.match(found[0]!.message, /this patch deletes the srcu_barrier\(&ad->srcu\)/);
});

test('deleting the call_srcu() with it, or a barrier on another srcu_struct, is silent', async () => {
  assert.deepEqual(await runChecksOnPatch(patch(['	call_srcu(&ad->srcu, &ad->rcu, acme_free_rcu);', '	srcu_barrier(&ad->srcu);']), { checks: srcuChecks }), []);
  assert.deepEqual(await runChecksOnPatch(patch(['	srcu_barrier(&ad->other_srcu);']), { checks: srcuChecks }), []);
});
