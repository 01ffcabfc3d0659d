// Hunk-shaped cases of real atomic-sleep / PREEMPT_RT fix shapes, written for this project (no
// kernel code copied): each is a small unified diff as a reversed fix would show it (the buggy
// line on the + side, the hunk header naming the function, realistic context) and its fixed
// counterpart. `rule` is the finding the buggy form must draw on `line` (post-image); the fixed
// form must draw none. Used by fix-shapes.test.ts.
import { oneHunkDiff, postImageLines, swap } from '../../helpers/one-hunk-diff.js';

export interface FixShape {
  name: string;
  rule: 'atomic-sleep-in-atomic' | 'atomic-sleep-rt-only';
  /** Post-image line of the buggy form the finding belongs on: its first added line. */
  line: number;
  buggy: string;
  fixed: string;
}


function shape(name: string, rule: FixShape['rule'], file: string, start: number, header: string, body: string[], s: { bug: string[]; fix: string[] }): FixShape {
  const d = oneHunkDiff(file, start, header, body, s.bug, s.fix);
  return { name, rule, line: firstAddedLine(d.buggy), ...d };
}

function firstAddedLine(text: string): number {
  const hit = postImageLines(text).find((l) => l.added);
  if (!hit) throw new Error('no added line');
  return hit.line;
}

export const FIX_SHAPES: FixShape[] = [
  shape('GFP_KERNEL -> GFP_ATOMIC under spin_lock_irqsave (lock and unlock in the hunk)', 'atomic-sleep-in-atomic',
    'drivers/net/ethernet/acme/acme_main.c', 200, 'static int acme_queue_cmd(struct acme_dev *ad, u32 op)',
    ['\tstruct acme_cmd *cmd;', '\tunsigned long flags;', '', '\tspin_lock_irqsave(&ad->cmd_lock, flags);', '@@BUG@@', '\tif (!cmd) {', '\t\tspin_unlock_irqrestore(&ad->cmd_lock, flags);', '\t\treturn -ENOMEM;', '\t}'],
    swap('\tcmd = kzalloc(sizeof(*cmd), GFP_ATOMIC);', '\tcmd = kzalloc(sizeof(*cmd), GFP_KERNEL);')),
  shape('GFP_KERNEL -> GFP_ATOMIC inside rcu_read_lock()', 'atomic-sleep-in-atomic',
    'net/acme/acme_table.c', 410, 'static int acme_snapshot(struct acme_net *an)',
    ['\trcu_read_lock();', '\tlist_for_each_entry_rcu(e, &an->entries, list) {', '\t\tif (!e->active)', '\t\t\tcontinue;', '\t\tstruct acme_snap *s;', '@@BUG@@', '\t\tif (!s)', '\t\t\tbreak;', '\t}', '\trcu_read_unlock();'],
    swap('\t\ts = kmalloc(sizeof(*s), GFP_ATOMIC);', '\t\ts = kmalloc(sizeof(*s), GFP_KERNEL);')),
  shape('allocation under a lock taken above the hunk, released in it', 'atomic-sleep-in-atomic',
    'drivers/misc/acme/acme_buf.c', 85, 'static int acme_grow(struct acme_priv *priv, size_t len)',
    ['\tif (len <= priv->cap)', '\t\tgoto out;', '', '@@BUG@@', '\tif (!buf)', '\t\tgoto out;', '\tpriv->buf = buf;', 'out:', '\tspin_unlock(&priv->lock);', '\treturn 0;'],
    swap('\tbuf = krealloc(priv->buf, len, GFP_NOWAIT);', '\tbuf = krealloc(priv->buf, len, GFP_KERNEL);')),
  shape('msleep -> mdelay under spin_lock', 'atomic-sleep-in-atomic',
    'drivers/mmc/host/acme-mmc.c', 130, 'static void acme_mmc_reset(struct acme_host *host)',
    ['\tspin_lock(&host->lock);', '\twritel(ACME_RESET, host->base + ACME_CTRL);', '@@BUG@@', '\twritel(0, host->base + ACME_CTRL);', '\tspin_unlock(&host->lock);'],
    swap('\tmdelay(2);', '\tmsleep(2);')),
  shape('usleep_range -> udelay under raw_spin_lock_irqsave', 'atomic-sleep-in-atomic',
    'drivers/clk/acme/clk-pll.c', 60, 'static int acme_pll_enable(struct clk_hw *hw)',
    ['\traw_spin_lock_irqsave(&pll->lock, flags);', '\tval = readl(pll->base);', '@@BUG@@', '\twritel(val | PLL_EN, pll->base);', '\traw_spin_unlock_irqrestore(&pll->lock, flags);'],
    swap('\tudelay(20);', '\tusleep_range(20, 40);')),
  shape('spinlock replaced by a mutex: the section calls an I2C transfer', 'atomic-sleep-in-atomic',
    'drivers/iio/light/acme-als.c', 250, 'static int acme_als_read_raw(struct iio_dev *indio_dev,',
    ['\tstruct acme_als *als = iio_priv(indio_dev);', '', '@@BUG@@', '\tif (ret < 0)', '\t\treturn ret;'],
    {
      bug: ['-\tmutex_lock(&als->lock);', '+\tspin_lock(&als->lock);', ' \tret = i2c_smbus_read_word_data(als->client, ACME_ALS_DATA);', '-\tmutex_unlock(&als->lock);', '+\tspin_unlock(&als->lock);'],
      fix: [' \tmutex_lock(&als->lock);', ' \tret = i2c_smbus_read_word_data(als->client, ACME_ALS_DATA);', ' \tmutex_unlock(&als->lock);'],
    }),
  shape('mutex_lock inside a spinlock section', 'atomic-sleep-in-atomic',
    'drivers/gpu/drm/acme/acme_vblank.c', 340, 'static void acme_crtc_flush(struct acme_crtc *crtc)',
    ['\tunsigned long flags;', '', '\tspin_lock_irqsave(&crtc->event_lock, flags);', '@@BUG@@', '\tacme_commit_regs(crtc);', '\tmutex_unlock(&crtc->hw_lock);', '\tspin_unlock_irqrestore(&crtc->event_lock, flags);'],
    { bug: ['+\tmutex_lock(&crtc->hw_lock);'], fix: ['+\tlockdep_assert_held(&crtc->hw_lock);'] }),
  shape('spinlock_t -> raw_spinlock_t in an irq_chip .irq_mask callback', 'atomic-sleep-rt-only',
    'drivers/gpio/gpio-acme.c', 150, 'static void acme_gpio_irq_mask(struct irq_data *d)',
    ['\tunsigned long flags;', '', '@@BUG@@'],
    {
      bug: ['-\traw_spin_lock_irqsave(&acme->lock, flags);', '+\tspin_lock_irqsave(&acme->lock, flags);', ' \tacme->mask &= ~BIT(hwirq);', ' \twritel(acme->mask, acme->base + ACME_GPIO_IMR);', '-\traw_spin_unlock_irqrestore(&acme->lock, flags);', '+\tspin_unlock_irqrestore(&acme->lock, flags);'],
      fix: [' \traw_spin_lock_irqsave(&acme->lock, flags);', ' \tacme->mask &= ~BIT(hwirq);', ' \twritel(acme->mask, acme->base + ACME_GPIO_IMR);', ' \traw_spin_unlock_irqrestore(&acme->lock, flags);'],
    }),
  shape('spinlock_t taken under a raw_spinlock_t', 'atomic-sleep-rt-only',
    'kernel/acme/acme_sched.c', 90, 'static void acme_rq_update(struct acme_rq *rq)',
    ['\traw_spin_lock(&rq->lock);', '\trq->nr++;', '@@BUG@@', '\tacme_stats_add(rq->stats, 1);', '\tspin_unlock(&rq->stats_lock);', '\traw_spin_unlock(&rq->lock);'],
    { bug: ['+\tspin_lock(&rq->stats_lock);'], fix: ['+\tlockdep_assert_held(&rq->lock);'] }),
  shape('get_cpu() section around a spinlock_t (preemption off on RT)', 'atomic-sleep-rt-only',
    'net/acme/acme_cache.c', 710, 'static struct acme_entry *acme_cache_lookup(struct net *net, u32 key)',
    ['\tstruct acme_cache *c;', '@@BUG@@', '\tc = per_cpu_ptr(net->acme.cache, cpu);', '\tspin_lock_bh(&net->acme.lock);', '\te = __acme_find(c, key);', '\tspin_unlock_bh(&net->acme.lock);'],
    { bug: ['+\tint cpu = get_cpu();'], fix: ['+\tint cpu = raw_smp_processor_id();'] }),
  shape('local_irq_save() + spin_lock() instead of spin_lock_irqsave()', 'atomic-sleep-rt-only',
    'drivers/dma/acme-dma.c', 55, 'static void acme_dma_issue(struct acme_chan *ch)',
    ['\tunsigned long flags;', '', '@@BUG@@', '\tacme_dma_start(ch);', '\tspin_unlock_irqrestore(&ch->vc.lock, flags);'],
    { bug: ['+\tlocal_irq_save(flags);', '+\tspin_lock(&ch->vc.lock);'], fix: ['+\tspin_lock_irqsave(&ch->vc.lock, flags);'] }),
  shape('GFP_ATOMIC allocation moved out of a raw_spinlock_t section (the slab allocator sleeps on RT)', 'atomic-sleep-rt-only',
    'drivers/irqchip/irq-acme-its.c', 1410, 'static int acme_its_map_vlpi(struct acme_its *its, u32 id)',
    ['\tunsigned long flags;', '', '@@BUG@@', '\tlist_add(&map->entry, &its->maps);', '\traw_spin_unlock_irqrestore(&its->lock, flags);'],
    {
      bug: ['-\tmap = kzalloc(sizeof(*map), GFP_KERNEL);', '-\tif (!map)', '-\t\treturn -ENOMEM;', ' \traw_spin_lock_irqsave(&its->lock, flags);', '+\tmap = kzalloc(sizeof(*map), GFP_ATOMIC);', '+\tif (!map) {', '+\t\traw_spin_unlock_irqrestore(&its->lock, flags);', '+\t\treturn -ENOMEM;', '+\t}'],
      fix: ['+\tmap = kzalloc(sizeof(*map), GFP_KERNEL);', '+\tif (!map)', '+\t\treturn -ENOMEM;', ' \traw_spin_lock_irqsave(&its->lock, flags);'],
    }),
  shape('GFP_ATOMIC allocation inside an irq_chip callback (PREEMPT_RT)', 'atomic-sleep-rt-only',
    'drivers/gpio/gpio-acme-irq.c', 220, 'static int acme_irq_set_affinity(struct irq_data *d, const struct cpumask *dest, bool force)',
    ['\tstruct acme_irq *ai = irq_data_get_irq_chip_data(d);', '', '@@BUG@@', '\tif (!tmp)', '\t\treturn -ENOMEM;'],
    { bug: ['+\ttmp = kmalloc(ACME_AFF_LEN, GFP_ATOMIC);'], fix: ['+\ttmp = ai->aff_buf;'] }),
  shape('GFP_KERNEL -> GFP_ATOMIC in a timer_list callback (hunk deep in the function)', 'atomic-sleep-in-atomic',
    'drivers/net/wireless/acme/acme_scan.c', 500, 'static void acme_scan_timeout(struct timer_list *t)',
    ['\tif (!sc->pending)', '\t\treturn;', '', '\tsc->pending = false;', '\tacme_flush_results(sc);', '', '\t/* report the partial result */', '\tstruct sk_buff *skb;', '@@BUG@@', '\tif (!skb)', '\t\treturn;'],
    swap('\tskb = alloc_skb(ACME_EVT_LEN, GFP_ATOMIC);', '\tskb = alloc_skb(ACME_EVT_LEN, GFP_KERNEL);')),
  shape('msleep -> udelay in an hrtimer callback', 'atomic-sleep-in-atomic',
    'sound/acme/acme-pcm.c', 320, 'static enum hrtimer_restart acme_pcm_tick(struct hrtimer *hrt)',
    ['\tacme_pcm_ack(pcm);', '\tif (pcm->stalled)', '@@BUG@@', '\thrtimer_forward_now(hrt, pcm->period);', '\treturn HRTIMER_RESTART;'],
    swap('\t\tudelay(10);', '\t\tmsleep(1);')),
  shape('GFP_KERNEL -> GFP_ATOMIC in a tasklet callback', 'atomic-sleep-in-atomic',
    'drivers/crypto/acme/acme-engine.c', 70, 'static void acme_done_tasklet(struct tasklet_struct *t)',
    ['\tstruct acme_req *rq;', '', '\twhile ((rq = acme_next_done(eng))) {', '\t\tacme_unmap(rq);', '\t\tacme_complete(rq);', '\t}', '', '@@BUG@@', '\tif (!eng->scratch)', '\t\treturn;'],
    swap('\teng->scratch = kzalloc(ACME_SCRATCH, GFP_ATOMIC);', '\teng->scratch = kzalloc(ACME_SCRATCH, GFP_KERNEL);')),
  shape('usleep_range -> udelay in ndo_start_xmit (bottom halves disabled)', 'atomic-sleep-in-atomic',
    'drivers/net/ethernet/acme/acme_tx.c', 640, 'static netdev_tx_t acme_start_xmit(struct sk_buff *skb, struct net_device *ndev)',
    ['\tif (acme_tx_ring_full(priv)) {', '\t\tnetif_stop_queue(ndev);', '\t\treturn NETDEV_TX_BUSY;', '\t}', '\twritel(ACME_TX_KICK, priv->base + ACME_TX_CTRL);', '@@BUG@@', '\tacme_tx_complete(priv);'],
    swap('\tudelay(5);', '\tusleep_range(5, 10);')),
  shape('copy_to_user moved out of a spin_lock section', 'atomic-sleep-in-atomic',
    'drivers/char/acme_ctl.c', 960, 'static long acme_ioctl_get(struct acme_file *af, void __user *arg)',
    ['\tspin_lock(&af->lock);', '\tinfo = af->info;', '@@BUG@@', '\tspin_unlock(&af->lock);', '\treturn 0;'],
    { bug: ['+\tif (copy_to_user(arg, &info, sizeof(info))) {', '+\t\tspin_unlock(&af->lock);', '+\t\treturn -EFAULT;', '+\t}'], fix: ['+\t/* copied out after the unlock */'] }),
  shape('synchronize_rcu() under a spinlock', 'atomic-sleep-in-atomic',
    'net/acme/acme_filter.c', 1200, 'static void acme_filter_replace(struct acme_net *an, struct acme_filter *nf)',
    ['\tspin_lock_bh(&an->filter_lock);', '\told = rcu_replace_pointer(an->filter, nf, lockdep_is_held(&an->filter_lock));', '@@BUG@@', '\tspin_unlock_bh(&an->filter_lock);', '\tkfree_rcu(old, rcu);'],
    { bug: ['+\tsynchronize_rcu();'], fix: ['+\t/* readers are waited for by kfree_rcu() */'] }),
  shape('cancel_work_sync() under spin_lock_irqsave', 'atomic-sleep-in-atomic',
    'drivers/input/acme-kbd.c', 42, 'static void acme_kbd_stop(struct acme_kbd *kbd)',
    ['\tunsigned long flags;', '', '\tspin_lock_irqsave(&kbd->lock, flags);', '\tkbd->running = false;', '@@BUG@@', '\tspin_unlock_irqrestore(&kbd->lock, flags);'],
    { bug: ['+\tcancel_work_sync(&kbd->work);'], fix: ['+\tcancel_work(&kbd->work);'] }),
  shape('clk_prepare_enable -> clk_enable under a spinlock', 'atomic-sleep-in-atomic',
    'drivers/tty/serial/acme-uart.c', 610, 'static void acme_uart_pm(struct uart_port *port, unsigned int state,',
    ['\tuart_port_lock_irqsave(port, &flags);', '\tif (state == UART_PM_STATE_ON) {', '@@BUG@@', '\t\twritel(1, port->membase + ACME_PWR);', '\t}', '\tuart_port_unlock_irqrestore(port, flags);'],
    swap('\t\tclk_enable(up->clk);', '\t\tclk_prepare_enable(up->clk);')),
  shape('gpiod_set_value_cansleep under spin_lock_irqsave', 'atomic-sleep-in-atomic',
    'drivers/spi/spi-acme.c', 280, 'static void acme_spi_set_cs(struct spi_device *spi, bool enable)',
    ['\tspin_lock_irqsave(&as->lock, flags);', '\tas->cs_active = enable;', '@@BUG@@', '\tspin_unlock_irqrestore(&as->lock, flags);'],
    swap('\tgpiod_set_value(as->cs_gpio, enable);', '\tgpiod_set_value_cansleep(as->cs_gpio, enable);')),
  shape('GFP_KERNEL under scoped_guard(spinlock_irqsave)', 'atomic-sleep-in-atomic',
    'drivers/hid/hid-acme.c', 120, 'static int acme_hid_queue(struct acme_hid *ah, const u8 *data, int len)',
    ['\tscoped_guard(spinlock_irqsave, &ah->lock) {', '\t\tif (ah->closing)', '\t\t\treturn -ENODEV;', '@@BUG@@', '\t\tif (!ev)', '\t\t\treturn -ENOMEM;', '\t\tlist_add_tail(&ev->node, &ah->events);', '\t}'],
    swap('\t\tev = kmemdup(data, len, GFP_ATOMIC);', '\t\tev = kmemdup(data, len, GFP_KERNEL);')),
  shape('GFP_KERNEL under guard(spinlock) to the end of the function', 'atomic-sleep-in-atomic',
    'drivers/base/acme-bus.c', 70, 'static int acme_bus_add_id(struct acme_bus *bus, u32 id)',
    ['\tguard(spinlock)(&bus->ids_lock);', '', '\tif (acme_bus_has_id(bus, id))', '\t\treturn -EEXIST;', '@@BUG@@', '\treturn ret < 0 ? ret : 0;'],
    swap('\tret = xa_insert(&bus->ids, id, bus, GFP_ATOMIC);', '\tret = xa_insert(&bus->ids, id, bus, GFP_KERNEL);')),
  shape('wait_for_completion_timeout under a spinlock', 'atomic-sleep-in-atomic',
    'drivers/remoteproc/acme_rproc.c', 900, 'static int acme_rproc_stop(struct rproc *rproc)',
    ['\tspin_lock(&ar->lock);', '\tacme_send_stop(ar);', '@@BUG@@', '\tspin_unlock(&ar->lock);', '\treturn ret ? 0 : -ETIMEDOUT;'],
    swap('\tret = try_wait_for_completion(&ar->stopped);', '\tret = wait_for_completion_timeout(&ar->stopped, HZ);')),
  shape('mutex_lock inside rcu_read_lock()', 'atomic-sleep-in-atomic',
    'fs/acme/acme_inode.c', 530, 'static void acme_refresh_all(struct acme_sb *sb)',
    ['\trcu_read_lock();', '\tlist_for_each_entry_rcu(ai, &sb->inodes, list) {', '\t\tif (!ai->dirty)', '\t\t\tcontinue;', '@@BUG@@', '\t\tacme_refresh(ai);', '\t\tmutex_unlock(&ai->io_lock);', '\t}', '\trcu_read_unlock();'],
    { bug: ['+\t\tmutex_lock(&ai->io_lock);'], fix: ['+\t\tif (!mutex_trylock(&ai->io_lock))', '+\t\t\tcontinue;'] }),
  shape('GFP_KERNEL under spin_lock_bh', 'atomic-sleep-in-atomic',
    'net/acme/acme_sock.c', 1500, 'static int acme_sock_bind_queue(struct acme_sock *as, int q)',
    ['\tspin_lock_bh(&as->queue_lock);', '\tif (as->queues[q])', '\t\tgoto unlock;', '@@BUG@@', 'unlock:', '\tspin_unlock_bh(&as->queue_lock);'],
    swap('\tas->queues[q] = kzalloc(sizeof(struct acme_q), GFP_ATOMIC);', '\tas->queues[q] = kzalloc(sizeof(struct acme_q), GFP_KERNEL);')),
  shape('GFP_KERNEL in a hard-IRQ handler registered in the same file (second hunk)', 'atomic-sleep-in-atomic',
    'drivers/misc/acme-irq.c', 90, 'static irqreturn_t acme_isr(int irq, void *dev_id)',
    ['\tstruct acme *a = dev_id;', '\tu32 st = readl(a->base + ACME_ISR);', '', '\tif (st & ACME_ERR) {', '@@BUG@@', '\t\tif (e)', '\t\t\tlist_add(&e->node, &a->errors);', '\t}'],
    swap('\t\te = kzalloc(sizeof(*e), GFP_ATOMIC);', '\t\te = kzalloc(sizeof(*e), GFP_KERNEL);')),
  shape('i2c transfer from an irq_chip .irq_set_type callback (belongs in irq_bus_sync_unlock)', 'atomic-sleep-in-atomic',
    'drivers/gpio/gpio-acme-i2c.c', 260, 'static int acme_i2c_irq_set_type(struct irq_data *d, unsigned int type)',
    ['\tif (type & IRQ_TYPE_EDGE_BOTH)', '\t\tval |= BIT(hwirq);', '@@BUG@@', '\treturn 0;'],
    swap('\tacme->type_cache = val;', '\ti2c_smbus_write_byte_data(acme->client, ACME_TYPE, val);')),
  // Driver callbacks the kernel calls in atomic context (rules/roles.yaml contexts): the role comes
  // from the hunk header's signature alone (the ops struct is rarely in the patch).
  shape('mutex instead of a spinlock in ndo_set_rx_mode (netif_addr_lock_bh held)', 'atomic-sleep-in-atomic',
    'drivers/net/ethernet/acme/acme_main.c', 880, 'static void acme_set_rx_mode(struct net_device *ndev)',
    ['\tstruct acme_priv *priv = netdev_priv(ndev);', '\tu32 filter = 0;', '', '\tif (ndev->flags & IFF_PROMISC)', '\t\tfilter |= ACME_RX_PROMISC;', '@@BUG@@'],
    {
      bug: ['-\tspin_lock(&priv->filter_lock);', '+\tmutex_lock(&priv->filter_lock);', ' \tacme_write_filter(priv, filter);', '-\tspin_unlock(&priv->filter_lock);', '+\tmutex_unlock(&priv->filter_lock);'],
      fix: [' \tspin_lock(&priv->filter_lock);', ' \tacme_write_filter(priv, filter);', ' \tspin_unlock(&priv->filter_lock);'],
    }),
  shape('chip reset with msleep() in ndo_tx_timeout instead of a work item', 'atomic-sleep-in-atomic',
    'drivers/net/ethernet/acme/acme_main.c', 1210, 'static void acme_tx_timeout(struct net_device *ndev, unsigned int txqueue)',
    ['\tstruct acme_priv *priv = netdev_priv(ndev);', '', '\tnetdev_err(ndev, "TX queue %u timed out\\n", txqueue);', '\tndev->stats.tx_errors++;', '@@BUG@@'],
    { bug: ['+\tacme_stop_hw(priv);', '+\tmsleep(20);', '+\tacme_start_hw(priv);'], fix: ['+\tschedule_work(&priv->reset_task);'] }),
  shape('mutex instead of a spinlock in ndo_get_stats (may run under RCU)', 'atomic-sleep-in-atomic',
    'drivers/net/ethernet/acme/acme_stats.c', 60, 'static struct net_device_stats *acme_get_stats(struct net_device *ndev)',
    ['\tstruct acme_priv *priv = netdev_priv(ndev);', '', '@@BUG@@', '\treturn &ndev->stats;'],
    {
      bug: ['-\tspin_lock(&priv->stats_lock);', '+\tmutex_lock(&priv->stats_lock);', ' \tacme_fold_hw_counters(priv, &ndev->stats);', '-\tspin_unlock(&priv->stats_lock);', '+\tmutex_unlock(&priv->stats_lock);'],
      fix: [' \tspin_lock(&priv->stats_lock);', ' \tacme_fold_hw_counters(priv, &ndev->stats);', ' \tspin_unlock(&priv->stats_lock);'],
    }),
  shape('disable_irq -> disable_irq_nosync in uart_ops.stop_rx (port->lock held)', 'atomic-sleep-in-atomic',
    'drivers/tty/serial/acme_uart.c', 230, 'static void acme_uart_stop_rx(struct uart_port *port)',
    ['\tstruct acme_uart *au = to_acme_uart(port);', '', '\tau->ier &= ~ACME_IER_RX;', '\twritel(au->ier, port->membase + ACME_IER);', '@@BUG@@'],
    swap('\tdisable_irq_nosync(au->rx_irq);', '\tdisable_irq(au->rx_irq);')),
  shape('clk_prepare_enable -> clk_enable of a parent clock in clk_ops.enable (enable_lock held)', 'atomic-sleep-in-atomic',
    'drivers/clk/acme/clk-acme-gate.c', 70, 'static int acme_gate_enable(struct clk_hw *hw)',
    ['\tstruct acme_gate *g = to_acme_gate(hw);', '\tint ret;', '', '@@BUG@@', '\tif (ret)', '\t\treturn ret;', '\twritel(ACME_GATE_ON, g->reg);', '\treturn 0;'],
    swap('\tret = clk_enable(g->bus_clk);', '\tret = clk_prepare_enable(g->bus_clk);')),
  shape('raw_spinlock_t -> spinlock_t in a pci_ops .read callback (raw pci_lock held)', 'atomic-sleep-rt-only',
    'drivers/pci/controller/pcie-acme.c', 140, 'static int acme_pcie_rd_conf(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 *val)',
    ['\tstruct acme_pcie *pcie = bus->sysdata;', '\tunsigned long flags;', '', '@@BUG@@', '\treturn PCIBIOS_SUCCESSFUL;'],
    {
      bug: ['-\traw_spin_lock_irqsave(&pcie->cfg_lock, flags);', '+\tspin_lock_irqsave(&pcie->cfg_lock, flags);', ' \t*val = readl(acme_cfg_addr(pcie, bus, devfn, where));', '-\traw_spin_unlock_irqrestore(&pcie->cfg_lock, flags);', '+\tspin_unlock_irqrestore(&pcie->cfg_lock, flags);'],
      fix: [' \traw_spin_lock_irqsave(&pcie->cfg_lock, flags);', ' \t*val = readl(acme_cfg_addr(pcie, bus, devfn, where));', ' \traw_spin_unlock_irqrestore(&pcie->cfg_lock, flags);'],
    }),
  shape('regmap access in a clock_event_device .set_next_event (hard IRQs off, PREEMPT_RT)', 'atomic-sleep-rt-only',
    'drivers/clocksource/timer-acme.c', 95, 'static int acme_timer_set_next_event(unsigned long delta, struct clock_event_device *evt)',
    ['\tstruct acme_timer *t = to_acme_timer(evt);', '', '@@BUG@@', '\treturn 0;'],
    swap('\twritel(delta, t->base + ACME_TIMER_LOAD);', '\tregmap_write(t->map, ACME_TIMER_LOAD, delta);')),
  // Kernel style wraps these long parameter lists, and git's hunk header shows only the first line.
  shape('spinlock_t in a pci_ops .read whose hunk header stops after devfn (wrapped parameters)', 'atomic-sleep-rt-only',
    'drivers/pci/controller/pcie-acme-host.c', 212, 'static int acme_host_rd_conf(struct pci_bus *bus, unsigned int devfn,',
    ['\tstruct acme_host *host = bus->sysdata;', '\tunsigned long flags;', '', '@@BUG@@', '\treturn PCIBIOS_SUCCESSFUL;'],
    {
      bug: ['-\traw_spin_lock_irqsave(&host->lock, flags);', '+\tspin_lock_irqsave(&host->lock, flags);', ' \t*val = acme_host_cfg_read(host, bus->number, devfn, where, size);', '-\traw_spin_unlock_irqrestore(&host->lock, flags);', '+\tspin_unlock_irqrestore(&host->lock, flags);'],
      fix: [' \traw_spin_lock_irqsave(&host->lock, flags);', ' \t*val = acme_host_cfg_read(host, bus->number, devfn, where, size);', ' \traw_spin_unlock_irqrestore(&host->lock, flags);'],
    }),
  shape('msleep -> udelay in a set_next_event whose hunk header stops after the first parameter', 'atomic-sleep-in-atomic',
    'drivers/clocksource/timer-acme-lp.c', 130, 'static int acme_lp_set_next_event(unsigned long delta,',
    ['\tstruct acme_lp *lp = to_acme_lp(evt);', '', '\twritel(0, lp->base + ACME_LP_CTRL);', '@@BUG@@', '\twritel(delta, lp->base + ACME_LP_LOAD);', '\treturn 0;'],
    swap('\tudelay(ACME_LP_SETTLE_US);', '\tmsleep(1);')),
  shape('mutex instead of a spinlock in a console .write (printk calls it with IRQs off)', 'atomic-sleep-in-atomic',
    'drivers/tty/serial/acme_uart.c', 700, 'static void acme_console_write(struct console *co, const char *s, unsigned int count)',
    ['\tstruct acme_uart *au = acme_ports[co->index];', '', '@@BUG@@'],
    {
      bug: ['-\tspin_lock(&au->tx_lock);', '+\tmutex_lock(&au->tx_lock);', ' \tuart_console_write(&au->port, s, count, acme_console_putchar);', '-\tspin_unlock(&au->tx_lock);', '+\tmutex_unlock(&au->tx_lock);'],
      fix: [' \tspin_lock(&au->tx_lock);', ' \tuart_console_write(&au->port, s, count, acme_console_putchar);', ' \tspin_unlock(&au->tx_lock);'],
    }),
  shape('GFP_KERNEL -> GFP_ATOMIC when resubmitting from a URB completion handler', 'atomic-sleep-in-atomic',
    'drivers/usb/serial/acme_usb.c', 310, 'static void acme_read_bulk_callback(struct urb *urb)',
    ['\tstruct acme_port *port = urb->context;', '\tint status = urb->status;', '\tint err;', '', '\tif (status)', '\t\treturn;', '\tacme_push_rx(port, urb->transfer_buffer, urb->actual_length);', '@@BUG@@', '\tif (err)', '\t\tdev_err(&port->dev, "resubmit failed: %d\\n", err);'],
    swap('\terr = usb_submit_urb(urb, GFP_ATOMIC);', '\terr = usb_submit_urb(urb, GFP_KERNEL);')),
  // The patch changes only the registration; the function's body (which sleeps) is context. The
  // finding goes on the registration line (more such shapes, over several hunks: registration.test.ts).
  shape('clk_ops: a function that sleeps moved from .prepare to .enable (the ops table only changes)', 'atomic-sleep-in-atomic',
    'drivers/clk/acme/clk-acme-ref.c', 88, 'static unsigned long acme_ref_recalc_rate(struct clk_hw *hw,',
    ['}', '', 'static int acme_ref_on(struct clk_hw *hw)', '{', '\tstruct acme_ref *ref = to_acme_ref(hw);', '', '\treturn clk_prepare_enable(ref->parent);', '}', '', 'static const struct clk_ops acme_ref_ops = {', '\t.recalc_rate = acme_ref_recalc_rate,', '@@BUG@@', '\t.unprepare = acme_ref_off,', '};'],
    swap('\t.prepare = acme_ref_on,', '\t.enable = acme_ref_on,')),
  shape('a threaded handler that sleeps handed to devm_request_irq as the primary handler', 'atomic-sleep-in-atomic',
    'drivers/input/misc/acme-btn.c', 60, 'static void acme_btn_report(struct acme_btn *b, int state)',
    ['', 'static irqreturn_t acme_btn_irq(int irq, void *data)', '{', '\tstruct acme_btn *b = data;', '\tint state = i2c_smbus_read_byte_data(b->client, ACME_BTN_STATE);', '', '\tif (state >= 0)', '\t\tacme_btn_report(b, state);', '\treturn IRQ_HANDLED;', '}', '', 'static int acme_btn_probe(struct i2c_client *client)', '{', '\tstruct acme_btn *b;', '\tint ret;', '', '@@BUG@@', '\tif (ret)', '\t\treturn ret;'],
    swap('\tret = devm_request_threaded_irq(&client->dev, client->irq, NULL, acme_btn_irq, IRQF_ONESHOT, "acme-btn", b);', '\tret = devm_request_irq(&client->dev, client->irq, acme_btn_irq, 0, "acme-btn", b);')),
];

/** The hard-IRQ case is only complete with the registration in a second hunk of the same file. */
export const REGISTRATION_HUNK = `@@ -300,4 +300,4 @@ static int acme_probe(struct platform_device *pdev)
 \tret = devm_request_irq(&pdev->dev, irq, acme_isr, 0, "acme", a);
-\tif (ret)
+\tif (ret < 0)
 \t\treturn ret;
 
`;
