// Hunk-shaped cases of the forms real SRCU fixes take, written for this project (no kernel code
// copied): each shape is the fix as a maintainer posts it (a unified diff with a realistic hunk
// header naming the function and three lines of context), and its buggy form is that fix reversed,
// exactly as the corpus builds its positives. `rule` is the finding the buggy form must draw near
// the post-image line of `anchor`; the fixed form must draw nothing. `knownMiss` documents a shape
// the checks cannot catch yet, with the reason; the suite asserts that it is still missed, so a
// change that starts catching it has to update this file. Used by fix-shapes.test.ts.

import { postImageLines } from '../../helpers/one-hunk-diff.js';

export type SrcuRule =
  | 'srcu-deref-outside-read-side'
  | 'srcu-read-unlock-mismatch'
  | 'srcu-read-lock-unbalanced'
  | 'srcu-sync-in-read-side'
  | 'srcu-sync-lock-inversion'
  | 'srcu-sync-hot-path'
  | 'srcu-sync-atomic'
  | 'srcu-cleanup-without-barrier'
  | 'srcu-free-without-grace-period';

export interface SrcuFixShape {
  name: string;
  rule: SrcuRule;
  /** Text (trimmed) of the line the finding belongs on, in the buggy form's post-image. */
  anchor: string;
  /** The fix reversed: what the checks must flag. */
  buggy: string;
  /** The fix as posted: what the checks must leave silent. */
  fixed: string;
  /** Why the checks miss the buggy form today (the suite asserts the miss). */
  knownMiss?: string;
}

interface Hunk {
  start: number;
  header: string;
  /** Lines of the fix, each starting with ' ', '+' or '-'. */
  lines: string[];
}

function render(file: string, hunks: Hunk[], reverse: boolean): string {
  const out = [`diff --git a/${file} b/${file}`, 'index 1a2b3c4..5d6e7f8 100644', `--- a/${file}`, `+++ b/${file}`];
  let shift = 0; // post-image offset the earlier hunks introduce
  for (const h of hunks) {
    const lines = reverse ? h.lines.map((l) => (l.startsWith('+') ? `-${l.slice(1)}` : l.startsWith('-') ? `+${l.slice(1)}` : l)) : h.lines;
    const oldCount = lines.filter((l) => !l.startsWith('+')).length;
    const newCount = lines.filter((l) => !l.startsWith('-')).length;
    out.push(`@@ -${h.start},${oldCount} +${h.start + shift},${newCount} @@ ${h.header}`, ...lines);
    shift += newCount - oldCount;
  }
  return out.join('\n') + '\n';
}

function shape(name: string, rule: SrcuRule, file: string, anchor: string, hunks: Hunk[], knownMiss?: string): SrcuFixShape {
  return { name, rule, anchor, buggy: render(file, hunks, true), fixed: render(file, hunks, false), ...(knownMiss ? { knownMiss } : {}) };
}

/** Post-image line numbers of the lines whose trimmed text is `anchor` (as the corpus scorer finds them). */
export function anchorLines(diff: string, anchor: string): number[] {
  return postImageLines(diff).filter((l) => l.raw.slice(1).trim() === anchor.trim()).map((l) => l.line);
}

export const SRCU_FIX_SHAPES: SrcuFixShape[] = [
  // Xen shared_info set from the VM ioctl under kvm->lock: the hva cache init walks the memslots;
  // the fix enters kvm->srcu around it (kvm->lock is documented as taken outside kvm->srcu, so no
  // caller can be a reader).
  shape('memslot walk under kvm->lock, no kvm->srcu read side (VM ioctl)', 'srcu-deref-outside-read-side', 'arch/x86/kvm/xen.c',
    'r = kvm_gfn_to_hva_cache_init(kvm, &kvm->arch.xen.shinfo_cache,', [
      { start: 331, header: 'int kvm_xen_hvm_set_attr(struct kvm *kvm, struct kvm_xen_hvm_attr *data)', lines: [
        ' 		break;',
        ' ',
        ' 	case KVM_XEN_ATTR_TYPE_SHARED_INFO:',
        '+		idx = srcu_read_lock(&kvm->srcu);',
        ' 		r = kvm_gfn_to_hva_cache_init(kvm, &kvm->arch.xen.shinfo_cache,',
        ' 					      gfn_to_gpa(data->u.shared_info.gfn), PAGE_SIZE);',
        '+		srcu_read_unlock(&kvm->srcu, idx);',
        ' 		break;',
        ' ',
        ' 	case KVM_XEN_ATTR_TYPE_UPCALL_VECTOR:',
      ] },
      { start: 360, header: 'int kvm_xen_hvm_set_attr(struct kvm *kvm, struct kvm_xen_hvm_attr *data)', lines: [
        ' 		break;',
        ' 	}',
        ' ',
        ' 	mutex_unlock(&kvm->lock);',
        ' 	return r;',
        ' }',
      ] },
    ], 'engine: a hunk that opens inside a switch case (a leading `break;` / `case X:` at statement depth, no enclosing `switch (...) {` in view) yields a fragment with no events, so neither the accessor nor the later mutex_unlock(&kvm->lock) reaches the check'),
  // A vCPU ioctl (runs under vcpu->mutex, taken by kvm_vcpu_ioctl()) reads guest memory without
  // kvm->srcu. The mutex is taken in virt/kvm/kvm_main.c, so the hunk shows no lock: the check
  // knows the dispatcher's lock.
  shape('guest read in a vCPU ioctl handler without kvm->srcu', 'srcu-deref-outside-read-side', 'arch/x86/kvm/x86.c',
    'r = kvm_vcpu_read_guest(vcpu, gpa, &hdr, sizeof(hdr));', [
      { start: 5830, header: 'long kvm_arch_vcpu_ioctl(struct file *filp,', lines: [
        ' 		if (copy_from_user(&gpa, argp, sizeof(gpa)))',
        ' 			break;',
        ' ',
        '+		idx = srcu_read_lock(&vcpu->kvm->srcu);',
        ' 		r = kvm_vcpu_read_guest(vcpu, gpa, &hdr, sizeof(hdr));',
        '+		srcu_read_unlock(&vcpu->kvm->srcu, idx);',
        ' 		if (r)',
        ' 			break;',
        ' 		r = kvm_vcpu_ioctl_apply_hdr(vcpu, &hdr);',
      ] },
    ]),
  // Unlock on the wrong srcu_struct: the section was entered on kvm->irq_srcu.
  shape('srcu_read_unlock() on kvm->srcu for a kvm->irq_srcu read side', 'srcu-read-unlock-mismatch', 'virt/kvm/eventfd.c',
    'srcu_read_unlock(&kvm->srcu, idx);', [
      { start: 452, header: 'bool kvm_irq_has_notifier(struct kvm *kvm, unsigned irqchip, unsigned pin)', lines: [
        ' 			return true;',
        ' 		}',
        ' ',
        '-	srcu_read_unlock(&kvm->srcu, idx);',
        '+	srcu_read_unlock(&kvm->irq_srcu, idx);',
        ' ',
        ' 	return false;',
        ' }',
      ] },
    ], 'the srcu_read_lock(&kvm->irq_srcu) that opened the section is above the hunk, so the unlock has no open section to be compared with; an unlock of a srcu_struct whose lock is not in view is not evidence by itself'),
  // Two nested sections, the inner unlock passes the outer index.
  shape('srcu_read_unlock() with the index of the other section', 'srcu-read-unlock-mismatch', 'virt/kvm/eventfd.c',
    'srcu_read_unlock(&kvm->irq_srcu, idx);', [
      { start: 60, header: 'static void irqfd_resampler_ack(struct kvm_irq_ack_notifier *kian)', lines: [
        ' 	idx = srcu_read_lock(&kvm->srcu);',
        ' 	irq_idx = srcu_read_lock(&kvm->irq_srcu);',
        ' 	kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, resampler->notifier.gsi, 0, false);',
        '-	srcu_read_unlock(&kvm->irq_srcu, idx);',
        '+	srcu_read_unlock(&kvm->irq_srcu, irq_idx);',
        ' 	srcu_read_unlock(&kvm->srcu, idx);',
        ' }',
      ] },
    ]),
  // An error exit added inside the read side returns directly; the fix routes it to the unlock.
  shape('error path returns inside the read side instead of jumping to the unlock label', 'srcu-read-lock-unbalanced', 'arch/x86/kvm/svm/sev.c',
    'return -EINVAL;', [
      { start: 2210, header: 'static int sev_launch_update_data(struct kvm *kvm, struct kvm_sev_cmd *argp)', lines: [
        ' 	idx = srcu_read_lock(&kvm->srcu);',
        ' 	for (gfn = start; gfn < end; gfn++) {',
        ' 		slot = gfn_to_memslot(kvm, gfn);',
        '-		if (!slot)',
        '-			return -EINVAL;',
        '+		if (!slot) {',
        '+			ret = -EINVAL;',
        '+			goto out;',
        '+		}',
        ' 		ret = sev_issue_update(kvm, slot, gfn);',
        ' 		if (ret)',
        ' 			goto out;',
        ' 	}',
        ' out:',
        ' 	srcu_read_unlock(&kvm->srcu, idx);',
        ' 	return ret;',
        ' }',
      ] },
    ]),
  // A new early exit at the top of a read side.
  shape('early return added after srcu_read_lock() skips the unlock', 'srcu-read-lock-unbalanced', 'drivers/gpio/gpiolib.c',
    'return -ENODEV;', [
      { start: 3300, header: 'int gpiod_get_direction(struct gpio_desc *desc)', lines: [
        ' 	idx = srcu_read_lock(&gdev->srcu);',
        ' 	gc = srcu_dereference(gdev->chip, &gdev->srcu);',
        '-	if (!gc)',
        '-		return -ENODEV;',
        '+	if (!gc) {',
        '+		srcu_read_unlock(&gdev->srcu, idx);',
        '+		return -ENODEV;',
        '+	}',
        ' 	ret = gc->get_direction(gc, gpio_chip_hwgpio(desc));',
        ' 	srcu_read_unlock(&gdev->srcu, idx);',
        ' 	return ret;',
      ] },
    ]),
  // synchronize_srcu() of the same srcu_struct inside its read side (device-mapper: the live
  // table's read side is entered by dm_get_live_table() on md->io_barrier).
  shape('synchronize_srcu() inside the read side it waits for (direct)', 'srcu-sync-in-read-side', 'drivers/md/dm-acme.c',
    'synchronize_srcu(&ac->srcu);', [
      { start: 140, header: 'static int acme_swap_rules(struct acme_ctx *ac, struct acme_rules *new)', lines: [
        ' 	idx = srcu_read_lock(&ac->srcu);',
        ' 	old = srcu_dereference(ac->rules, &ac->srcu);',
        ' 	rcu_assign_pointer(ac->rules, new);',
        '-	synchronize_srcu(&ac->srcu);',
        ' 	srcu_read_unlock(&ac->srcu, idx);',
        '+	synchronize_srcu(&ac->srcu);',
        ' 	acme_rules_put(old);',
        ' 	return 0;',
        ' }',
      ] },
    ]),
  // The same through a helper in another hunk of the file.
  shape('synchronize_srcu() inside its own read side through a helper of the same file', 'srcu-sync-in-read-side', 'drivers/acme/acme-notify.c',
    'acme_flush_readers(an);', [
      { start: 38, header: 'struct acme_notifier {', lines: [
        ' ',
        '-static void acme_flush_readers(struct acme_notifier *an)',
        '+static void acme_wait_readers(struct acme_notifier *an)',
        ' {',
        ' 	synchronize_srcu(&an->srcu);',
        ' }',
      ] },
      { start: 120, header: 'int acme_notifier_reset(struct acme_notifier *an)', lines: [
        ' 	idx = srcu_read_lock(&an->srcu);',
        ' 	ret = acme_notifier_detach(an);',
        ' 	if (!ret)',
        '-		acme_flush_readers(an);',
        '+		ret = -EBUSY;',
        ' 	srcu_read_unlock(&an->srcu, idx);',
        '+	if (ret == -EBUSY)',
        '+		acme_wait_readers(an);',
        ' 	return ret;',
        ' }',
      ] },
    ]),
  // A reader that takes kvm->lock inside kvm->srcu, while memslot updates wait for kvm->srcu under
  // kvm->lock: the fix leaves the read side before taking the mutex. The read side is entered by
  // kvm_arch_vcpu_ioctl_run(), outside the hunk.
  shape('kvm->lock taken inside a kvm->srcu read side', 'srcu-sync-lock-inversion', 'arch/x86/kvm/x86.c',
    'mutex_lock(&vcpu->kvm->lock);', [
      { start: 10720, header: 'static int vcpu_enter_guest(struct kvm_vcpu *vcpu)', lines: [
        ' 		if (kvm_check_request(KVM_REQ_UPDATE_PROTECTED_GUEST_STATE, vcpu)) {',
        '+			kvm_vcpu_srcu_read_unlock(vcpu);',
        ' 			mutex_lock(&vcpu->kvm->lock);',
        ' 			kvm_update_protected_state(vcpu);',
        ' 			mutex_unlock(&vcpu->kvm->lock);',
        '+			kvm_vcpu_srcu_read_lock(vcpu);',
        ' 		}',
        ' 		if (kvm_check_request(KVM_REQ_APIC_PAGE_RELOAD, vcpu))',
        ' 			kvm_vcpu_reload_apic_access_page(vcpu);',
      ] },
    ]),
  // The read side stretched over a kvm->lock section: memslot updates wait for kvm->srcu with
  // kvm->lock held (Documentation/virt/kvm/locking.rst), so this reader and that grace period wait
  // for each other. The fix ends the read side right after the guest read.
  shape('read side extended over mutex_lock(&kvm->lock)', 'srcu-sync-lock-inversion', 'arch/x86/kvm/acme.c',
    'mutex_lock(&vcpu->kvm->lock);', [
      { start: 150, header: 'static int acme_vcpu_load_desc(struct kvm_vcpu *vcpu, gpa_t gpa)', lines: [
        ' 	idx = srcu_read_lock(&vcpu->kvm->srcu);',
        ' 	ret = kvm_vcpu_read_guest(vcpu, gpa, &desc, sizeof(desc));',
        '+	srcu_read_unlock(&vcpu->kvm->srcu, idx);',
        ' 	if (ret)',
        '-		goto out_unlock;',
        '+		return ret;',
        ' ',
        ' 	mutex_lock(&vcpu->kvm->lock);',
        ' 	ret = acme_install_desc(vcpu->kvm, &desc);',
        ' 	mutex_unlock(&vcpu->kvm->lock);',
        '-out_unlock:',
        '-	srcu_read_unlock(&vcpu->kvm->srcu, idx);',
        ' 	return ret;',
        ' }',
      ] },
    ]),
  // One grace period per entry: the fix unpublishes every entry, waits once, then frees.
  shape('synchronize_srcu() per entry in a loop', 'srcu-sync-hot-path', 'drivers/acme/acme-filter.c',
    'synchronize_srcu(&af->srcu);', [
      { start: 300, header: 'static void acme_filter_flush(struct acme_filter *af)', lines: [
        ' 	struct acme_rule *rule, *tmp;',
        '+	LIST_HEAD(dead);',
        ' ',
        ' 	mutex_lock(&af->lock);',
        ' 	list_for_each_entry_safe(rule, tmp, &af->rules, list) {',
        ' 		list_del_rcu(&rule->list);',
        '-		synchronize_srcu(&af->srcu);',
        '-		kfree(rule);',
        '+		list_add(&rule->dead, &dead);',
        ' 	}',
        ' 	mutex_unlock(&af->lock);',
        '+	synchronize_srcu(&af->srcu);',
        '+	list_for_each_entry_safe(rule, tmp, &dead, dead)',
        '+		kfree(rule);',
        ' }',
      ] },
    ]),
  // A grace period wait under a spinlock: the fix drops the lock first.
  shape('synchronize_srcu() under a spinlock', 'srcu-sync-atomic', 'drivers/acme/acme-table.c',
    'synchronize_srcu(&at->srcu);', [
      { start: 95, header: 'static void acme_table_replace(struct acme_table *at, struct acme_map *map)', lines: [
        ' 	spin_lock(&at->lock);',
        ' 	old = rcu_replace_pointer(at->map, map, lockdep_is_held(&at->lock));',
        '-	synchronize_srcu(&at->srcu);',
        ' 	spin_unlock(&at->lock);',
        '+	synchronize_srcu(&at->srcu);',
        ' 	acme_map_put(old);',
        ' }',
      ] },
    ]),
  // Teardown with callbacks still queued: the fix adds srcu_barrier() before the cleanup. The
  // call_srcu() that queues them is elsewhere in the file, outside the hunk: the barrier the
  // reversed patch deletes is the evidence.
  shape('cleanup_srcu_struct() without srcu_barrier() after call_srcu()', 'srcu-cleanup-without-barrier', 'drivers/acme/acme-core.c',
    'cleanup_srcu_struct(&ad->srcu);', [
      { start: 640, header: 'static void acme_dev_release(struct device *dev)', lines: [
        ' 	struct acme_dev *ad = to_acme_dev(dev);',
        ' ',
        '+	srcu_barrier(&ad->srcu);',
        ' 	cleanup_srcu_struct(&ad->srcu);',
        ' 	kfree(ad);',
        ' }',
      ] },
    ]),
  // The old object freed right after the unpublish: the fix waits for the readers first.
  shape('SRCU-protected object freed without synchronize_srcu()', 'srcu-free-without-grace-period', 'drivers/acme/acme-filter.c',
    'kfree(old);', [
      { start: 410, header: 'static int acme_set_filter(struct acme_ctx *ac, struct acme_filter *new)', lines: [
        ' 	mutex_lock(&ac->lock);',
        ' 	old = srcu_dereference_check(ac->filter, &ac->srcu, lockdep_is_held(&ac->lock));',
        ' 	rcu_assign_pointer(ac->filter, new);',
        ' 	mutex_unlock(&ac->lock);',
        ' ',
        '+	synchronize_srcu(&ac->srcu);',
        ' 	kfree(old);',
        ' 	return 0;',
        ' }',
      ] },
    ]),
  // The same with rcu_replace_pointer(), the field's SRCU reader in another hunk of the file.
  shape('replaced pointer freed at once, its srcu_dereference() reader elsewhere in the patch', 'srcu-free-without-grace-period', 'drivers/acme/acme-label.c',
    'kfree_const(old);', [
      { start: 90, header: 'const char *acme_get_label(struct acme_desc *desc)', lines: [
        ' {',
        '-	return srcu_dereference(desc->label, &desc->srcu) ?: "unused";',
        '+	const char *label = srcu_dereference(desc->label, &desc->srcu);',
        '+',
        '+	return label ?: "unused";',
        ' }',
      ] },
      { start: 130, header: 'static int acme_set_label(struct acme_desc *desc, const char *label)', lines: [
        ' 	}',
        ' ',
        ' 	old = rcu_replace_pointer(desc->label, new, 1);',
        '+	synchronize_srcu(&desc->srcu);',
        ' 	kfree_const(old);',
        ' ',
        ' 	return 0;',
      ] },
    ]),
];

/** Correct patches the checks must leave silent: read sides opened in one function and closed in
 *  another, on purpose. */
export const SRCU_BALANCED_PATCHES: Array<{ name: string; patch: string }> = [
  { name: 'lock helper returns the index, unlock helper takes it', patch: render('drivers/acme/acme-srcu.c', [
    { start: 20, header: 'struct acme_dev;', lines: [
      ' ',
      '+static int acme_reader_enter(struct acme_dev *ad)',
      '+	__acquires(&ad->srcu)',
      '+{',
      '+	return srcu_read_lock(&ad->srcu);',
      '+}',
      '+',
      '+static void acme_reader_exit(struct acme_dev *ad, int idx)',
      '+	__releases(&ad->srcu)',
      '+{',
      '+	srcu_read_unlock(&ad->srcu, idx);',
      '+}',
      '+',
      '+int acme_read_state(struct acme_dev *ad, u32 *state)',
      '+{',
      '+	int idx = acme_reader_enter(ad);',
      '+',
      '+	*state = READ_ONCE(ad->state);',
      '+	acme_reader_exit(ad, idx);',
      '+	return 0;',
      '+}',
      ' ',
    ] },
  ], false) },
  { name: 'index kept in the object between two callbacks', patch: render('drivers/acme/acme-seq.c', [
    { start: 50, header: 'static const struct seq_operations acme_seq_ops;', lines: [
      ' ',
      '+static void *acme_seq_start(struct seq_file *m, loff_t *pos)',
      '+{',
      '+	struct acme_iter *it = m->private;',
      '+',
      '+	it->idx = srcu_read_lock(&it->ad->srcu);',
      '+	return seq_list_start(&it->ad->items, *pos);',
      '+}',
      '+',
      '+static void acme_seq_stop(struct seq_file *m, void *v)',
      '+{',
      '+	struct acme_iter *it = m->private;',
      '+',
      '+	srcu_read_unlock(&it->ad->srcu, it->idx);',
      '+}',
      ' ',
    ] },
  ], false) },
  { name: 'vCPU helper pair: kvm_vcpu_srcu_read_lock() in the run loop, dropped around the halt', patch: render('arch/x86/kvm/x86.c', [
    { start: 11100, header: 'static inline int vcpu_block(struct kvm_vcpu *vcpu)', lines: [
      ' 	if (!kvm_arch_vcpu_runnable(vcpu)) {',
      '+		kvm_vcpu_srcu_read_unlock(vcpu);',
      ' 		kvm_vcpu_halt(vcpu);',
      '+		kvm_vcpu_srcu_read_lock(vcpu);',
      ' 	}',
    ] },
    { start: 11200, header: 'static int vcpu_run(struct kvm_vcpu *vcpu)', lines: [
      ' 	vcpu->arch.l1tf_flush_l1d = true;',
      ' ',
      '+	kvm_vcpu_srcu_read_lock(vcpu);',
      ' 	for (;;) {',
      ' 		if (kvm_vcpu_running(vcpu))',
      ' 			r = vcpu_enter_guest(vcpu);',
      ' 		else',
      ' 			r = vcpu_block(vcpu);',
      ' 		if (r <= 0)',
      ' 			break;',
      ' 	}',
      '+	kvm_vcpu_srcu_read_unlock(vcpu);',
      ' 	return r;',
      ' }',
    ] },
  ], false) },
];
