// Hunk-shaped cases of the seqcount fix shapes real upstream fixes take, written for this project
// (no kernel code copied; names are made up): each is a one-file unified diff as a reversed fix
// would show it (the buggy line on the + side, hunk headers naming the function, three lines of
// context) and its fixed twin as posted. `rule` is the finding the buggy form must draw within
// three lines of the line holding `at` (post-image); the fixed form must draw none. A shape the
// checks cannot find yet is kept with `known: 'miss'` and the reason, so the suite stays honest.
// Used by fix-shapes.test.ts.

import { postImageLines } from '../../helpers/one-hunk-diff.js';

export type SeqcountRule =
  | 'seqcount-writer-preemptible'
  | 'seqcount-writer-irq-unsafe'
  | 'seqcount-plain-under-spinlock'
  | 'seqcount-reader-atomic-rt'
  | 'seqcount-seqbegin-or-lock-never-odd'
  | 'seqcount-read-without-retry';

export interface SeqcountFixShape {
  name: string;
  /** The upstream fix kind the shape is modelled on. */
  modelledOn: string;
  rule: SeqcountRule;
  /** Post-image line of the buggy form the finding belongs on. */
  line: number;
  buggy: string;
  fixed: string;
  /** Set when the checks miss the buggy form; the reason says what is missing. */
  known?: { kind: 'miss'; why: string };
}

/** A body line: context unless marked '+' or '-'; `{ bug, fix }` lines differ between the forms. */
type BodyLine = string | { bug: string[]; fix: string[] };

interface Hunk {
  start: number;
  header: string;
  body: BodyLine[];
}

function render(file: string, hunks: Hunk[], form: 'bug' | 'fix'): string {
  const created = hunks.length === 1 && hunks[0]!.start === 0;
  let out = `diff --git a/${file} b/${file}\n${created ? 'new file mode 100644\n--- /dev/null' : `--- a/${file}`}\n+++ b/${file}\n`;
  let shift = 0;
  for (const h of hunks) {
    const lines = h.body.flatMap((l) => (typeof l === 'string' ? [/^[+-]/.test(l) ? l : ` ${l}`] : l[form]));
    const oldCount = lines.filter((l) => !l.startsWith('+')).length;
    const newCount = lines.filter((l) => !l.startsWith('-')).length;
    // start 0: a new file (`@@ -0,0 +1,n @@`).
    const range = h.start === 0 ? `-0,0 +1,${newCount}` : `-${h.start},${oldCount} +${h.start + shift},${newCount}`;
    out += `@@ ${range} @@${h.header ? ` ${h.header}` : ''}\n${lines.join('\n')}\n`;
    shift += newCount - oldCount;
  }
  return out;
}

/** Post-image line number of the last added or context line containing `at` (the process-context
 *  writer comes after the IRQ handler in these files). */
function lineOf(text: string, at: string): number {
  const hit = postImageLines(text).findLast((l) => l.raw.slice(1).includes(at));
  if (!hit) throw new Error(`no line with ${at}`);
  return hit.line;
}

function shape(name: string, modelledOn: string, rule: SeqcountRule, file: string, at: string, hunks: Hunk[], known?: string): SeqcountFixShape {
  const buggy = render(file, hunks, 'bug');
  return { name, modelledOn, rule, line: lineOf(buggy, at), buggy, fixed: render(file, hunks, 'fix'), ...(known ? { known: { kind: 'miss' as const, why: known } } : {}) };
}

/** The fix's lines `fixed` replaced by `bug` in the buggy form (both forms keep the same counts). */
const swap = (fixed: string[], bug: string[]) => ({ bug: [...fixed.map((l) => `-${l}`), ...bug.map((l) => `+${l}`)], fix: [...fixed.map((l) => `-${l}`), ...fixed.map((l) => `+${l}`)] });
/** Lines the fix added: removed by the reversed (buggy) form. */
const fixAdds = (lines: string[]) => ({ bug: lines.map((l) => `-${l}`), fix: lines.map((l) => `+${l}`) });
/** Lines the fix removed: added by the reversed (buggy) form. */
const bugAdds = (lines: string[]) => ({ bug: lines.map((l) => `+${l}`), fix: lines.map((l) => `-${l}`) });

const U64_IRQSAVE = (obj: string) =>
  swap([`\tflags = u64_stats_update_begin_irqsave(&${obj}->syncp);`], [`\tu64_stats_update_begin(&${obj}->syncp);`]);
const U64_IRQRESTORE = (obj: string) =>
  swap([`\tu64_stats_update_end_irqrestore(&${obj}->syncp, flags);`], [`\tu64_stats_update_end(&${obj}->syncp);`]);

export const SEQCOUNT_FIX_SHAPES: SeqcountFixShape[] = [
  // ---- u64_stats / seqcount_t writers in preemptible context ----
  shape('u64_stats writer under a mutex taken in the hunk (stats refresh from a worker)',
    'u64_stats_update_begin() -> _irqsave in DSA/ethernet MIB readers that hold a mutex', 'seqcount-writer-preemptible',
    'drivers/net/dsa/acme/acme_mib.c', 'u64_stats_update_begin(&ap->syncp)',
    [{ start: 210, header: 'static void acme_port_read_mib(struct acme_switch *sw, int port)', body: [
      '\tstruct acme_port *ap = &sw->ports[port];', '\tstruct acme_mib mib = {};', fixAdds(['\tunsigned long flags;']), '',
      '\tmutex_lock(&ap->mib_lock);', '\tacme_mib_fetch(sw, port, &mib);', U64_IRQSAVE('ap'), '\tap->mib = mib;', U64_IRQRESTORE('ap'), '\tmutex_unlock(&ap->mib_lock);', '}',
    ] }]),
  shape('u64_stats writer under a mutex taken above the hunk (only the unlock is shown)',
    'the xrs700x/ksz MIB-counter fixes: mutex held across the u64_stats section', 'seqcount-writer-preemptible',
    'drivers/net/ethernet/acme/acme_hwstats.c', 'u64_stats_update_begin(&q->syncp)',
    [
      { start: 404, header: 'static void acme_hwstats_update(struct acme_priv *priv, int qid)', body: [
        '\tstruct acme_queue *q = &priv->queues[qid];', fixAdds(['\tunsigned long flags;']), '\tu64 pkts, bytes;', '',
      ] },
      { start: 431, header: 'static void acme_hwstats_update(struct acme_priv *priv, int qid)', body: [
        '\tbytes = acme_read64(priv, ACME_Q_BYTES(qid));', '', U64_IRQSAVE('q'), '\tq->hw_pkts = pkts;', '\tq->hw_bytes = bytes;', U64_IRQRESTORE('q'), '', '\tmutex_unlock(&priv->reg_mutex);', '}',
      ] },
    ]),
  shape('u64_stats writer after a sleeping call in the same function',
    'u64_stats writers in work items that sleep before updating (irqsave fixes in PHY/USB drivers)', 'seqcount-writer-preemptible',
    'drivers/net/usb/acme_usb.c', 'u64_stats_update_begin(&dev->syncp)',
    [{ start: 612, header: 'static void acme_usb_poll_stats(struct work_struct *work)', body: [
      '\tstruct acme_usb *dev = container_of(work, struct acme_usb, stats_work.work);', fixAdds(['\tunsigned long flags;']), '\tint ret;', '',
      '\tret = acme_usb_read_counters(dev, dev->counter_buf);', '\tif (ret < 0)', '\t\treturn;', '\tmsleep(1);', '',
      U64_IRQSAVE('dev'), '\tdev->rx_errors += le32_to_cpu(dev->counter_buf[0]);', U64_IRQRESTORE('dev'),
    ] }]),
  shape('write_seqcount_begin under a mutex with its preempt_disable() removed (counter type not in the patch)',
    'block: nr_sects_write(): disable preemption on the seqcount write (bd_mutex held)', 'seqcount-writer-preemptible',
    'block/acme-part.c', 'write_seqcount_begin(&part->size_seq)',
    [
      { start: 88, header: 'static void acme_part_set_size(struct acme_part *part, sector_t size)', body: [
        '{', '\tmutex_lock(&part->size_mutex);', fixAdds(['\tpreempt_disable();']), '\twrite_seqcount_begin(&part->size_seq);', '\tpart->nr_sects = size;', '\twrite_seqcount_end(&part->size_seq);', fixAdds(['\tpreempt_enable();']), '\tmutex_unlock(&part->size_mutex);', '}',
      ] },
    ]),
  shape('u64_stats writer in a threaded IRQ handler',
    'irqsave fixes for stats updated from irq threads (preemptible task context)', 'seqcount-writer-preemptible',
    'drivers/net/ethernet/acme/acme_irq.c', 'u64_stats_update_begin(&ch->syncp)',
    [
      { start: 140, header: 'static irqreturn_t acme_rx_thread(int irq, void *data)', body: [
        '\tstruct acme_chan *ch = data;', fixAdds(['\tunsigned long flags;']), '\tint done;', '', '\tdone = acme_rx_drain(ch);',
        U64_IRQSAVE('ch'), '\tch->rx_packets += done;', U64_IRQRESTORE('ch'), '\treturn IRQ_HANDLED;',
      ] },
    ]),

  // ---- writers that IRQ context can interrupt ----
  shape('per-CPU u64_stats in a notrace hook (tracing/BPF re-entry from IRQ)',
    'bpf: update_prog_stats()/inc_misses_counter() -> u64_stats_update_begin_irqsave', 'seqcount-writer-irq-unsafe',
    'kernel/trace/acme_probe.c', 'u64_stats_update_begin(&st->syncp)',
    [{ start: 77, header: 'static u64 notrace acme_probe_clock(void)', body: [
      'static void notrace acme_probe_hit(struct acme_probe *p, u64 delta)', '{', '\tstruct acme_probe_stats *st;', fixAdds(['\tunsigned long flags;']), '',
      '\tst = this_cpu_ptr(p->stats);', U64_IRQSAVE('st'), '\tu64_stats_inc(&st->hits);', '\tu64_stats_add(&st->nsecs, delta);', U64_IRQRESTORE('st'), '}',
    ] }]),
  shape('u64_stats writer in a work item whose ISR updates the same syncp (ISR not in the patch)',
    'u64_stats_update_begin_irqsave fixes where the interrupt handler updates the same syncp', 'seqcount-writer-irq-unsafe',
    'drivers/net/ethernet/acme/acme_core.c', 'u64_stats_update_begin(&priv->syncp)',
    [{ start: 470, header: 'static void acme_tx_timeout_work(struct work_struct *work)', body: [
      '\tstruct acme_priv *priv = container_of(work, struct acme_priv, timeout_work);', fixAdds(['\tunsigned long flags;']), '',
      '\tacme_hw_reset(priv);', U64_IRQSAVE('priv'), '\tpriv->tx_timeouts++;', U64_IRQRESTORE('priv'), '\tnetif_tx_wake_all_queues(priv->ndev);', '}',
    ] }]),
  shape('write_seqlock in process context on a seqlock_t the PPS interrupt also writes (ISR not in the patch)',
    'write_seqlock -> write_seqlock_irqsave where an interrupt handler also writes (spinlock self-deadlock)', 'seqcount-writer-irq-unsafe',
    'drivers/ptp/ptp_acme.c', 'write_seqlock(&clk->time_lock)',
    [{ start: 150, header: 'static int acme_ptp_settime(struct ptp_clock_info *ptp, const struct timespec64 *ts)', body: [
      '\tstruct acme_clk *clk = container_of(ptp, struct acme_clk, info);', fixAdds(['\tunsigned long flags;']), '',
      swap(['\twrite_seqlock_irqsave(&clk->time_lock, flags);'], ['\twrite_seqlock(&clk->time_lock);']), '\tacme_write_time(clk, ts);',
      swap(['\twrite_sequnlock_irqrestore(&clk->time_lock, flags);'], ['\twrite_sequnlock(&clk->time_lock);']), '\treturn 0;', '}',
    ] }]),
  shape('write_seqlock_irq dropped to write_seqlock where the timer interrupt reads the seqlock_t',
    'write_seqlock -> write_seqlock_irq(save) where the interrupt path reads with read_seqbegin()', 'seqcount-writer-irq-unsafe',
    'drivers/clocksource/acme-timer.c', 'write_seqlock(&t->cal_lock)',
    [{ start: 120, header: 'static void acme_timer_recalibrate(struct acme_timer *t, u32 rate)', body: [
      '{', swap(['\twrite_seqlock_irq(&t->cal_lock);'], ['\twrite_seqlock(&t->cal_lock);']), '\tt->mult = acme_rate_to_mult(rate);', '\tt->shift = ACME_SHIFT;',
      swap(['\twrite_sequnlock_irq(&t->cal_lock);'], ['\twrite_sequnlock(&t->cal_lock);']), '}',
    ] }]),
  shape('raw_write_seqcount_begin in process context with its local_irq_save() removed',
    'raw seqcount writers in task context racing an interrupt-context writer (local_irq_save added)', 'seqcount-writer-irq-unsafe',
    'drivers/iio/adc/acme-adc.c', 'raw_write_seqcount_begin(&st->sample_seq)',
    [{ start: 180, header: 'static int acme_adc_reset_samples(struct acme_adc_state *st)', body: [
      '{', fixAdds(['\tunsigned long flags;', '', '\tlocal_irq_save(flags);']),
      '\traw_write_seqcount_begin(&st->sample_seq);', '\tmemset(st->sample, 0, sizeof(st->sample));', '\traw_write_seqcount_end(&st->sample_seq);', fixAdds(['\tlocal_irq_restore(flags);']), '\treturn 0;', '}',
    ] }]),
  shape('new driver: u64_stats written by its hard-IRQ handler and by a work item with IRQs on',
    'u64_stats writers in IRQ and task context of one driver (irqsave in the task-context writer)', 'seqcount-writer-irq-unsafe',
    'drivers/net/ethernet/acme/acme_new.c', 'u64_stats_update_begin(&priv->syncp)',
    [{ start: 0, header: '', body: [
      '+// SPDX-License-Identifier: GPL-2.0', '+#include <linux/interrupt.h>', '+#include <linux/u64_stats_sync.h>', '+',
      '+struct acme_priv {', '+\tstruct u64_stats_sync syncp;', '+\tu64 irqs;', '+\tu64 resets;', '+\tstruct work_struct reset_work;', '+};', '+',
      '+static irqreturn_t acme_isr(int irq, void *dev_id)', '+{', '+\tstruct acme_priv *priv = dev_id;', '+',
      '+\tu64_stats_update_begin(&priv->syncp);', '+\tpriv->irqs++;', '+\tu64_stats_update_end(&priv->syncp);', '+\treturn IRQ_HANDLED;', '+}', '+',
      '+static void acme_reset_work(struct work_struct *work)', '+{', '+\tstruct acme_priv *priv = container_of(work, struct acme_priv, reset_work);',
      { bug: ['+', '+\tu64_stats_update_begin(&priv->syncp);', '+\tpriv->resets++;', '+\tu64_stats_update_end(&priv->syncp);'],
        fix: ['+\tunsigned long flags;', '+', '+\tflags = u64_stats_update_begin_irqsave(&priv->syncp);', '+\tpriv->resets++;', '+\tu64_stats_update_end_irqrestore(&priv->syncp, flags);'] },
      '+}', '+',
      '+static int acme_probe(struct platform_device *pdev)', '+{', '+\tstruct acme_priv *priv;', '+\tint irq;', '+',
      '+\tpriv = devm_kzalloc(&pdev->dev, sizeof(*priv), GFP_KERNEL);', '+\tif (!priv)', '+\t\treturn -ENOMEM;', '+\tirq = platform_get_irq(pdev, 0);', '+\tif (irq < 0)', '+\t\treturn irq;',
      '+\tu64_stats_init(&priv->syncp);', '+\tINIT_WORK(&priv->reset_work, acme_reset_work);', '+\treturn devm_request_irq(&pdev->dev, irq, acme_isr, 0, "acme", priv);', '+}',
    ] }]),

  shape('write_seqlock_bh dropped to write_seqlock where a timer callback writes the same seqlock_t',
    'write_seqlock -> write_seqlock_bh where softirq (timer) context also writes', 'seqcount-writer-irq-unsafe',
    'net/acme/acme_rate.c', 'write_seqlock(&rl->lock)',
    [{ start: 210, header: 'static void acme_rate_reset(struct acme_ratelimit *rl, u32 rate)', body: [
      '{', swap(['\twrite_seqlock_bh(&rl->lock);'], ['\twrite_seqlock(&rl->lock);']), '\trl->rate = rate;', '\trl->tokens = rate;', '\trl->last = jiffies;',
      swap(['\twrite_sequnlock_bh(&rl->lock);'], ['\twrite_sequnlock(&rl->lock);']), '}',
    ] }]),
  shape('process-context u64_stats writer of per-CPU NAPI stats with its local_bh_disable() removed',
    'net: per-CPU stats updated from process context need BH off against the NAPI writer', 'seqcount-writer-irq-unsafe',
    'drivers/net/acme_tun.c', 'u64_stats_update_begin(&tstats->syncp)',
    [{ start: 388, header: 'static int acme_tun_inject(struct acme_tun *tun, struct sk_buff *skb)', body: [
      '\tstruct acme_pcpu_stats *tstats;', '', '\tlen = skb->len;', fixAdds(['\tlocal_bh_disable();']), '\ttstats = this_cpu_ptr(tun->stats);', '\tu64_stats_update_begin(&tstats->syncp);', '\ttstats->rx_packets++;', '\ttstats->rx_bytes += len;', '\tu64_stats_update_end(&tstats->syncp);',
      fixAdds(['\tlocal_bh_enable();']), '\treturn acme_tun_deliver(tun, skb);',
    ] }]),

  // ---- seqcount_t that should carry its lock ----
  shape('new seqcount_t whose writers are serialised by a spinlock (struct, init and writer in the patch)',
    'seqcount_t -> seqcount_spinlock_t conversions (lockdep coverage, PREEMPT_RT reader livelock)', 'seqcount-plain-under-spinlock',
    'net/acme/acme_flow.c', 'write_seqcount_begin(&ft->seq)',
    [
      { start: 52, header: 'struct acme_flow_table {', body: ['\tspinlock_t lock;', { bug: ['+\tseqcount_t seq;'], fix: ['+\tseqcount_spinlock_t seq;'] }, '\tstruct hlist_head buckets[ACME_BUCKETS];', '\tunsigned int count;', '};'] },
      { start: 100, header: 'static void acme_flow_table_init(struct acme_flow_table *ft)', body: [
        '{', '\tspin_lock_init(&ft->lock);', { bug: ['+\tseqcount_init(&ft->seq);'], fix: ['+\tseqcount_spinlock_init(&ft->seq, &ft->lock);'] }, '\tft->count = 0;', '}',
      ] },
      { start: 140, header: 'static void acme_flow_insert(struct acme_flow_table *ft, struct acme_flow *f)', body: [
        '{', '\tspin_lock_bh(&ft->lock);', '+\twrite_seqcount_begin(&ft->seq);', '\thlist_add_head_rcu(&f->node, &ft->buckets[f->hash % ACME_BUCKETS]);', '\tft->count++;', '+\twrite_seqcount_end(&ft->seq);', '\tspin_unlock_bh(&ft->lock);', '}',
      ] },
    ]),
  shape('seqcount_rwlock_t reverted to seqcount_t (declaration and init changed, writers not in the patch)',
    'Ahmed Darwish\'s seqcount_LOCKNAME_t conversions (e.g. an nft set backend) reversed', 'seqcount-plain-under-spinlock',
    'net/netfilter/acme_set.c', 'seqcount_init(&priv->count)',
    [
      { start: 25, header: 'struct acme_set_priv {', body: ['\trwlock_t lock;', swap(['\tseqcount_rwlock_t count;'], ['\tseqcount_t count;']), '\tstruct rb_root root;', '};'] },
      { start: 480, header: 'static int acme_set_init(const struct acme_set *set, const struct acme_set_desc *desc)', body: [
        '\tstruct acme_set_priv *priv = acme_set_priv(set);', '', '\trwlock_init(&priv->lock);', swap(['\tseqcount_rwlock_init(&priv->count, &priv->lock);'], ['\tseqcount_init(&priv->count);']), '\tpriv->root = RB_ROOT;', '\treturn 0;', '}',
      ] },
    ]),

  // ---- readers in atomic context on PREEMPT_RT ----
  shape('read_seqbegin on a seqlock_t moved under a raw_spin_lock_irqsave',
    'PREEMPT_RT: seqlock_t readers that take the sleeping spinlock in atomic context', 'seqcount-reader-atomic-rt',
    'kernel/acme/acme_sched_stats.c', 'seq = read_seqbegin(&grp->stats_lock)',
    [{ start: 330, header: 'static u64 acme_group_runtime(struct acme_group *grp, struct acme_rq *rq)', body: [
      '\tunsigned long flags;', '\tunsigned int seq;', '\tu64 runtime;', '',
      fixAdds(['\tdo {', '\t\tseq = read_seqbegin(&grp->stats_lock);', '\t\truntime = grp->runtime;', '\t} while (read_seqretry(&grp->stats_lock, seq));', '']),
      '\traw_spin_lock_irqsave(&rq->lock, flags);',
      bugAdds(['\tdo {', '\t\tseq = read_seqbegin(&grp->stats_lock);', '\t\truntime = grp->runtime;', '\t} while (read_seqretry(&grp->stats_lock, seq));']),
      '\truntime += rq->pending;', '\traw_spin_unlock_irqrestore(&rq->lock, flags);', '\treturn runtime;',
    ] }]),
  shape('read_seqcount_begin on a seqcount_spinlock_t (declared outside the patch) inside preempt_disable()',
    'PREEMPT_RT: seqcount_LOCKNAME_t readers under preempt_disable (lock dance sleeps)', 'seqcount-reader-atomic-rt',
    'mm/acme_pool.c', 'seq = read_seqcount_begin(&pool->seq)',
    [
      { start: 210, header: 'static unsigned long acme_pool_free_pages(struct acme_pool *pool)', body: [
        '\tunsigned long nr;', '\tunsigned int seq;', '',
        swap(['\tdo {', '\t\tseq = read_seqcount_begin(&pool->seq);', '\t\tnr = pool->nr_free;', '\t} while (read_seqcount_retry(&pool->seq, seq));', '\tpreempt_disable();'],
          ['\tpreempt_disable();', '\tdo {', '\t\tseq = read_seqcount_begin(&pool->seq);', '\t\tnr = pool->nr_free;', '\t} while (read_seqcount_retry(&pool->seq, seq));']),
        '\tnr += this_cpu_read(acme_pcp_free);', '\tpreempt_enable();', '\treturn nr;',
      ] },
    ], 'the counter is declared seqcount_spinlock_t in a header the patch does not touch: in hunk-only review its type is unknown, and an unknown counter may be a plain seqcount_t, whose reader is fine here'),

  shape('read_seqbegin on a seqlock_t moved inside local_irq_save()',
    'PREEMPT_RT: seqlock_t readers with interrupts disabled (the reader may take the sleeping spinlock)', 'seqcount-reader-atomic-rt',
    'arch/x86/kernel/acme_tsc.c', 'seq = read_seqbegin(&acme_clock_lock)',
    [{ start: 77, header: 'static u64 acme_read_offset(struct acme_cpu *ac)', body: [
      '\tunsigned int seq;', '\tu64 off;', '',
      swap(['\tdo {', '\t\tseq = read_seqbegin(&acme_clock_lock);', '\t\toff = acme_clock_offset;', '\t} while (read_seqretry(&acme_clock_lock, seq));', '\tlocal_irq_save(flags);'],
        ['\tlocal_irq_save(flags);', '\tdo {', '\t\tseq = read_seqbegin(&acme_clock_lock);', '\t\toff = acme_clock_offset;', '\t} while (read_seqretry(&acme_clock_lock, seq));']),
      '\toff += acme_rdtsc_delta(ac);', '\tlocal_irq_restore(flags);', '\treturn off;',
    ] }]),

  // ---- read_seqbegin_or_lock() misuse ----
  shape('read_seqbegin_or_lock loop whose marker stays even (seq = 0, no seq++)',
    'afs/rxrpc/proc: "fix the usage of read_seqbegin_or_lock()" (seq = 1 and seq++ per pass)', 'seqcount-seqbegin-or-lock-never-odd',
    'net/acme/acme_peer.c', 'int seq = 0;',
    [
      { start: 300, header: 'struct acme_peer *acme_peer_lookup(struct acme_net *an, u32 id)', body: [
        '{', '\tstruct acme_peer *peer = NULL;', swap(['\tint seq = 1;'], ['\tint seq = 0;']), '', '\trcu_read_lock();',
      ] },
      { start: 307, header: 'struct acme_peer *acme_peer_lookup(struct acme_net *an, u32 id)', body: [
        '\t\tif (peer)', '\t\t\tacme_peer_put(peer);', '\t\tpeer = NULL;', swap(['\t\tseq++; /* even on the lockless pass, odd on the locked one */'], ['']),
        '\t\tread_seqbegin_or_lock(&an->peer_lock, &seq);', '\t\tpeer = __acme_peer_find(an, id);', '\t\tif (peer && !acme_peer_get(peer))',
      ] },
      { start: 330, header: 'struct acme_peer *acme_peer_lookup(struct acme_net *an, u32 id)', body: [
        '\t\t\tpeer = NULL;', '\t} while (need_seqretry(&an->peer_lock, seq));', '\tdone_seqretry(&an->peer_lock, seq);', '\trcu_read_unlock();',
      ] },
    ]),
  shape('read_seqbegin_or_lock with a next-pass marker that is never set odd',
    'thread_group_cputime()/getrusage(): nextseq = 1 missing before the retry', 'seqcount-seqbegin-or-lock-never-odd',
    'kernel/acme/acme_acct.c', 'read_seqbegin_or_lock(&sig->acct_lock, &seq)',
    [{ start: 140, header: 'void acme_group_acct(struct acme_signal *sig, struct acme_acct *out)', body: [
      '\tint seq, nextseq;', '', '\tnextseq = 0;', '\tdo {', '\t\tseq = nextseq;', '\t\tread_seqbegin_or_lock(&sig->acct_lock, &seq);', '\t\t*out = sig->acct;',
      fixAdds(['\t\t/* if a writer raced, take the lock on the next pass */', '\t\tnextseq = 1;']),
      '\t} while (need_seqretry(&sig->acct_lock, seq));', '\tdone_seqretry(&sig->acct_lock, seq);', '}',
    ] }]),

  shape('read_seqbegin_or_lock retry path that resets the marker to 0 instead of 1 (goto form)',
    'd_path()/prepend_path() style locking retries: `seq = 1; goto restart;`', 'seqcount-seqbegin-or-lock-never-odd',
    'fs/acme/acme_path.c', 'seq = 0;',
    [{ start: 240, header: 'static int acme_build_path(struct acme_node *node, char *buf, int len)', body: [
      '\t\tnode = node->parent;', '\t}', '\tif (need_seqretry(&acme_tree_lock, seq)) {', swap(['\t\tseq = 1;'], ['\t\tseq = 0;']), '\t\tgoto restart;', '\t}', '\tdone_seqretry(&acme_tree_lock, seq);',
    ] }]),

  // ---- read section never validated ----
  shape('seqcount read section whose retry was dropped (whole function in the hunk)',
    'fixes adding the missing read_seqcount_retry() loop around a snapshot', 'seqcount-read-without-retry',
    'drivers/gpu/drm/acme/acme_vblank.c', 'seq = read_seqcount_begin(&vbl->seq);',
    [{ start: 90, header: 'struct acme_vblank {', body: [
      '};', '', 'static u64 acme_vblank_count_time(struct acme_vblank *vbl, ktime_t *t)', '{', '\tunsigned int seq;', '\tu64 count;', '',
      swap(['\tdo {', '\t\tseq = read_seqcount_begin(&vbl->seq);', '\t\tcount = vbl->count;', '\t\t*t = vbl->time;', '\t} while (read_seqcount_retry(&vbl->seq, seq));'],
        ['\tseq = read_seqcount_begin(&vbl->seq);', '\tcount = vbl->count;', '\t*t = vbl->time;']),
      '\treturn count;', '}', '',
    ] }]),
  shape('u64_stats_fetch_begin retry loop dropped in a partially shown ndo_get_stats64',
    'fixes adding the missing u64_stats_fetch_retry() loop to per-CPU stats readers', 'seqcount-read-without-retry',
    'drivers/net/ethernet/acme/acme_stats.c', 'start = u64_stats_fetch_begin(&ps->syncp)',
    [{ start: 701, header: 'static void acme_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *s)', body: [
      '\t\tstruct acme_pcpu_stats *ps = per_cpu_ptr(priv->stats, cpu);', '\t\tu64 rx, tx;', '',
      swap(['\t\tdo {', '\t\t\tstart = u64_stats_fetch_begin(&ps->syncp);', '\t\t\trx = u64_stats_read(&ps->rx_packets);', '\t\t\ttx = u64_stats_read(&ps->tx_packets);', '\t\t} while (u64_stats_fetch_retry(&ps->syncp, start));'],
        ['\t\tstart = u64_stats_fetch_begin(&ps->syncp);', '\t\trx = u64_stats_read(&ps->rx_packets);', '\t\ttx = u64_stats_read(&ps->tx_packets);']),
      '\t\ts->rx_packets += rx;', '\t\ts->tx_packets += tx;', '\t}',
    ] }]),
];
