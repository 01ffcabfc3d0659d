// Binary relations and sets over the events of one candidate execution, as bit matrices: the
// operators of herd7's cat language (;, |, &, \, ^-1, +, *, ?, [S], S*T) over a few dozen events.

export class EventSet {
  readonly bits: Uint32Array;
  constructor(
    readonly n: number,
    bits?: Uint32Array,
  ) {
    this.bits = bits ?? new Uint32Array((n + 31) >>> 5);
  }
  static of(n: number, members: Iterable<number>): EventSet {
    const s = new EventSet(n);
    for (const i of members) s.add(i);
    return s;
  }
  static where(n: number, pred: (i: number) => boolean): EventSet {
    const s = new EventSet(n);
    for (let i = 0; i < n; i++) if (pred(i)) s.add(i);
    return s;
  }
  add(i: number): void {
    this.bits[i >>> 5]! |= 1 << (i & 31);
  }
  has(i: number): boolean {
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }
  or(o: EventSet): EventSet {
    const b = this.bits.slice();
    for (let k = 0; k < b.length; k++) b[k]! |= o.bits[k]!;
    return new EventSet(this.n, b);
  }
  and(o: EventSet): EventSet {
    const b = this.bits.slice();
    for (let k = 0; k < b.length; k++) b[k]! &= o.bits[k]!;
    return new EventSet(this.n, b);
  }
  minus(o: EventSet): EventSet {
    const b = this.bits.slice();
    for (let k = 0; k < b.length; k++) b[k]! &= ~o.bits[k]!;
    return new EventSet(this.n, b);
  }
  complement(): EventSet {
    return EventSet.where(this.n, (i) => !this.has(i));
  }
  isEmpty(): boolean {
    for (let k = 0; k < this.bits.length; k++) if (this.bits[k] !== 0) return false;
    return true;
  }
}

export class Rel {
  readonly w: number;
  readonly m: Uint32Array;
  constructor(
    readonly n: number,
    m?: Uint32Array,
  ) {
    this.w = (n + 31) >>> 5;
    this.m = m ?? new Uint32Array(n * this.w);
  }

  static empty(n: number): Rel {
    return new Rel(n);
  }
  static id(s: EventSet): Rel {
    const r = new Rel(s.n);
    for (let i = 0; i < s.n; i++) if (s.has(i)) r.add(i, i);
    return r;
  }
  static where(n: number, pred: (i: number, j: number) => boolean): Rel {
    const r = new Rel(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (pred(i, j)) r.add(i, j);
    return r;
  }
  /** S * T. */
  static product(a: EventSet, b: EventSet): Rel {
    const r = new Rel(a.n);
    for (let i = 0; i < a.n; i++) if (a.has(i)) r.m.set(b.bits, i * r.w);
    return r;
  }

  add(i: number, j: number): void {
    this.m[i * this.w + (j >>> 5)]! |= 1 << (j & 31);
  }
  has(i: number, j: number): boolean {
    return (this.m[i * this.w + (j >>> 5)]! & (1 << (j & 31))) !== 0;
  }
  pairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.n; i++) for (let j = 0; j < this.n; j++) if (this.has(i, j)) out.push([i, j]);
    return out;
  }

  or(...others: Rel[]): Rel {
    const m = this.m.slice();
    for (const o of others) for (let k = 0; k < m.length; k++) m[k]! |= o.m[k]!;
    return new Rel(this.n, m);
  }
  and(o: Rel): Rel {
    const m = this.m.slice();
    for (let k = 0; k < m.length; k++) m[k]! &= o.m[k]!;
    return new Rel(this.n, m);
  }
  minus(o: Rel): Rel {
    const m = this.m.slice();
    for (let k = 0; k < m.length; k++) m[k]! &= ~o.m[k]!;
    return new Rel(this.n, m);
  }
  inv(): Rel {
    const r = new Rel(this.n);
    const w = this.w;
    for (let i = 0; i < this.n; i++) {
      const iw = i >>> 5;
      const ibit = 1 << (i & 31);
      for (let k = 0; k < w; k++) {
        let word = this.m[i * w + k]!;
        while (word !== 0) {
          const bit = word & -word;
          const j = (k << 5) + (31 - Math.clz32(bit));
          word ^= bit;
          r.m[j * w + iw]! |= ibit;
        }
      }
    }
    return r;
  }
  /** this ; o */
  seq(o: Rel): Rel {
    const n = this.n;
    const w = this.w;
    const r = new Rel(n);
    for (let i = 0; i < n; i++) {
      const base = i * w;
      for (let k = 0; k < w; k++) {
        let word = this.m[base + k]!;
        while (word !== 0) {
          const bit = word & -word;
          const j = (k << 5) + (31 - Math.clz32(bit));
          word ^= bit;
          const ob = j * w;
          for (let q = 0; q < w; q++) r.m[base + q]! |= o.m[ob + q]!;
        }
      }
    }
    return r;
  }
  /** [s] ; this */
  dom(s: EventSet): Rel {
    const r = new Rel(this.n);
    for (let i = 0; i < this.n; i++) if (s.has(i)) r.m.set(this.m.subarray(i * this.w, (i + 1) * this.w), i * this.w);
    return r;
  }
  /** this ; [s] */
  ran(s: EventSet): Rel {
    const m = this.m.slice();
    for (let i = 0; i < this.n; i++) for (let k = 0; k < this.w; k++) m[i * this.w + k]! &= s.bits[k]!;
    return new Rel(this.n, m);
  }
  /** [a] ; this ; [b] */
  restrict(a: EventSet, b: EventSet): Rel {
    return this.dom(a).ran(b);
  }
  /** r? */
  opt(): Rel {
    const r = new Rel(this.n, this.m.slice());
    for (let i = 0; i < this.n; i++) r.add(i, i);
    return r;
  }
  /** r+ (Warshall). */
  plus(): Rel {
    const n = this.n;
    const w = this.w;
    const m = this.m.slice();
    for (let k = 0; k < n; k++) {
      const kb = k * w;
      const kw = k >>> 5;
      const kbit = 1 << (k & 31);
      for (let i = 0; i < n; i++) {
        if ((m[i * w + kw]! & kbit) !== 0) {
          const ib = i * w;
          for (let q = 0; q < w; q++) m[ib + q]! |= m[kb + q]!;
        }
      }
    }
    return new Rel(n, m);
  }
  /** r* */
  star(): Rel {
    return this.plus().opt();
  }
  isEmpty(): boolean {
    for (let k = 0; k < this.m.length; k++) if (this.m[k] !== 0) return false;
    return true;
  }
  irreflexive(): boolean {
    for (let i = 0; i < this.n; i++) if (this.has(i, i)) return false;
    return true;
  }
  acyclic(): boolean {
    // Kahn's algorithm over the rows' set bits: cheaper than a closure when only the answer counts.
    const n = this.n;
    const w = this.w;
    const indeg = new Int32Array(n);
    const succ: number[][] = [];
    for (let i = 0; i < n; i++) {
      const out: number[] = [];
      for (let k = 0; k < w; k++) {
        let word = this.m[i * w + k]!;
        while (word !== 0) {
          const bit = word & -word;
          const j = (k << 5) + (31 - Math.clz32(bit));
          word ^= bit;
          out.push(j);
          indeg[j]!++;
        }
      }
      succ.push(out);
    }
    const stack: number[] = [];
    for (let i = 0; i < n; i++) if (indeg[i] === 0) stack.push(i);
    let seen = 0;
    while (stack.length) {
      const i = stack.pop()!;
      seen++;
      for (const j of succ[i]!) if (--indeg[j]! === 0) stack.push(j);
    }
    return seen === n;
  }
  domain(): EventSet {
    return EventSet.where(this.n, (i) => {
      for (let k = 0; k < this.w; k++) if (this.m[i * this.w + k] !== 0) return true;
      return false;
    });
  }
  range(): EventSet {
    const s = new EventSet(this.n);
    for (let i = 0; i < this.n; i++) for (let k = 0; k < this.w; k++) s.bits[k]! |= this.m[i * this.w + k]!;
    return s;
  }
}
