// The Linux-kernel memory model (tools/memory-model/linux-kernel.cat, .bell and lock.cat of
// Linux 6.12), written as relation algebra over one candidate execution. The names follow the cat
// file so the two can be read side by side: ppo, rfe, fre, coe, cumul-fence, prop, hb, pb, rb.
// Statics (program order, dependencies, fences) are computed once per combination of thread
// paths; `judge` then takes one rf/co choice and applies the axioms (coherence, atomicity,
// happens-before, propagation, rcu, plain-coherence) and the data-race flag.
//
// Flags: data-race (per execution) and mixed-accesses (program order only) are computed.
// Blind spots: SRCU is not modelled (srcu_* primitives are rejected as unsupported by the
// interpreter); herd7's lock-final flag and the flags for malformed tests (unmatched RCU or lock
// operations, mixed lock accesses) are not printed: those tests are rejected as unsupported.
import type { Value } from './ast.js';
import type { AccessTag, FenceTag, LockKind } from './events.js';
import { EventSet, Rel } from './relation.js';

export interface ExecEvent {
  /** -1 for an initial write. */
  thread: number;
  kind: 'R' | 'W' | 'F';
  loc: string | null;
  value: Value | null;
  tag: AccessTag | null;
  fence: FenceTag | null;
  lock: LockKind | null;
  atomic: boolean;
}

export interface StaticInput {
  events: ExecEvent[];
  po: [number, number][];
  rmw: [number, number][];
  addr: [number, number][];
  data: [number, number][];
  ctrl: [number, number][];
  /** Matched rcu_read_lock -> rcu_read_unlock pairs. */
  rcuRscs: [number, number][];
}

export interface Statics {
  n: number;
  R: EventSet;
  W: EventSet;
  M: EventSet;
  IW: EventSet;
  Marked: EventSet;
  Plain: EventSet;
  R4rmb: EventSet;
  notNoreturn: EventSet;
  LKR: EventSet;
  UL: EventSet;
  hasPlain: boolean;
  idAll: Rel;
  /** linux-kernel.cat's mixed-accesses flag: depends on program order only. */
  mixedAccesses: boolean;
  hasRcu: boolean;
  po: Rel;
  int: Rel;
  ext: Rel;
  poLoc: Rel;
  rmw: Rel;
  addr0: Rel;
  data0: Rel;
  ctrl0: Rel;
  /** po ; [UL] and [LKR] ; po: the two ends of po-unlock-lock-po. */
  poToUL: Rel;
  fromLKRpo: Rel;
  /** [M] ; po-unlock-lock-po ; [After-unlock-lock] ; po ; [M] without its middle: pieces. */
  afterUnlockLockPo: Rel;
  mbStatic: Rel;
  acqPo: Rel;
  poRel: Rel;
  rmb: Rel;
  wmb: Rel;
  gp: Rel;
  rmbFence: Rel; // fencerel(Rmb)
  rcuGp: Rel;
  rcuRscsi: Rel;
  preRaceBase: Rel; // ext & ((Plain * M) | ((M \ IW) * Plain)) & loc
  MarkedW: Rel; // Marked * W
  WMarked: Rel; // W * Marked
}

function fencerel(n: number, po: Rel, fences: EventSet): Rel {
  return po.ran(fences).seq(po);
}

export function buildStatics(input: StaticInput): Statics {
  const ev = input.events;
  const n = ev.length;
  const set = (p: (e: ExecEvent, i: number) => boolean) => EventSet.where(n, (i) => p(ev[i]!, i));
  const rel = (pairs: [number, number][]) => {
    const r = new Rel(n);
    for (const [a, b] of pairs) r.add(a, b);
    return r;
  };
  const R = set((e) => e.kind === 'R');
  const W = set((e) => e.kind === 'W');
  const M = R.or(W);
  const IW = set((e) => e.thread < 0);
  const fenceSet = (t: FenceTag) => set((e) => e.kind === 'F' && e.fence === t);
  const lockSet = (k: LockKind) => set((e) => e.lock === k);
  const LKR = lockSet('LKR');
  const LKW = lockSet('LKW');
  const UL = lockSet('UL');
  const rmw = rel(input.rmw);
  const Acquire = set((e) => e.tag === 'acquire' || e.lock === 'LKR');
  const Release = set((e) => e.tag === 'release' || e.lock === 'UL');
  const Once = set((e) => e.tag === 'once');
  const Noreturn = set((e) => e.tag === 'noreturn');
  const RMW = set((e) => e.atomic);
  const LockEv = set((e) => e.lock !== null);
  const Marked = M.complement().or(IW).or(Once).or(Acquire).or(Release).or(rmw.domain()).or(rmw.range()).or(LockEv);
  const Plain = M.minus(Marked);
  const R4rmb = R.minus(Noreturn);
  const po = rel(input.po);
  const int = Rel.where(n, (i, j) => ev[i]!.thread >= 0 && ev[i]!.thread === ev[j]!.thread);
  const ext = Rel.where(n, (i, j) => ev[i]!.thread !== ev[j]!.thread || ev[i]!.thread < 0);
  const loc = Rel.where(n, (i, j) => ev[i]!.loc !== null && ev[i]!.loc === ev[j]!.loc);
  const poLoc = po.and(loc);
  const idM = Rel.id(M);
  const Mb = fenceSet('mb');
  const fr = (s: EventSet) => fencerel(n, po, s);
  const poOpt = po.opt();
  const mbStatic = fr(Mb)
    .restrict(M, M)
    .or(fr(fenceSet('before-atomic')).ran(RMW).seq(poOpt).restrict(M, M))
    .or(idM.seq(poOpt).ran(RMW).seq(fr(fenceSet('after-atomic'))).ran(M))
    .or(idM.seq(poOpt).ran(LKW).seq(fr(fenceSet('after-spinlock'))).ran(M));
  const afterUnlockLockPo = Rel.id(fenceSet('after-unlock-lock')).seq(po).ran(M);
  const SyncRcu = fenceSet('sync-rcu');
  const gp = po.ran(SyncRcu).seq(poOpt);
  const rmbFence = fr(fenceSet('rmb'));
  const rcuRscs = rel(input.rcuRscs);
  const ML = M.minus(IW);
  const preRaceBase = Rel.product(Plain, M).or(Rel.product(ML, Plain)).and(ext).and(loc);
  // Plain writes and marked accesses to one location in one thread with no barrier between.
  const barrierFences = set((e) => e.kind === 'F' && e.fence !== 'after-spinlock' && e.fence !== 'after-unlock-lock').or(Acquire).or(Release);
  const barrier = fr(barrierFences).or(po.ran(Release), po.dom(Acquire));
  const PlainW = Plain.and(W);
  const unbarred = poLoc.minus(barrier);
  const mixedAccesses = !unbarred.restrict(PlainW, Marked).or(unbarred.restrict(Marked, PlainW)).isEmpty();
  return {
    n,
    R,
    W,
    M,
    IW,
    Marked,
    Plain,
    R4rmb,
    notNoreturn: Noreturn.complement(),
    LKR,
    UL,
    hasPlain: !Plain.isEmpty(),
    idAll: Rel.id(new EventSet(n).complement()),
    mixedAccesses,
    hasRcu: !SyncRcu.isEmpty(),
    po,
    int,
    ext,
    poLoc,
    rmw,
    addr0: rel(input.addr),
    data0: rel(input.data),
    ctrl0: rel(input.ctrl),
    poToUL: po.ran(UL),
    fromLKRpo: Rel.id(LKR).seq(po),
    afterUnlockLockPo,
    mbStatic,
    acqPo: po.dom(Acquire).ran(M),
    poRel: po.dom(M).ran(Release),
    rmb: rmbFence.restrict(R4rmb, R4rmb),
    wmb: fr(fenceSet('wmb')).restrict(W, W),
    gp,
    rmbFence,
    rcuGp: Rel.id(SyncRcu),
    rcuRscsi: rcuRscs.inv(),
    preRaceBase,
    MarkedW: Rel.product(Marked, W),
    WMarked: Rel.product(W, Marked),
  };
}

export interface Judgement {
  consistent: boolean;
  race: boolean;
}

/** Applies the LKMM's axioms to one candidate (rf, co); computes the data-race flag if asked. */
export function judge(s: Statics, rf: Rel, co: Rel, wantRace: boolean): Judgement {
  const no = { consistent: false, race: false };
  const fr = rf.inv().seq(co);
  // Coherence (sc-per-location) and atomicity of RMWs.
  if (!s.poLoc.or(rf, co, fr).acyclic()) return no;
  const rfe = rf.and(s.ext);
  const rfi = rf.and(s.int);
  const coe = co.and(s.ext);
  const fre = fr.and(s.ext);
  if (!s.rmw.and(fre.seq(coe)).isEmpty()) return no;

  const Marked = s.Marked;
  // Dependencies carried through plain accesses (linux-kernel.bell).
  const carryDep = s.data0.seq(rfi).star();
  const addr = carryDep.seq(s.addr0);
  const ctrl = carryDep.seq(s.ctrl0);
  const data = carryDep.seq(s.data0);
  // Fences.
  const poUnlockLockPo = s.poToUL.seq(s.po.or(rf)).seq(s.fromLKRpo);
  const mb = s.mbStatic.or(poUnlockLockPo.dom(s.M).seq(s.afterUnlockLockPo));
  const strongFence = mb.or(s.gp);
  const nonrwFence = strongFence.or(s.poRel, s.acqPo);
  const fence = nonrwFence.or(s.wmb, s.rmb);
  // Preserved program order.
  const dep = addr.or(data);
  const rwdep = dep.or(ctrl).ran(s.W);
  const overwrite = co.or(fr);
  const toW = rwdep.or(overwrite.and(s.int), addr.ran(s.Plain).seq(s.wmb));
  const toR = addr.ran(s.R).or(dep.ran(Marked).seq(rfi));
  const ppo = toR.or(toW, fence.and(s.int), poUnlockLockPo.and(s.int));
  // Propagation.
  const rfeMarkedOpt = rfe.ran(Marked).opt();
  const rmwSequence = rf.seq(s.rmw).star();
  const cumulFence = rfeMarkedOpt
    .seq(strongFence.or(s.poRel))
    .or(s.wmb, poUnlockLockPo)
    .restrict(Marked, Marked)
    .seq(rmwSequence);
  const prop = overwrite.and(s.ext).opt().dom(Marked).seq(cumulFence.star()).ran(Marked).seq(rfe.opt()).ran(Marked);
  const propNotId = prop.minus(s.idAll);
  const hb = ppo.or(rfe, propNotId.and(s.int)).restrict(Marked, Marked);
  if (!hb.acyclic()) return no;
  const hbStar = hb.star();
  const pb = prop.seq(strongFence).seq(hbStar).ran(Marked);
  if (!pb.acyclic()) return no;
  // RCU.
  let rb = new Rel(s.n);
  let rcuFence = new Rel(s.n);
  if (s.hasRcu) {
    const pbStar = pb.star();
    const rcuLink = s.po.opt().seq(hbStar).seq(pbStar).seq(prop).seq(s.po);
    let order = new Rel(s.n);
    for (;;) {
      const gpLink = s.rcuGp.seq(rcuLink);
      const rsLink = s.rcuRscsi.seq(rcuLink);
      const orderLink = order.seq(rcuLink);
      const next = s.rcuGp
        .or(gpLink.seq(s.rcuRscsi), rsLink.seq(s.rcuGp), gpLink.seq(order).seq(rcuLink).seq(s.rcuRscsi), rsLink.seq(order).seq(rcuLink).seq(s.rcuGp), orderLink.seq(order));
      if (sameRel(next, order)) break;
      order = next;
    }
    rcuFence = s.po.seq(order).seq(s.po.opt());
    rb = prop.seq(rcuFence).seq(hbStar).seq(pbStar).ran(Marked);
    if (!rb.irreflexive()) return no;
  }
  if (!s.hasPlain) return { consistent: true, race: false };

  // Plain accesses: plain-coherence is an axiom; the race computation is only a flag.
  const fenceR = fence.or(rcuFence);
  const strongFenceR = strongFence.or(rcuFence);
  const xbstar = hb.or(pb, rb).star();
  const vis = cumulFence
    .star()
    .seq(rfe.opt())
    .ran(Marked)
    .seq(strongFenceR.ran(Marked).seq(xbstar).or(xbstar.and(s.int)));
  const wPreBounded = addr.or(fenceR).opt().dom(Marked);
  const rPreBounded = addr.or(nonrwFence, s.rmbFence.restrict(s.R4rmb, s.notNoreturn)).opt().dom(Marked);
  const wPostBounded = fenceR.opt().ran(Marked).seq(rmwSequence);
  const rPostBounded = nonrwFence.or(s.rmbFence.restrict(s.notNoreturn, s.R4rmb)).opt().ran(Marked);
  const wwVis = fenceR.or(strongFenceR.seq(xbstar).seq(wPreBounded), wPostBounded.seq(vis).seq(wPreBounded));
  const wrVis = fenceR.or(strongFenceR.seq(xbstar).seq(rPreBounded), wPostBounded.seq(vis).seq(rPreBounded));
  const rwXbstar = fenceR.or(rPostBounded.seq(xbstar).seq(wPreBounded));
  const preRace = s.preRaceBase;
  const wrIncoh = preRace.and(rf).and(rwXbstar.inv());
  const rwIncoh = preRace.and(fr).and(wrVis.inv());
  const wwIncoh = preRace.and(co).and(wwVis.inv());
  if (!wrIncoh.or(rwIncoh, wwIncoh).isEmpty()) return no;
  if (!wantRace) return { consistent: true, race: false };
  const wwNonrace = wwVis.and(s.MarkedW.or(rwXbstar)).and(s.WMarked.or(wrVis));
  const wwRace = preRace.and(co).minus(wwNonrace);
  const wrRace = preRace.and(co.opt().seq(rf)).minus(wrVis).minus(rwXbstar.inv());
  const rwRace = preRace.and(fr).minus(rwXbstar);
  return { consistent: true, race: !wwRace.or(wrRace, rwRace).isEmpty() };
}

function sameRel(a: Rel, b: Rel): boolean {
  for (let k = 0; k < a.m.length; k++) if (a.m[k] !== b.m[k]) return false;
  return true;
}
