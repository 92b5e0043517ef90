// Random op graphs as plain data: a list of nodes (input leaves and op records) where every op
// refers to earlier nodes by index and the last node is the output. Graphs are generated from a
// seed, checked against an independent float64 interpreter while they are built (so that kinks are
// kept a margin away and magnitudes stay bounded), and can be printed, shrunk and replayed.

import { type Nd, interpretNode, kinkMargin } from './interp.js';

export type Ref = number;
export type Shape = number[];

export type UnFn = 'neg' | 'exp' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'softplus' | 'square' | 'abs' | 'sign' | 'relu';
export type BinFn = 'add' | 'sub' | 'mul' | 'maximum' | 'minimum';
export type NumFn = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
export type CmpFn = 'less' | 'lessEqual' | 'greater' | 'greaterEqual' | 'equal' | 'notEqual';
export type RedFn = 'sum' | 'max' | 'min' | 'mean' | 'logsumexp';

export type GNode =
  | { k: 'in'; shape: Shape; data: number[] }
  | { k: 'un'; fn: UnFn; a: Ref }
  /** fn(a*a + c): log, sqrt or pow with a fractional/negative exponent, kept away from 0. */
  | { k: 'safe'; fn: 'log' | 'sqrt' | 'pow'; p: number; c: number; a: Ref }
  /** pow with an integer exponent (smooth everywhere). */
  | { k: 'powi'; p: number; a: Ref }
  | { k: 'bin'; fn: BinFn; a: Ref; b: Ref }
  /** a / (b*b + c), the denominator kept away from 0. */
  | { k: 'div'; a: Ref; b: Ref; c: number }
  /** a JS number as an operand: `a op c`, or `c op a` when `left` (not for div). */
  | { k: 'num'; fn: NumFn; a: Ref; c: number; left: boolean }
  | { k: 'cmp'; fn: CmpFn; a: Ref; b: Ref }
  | { k: 'where'; fn: CmpFn; a: Ref; b: Ref; x: Ref; y: Ref }
  | { k: 'red'; fn: RedFn; a: Ref; axes: number[]; keep: boolean }
  | { k: 'matmul'; a: Ref; b: Ref }
  | { k: 'reshape'; a: Ref; shape: Shape }
  | { k: 'permute'; a: Ref; perm: number[] }
  | { k: 'transpose'; a: Ref }
  | { k: 'bcast'; a: Ref; shape: Shape }
  | { k: 'expand'; a: Ref; axis: number }
  | { k: 'squeeze'; a: Ref; axis: number }
  | { k: 'slice'; a: Ref; starts: number[]; ends: number[]; steps: number[] }
  | { k: 'pad'; a: Ref; pads: [number, number][] }
  | { k: 'concat'; xs: Ref[]; axis: number }
  | { k: 'stack'; xs: Ref[]; axis: number }
  /** astype(astype(a, 'float32'), dtype): a no-op in float32, a rounding in float64. */
  | { k: 'astype'; a: Ref }
  | { k: 'stopgrad'; a: Ref };

export interface Graph {
  nodes: GNode[];
  /** Seed of the tangents, Taylor series and cotangent weights (see directions()). */
  dseed: number;
}

// ----- seeded PRNG (mulberry32) -----

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

export const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Seed of graph `i` of a run with seed `seed`. */
export const graphSeed = (seed: number, i: number): number => (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(i + 1, 0xc2b2ae35)) >>> 0;

// ----- inputs of a graph -----

export const inputIds = (g: Graph): number[] => g.nodes.flatMap((n, i) => (n.k === 'in' ? [i] : []));
export const opCount = (g: Graph): number => g.nodes.filter((n) => n.k !== 'in').length;

export function refsOf(n: GNode): Ref[] {
  switch (n.k) {
    case 'in':
      return [];
    case 'bin':
    case 'div':
    case 'cmp':
    case 'matmul':
      return [n.a, n.b];
    case 'where':
      return [n.a, n.b, n.x, n.y];
    case 'concat':
    case 'stack':
      return n.xs.slice();
    default:
      return [n.a];
  }
}

export function mapRefs(n: GNode, f: (r: Ref) => Ref): GNode {
  switch (n.k) {
    case 'in':
      return n;
    case 'bin':
    case 'div':
    case 'cmp':
    case 'matmul':
      return { ...n, a: f(n.a), b: f(n.b) };
    case 'where':
      return { ...n, a: f(n.a), b: f(n.b), x: f(n.x), y: f(n.y) };
    case 'concat':
    case 'stack':
      return { ...n, xs: n.xs.map(f) };
    default:
      return { ...n, a: f(n.a) } as GNode;
  }
}

/** Drops nodes the output does not depend on and renumbers. */
export function dce(g: Graph): Graph {
  const live = new Set<number>([g.nodes.length - 1]);
  for (let i = g.nodes.length - 1; i >= 0; i--) if (live.has(i)) for (const r of refsOf(g.nodes[i]!)) live.add(r);
  const map = new Map<number, number>();
  const nodes: GNode[] = [];
  g.nodes.forEach((n, i) => {
    if (!live.has(i)) return;
    map.set(i, nodes.length);
    nodes.push(mapRefs(n, (r) => map.get(r)!));
  });
  return { nodes, dseed: g.dseed };
}

// ----- shapes -----

export function broadcastShape(a: Shape, b: Shape): Shape | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1,
      y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

// ----- generation -----

/**
 * Tensor sizes a generated graph keeps to: at most `maxSize` elements, dims drawn from `dims`,
 * inputs uniform in ±`inputRange` (smaller for large tensors, whose sums would grow past
 * MAX_MAGNITUDE).
 */
export interface Sizes {
  readonly maxSize: number;
  readonly dims: readonly number[];
  /** Ranks of the inputs, drawn uniformly. */
  readonly ranks: readonly number[];
  readonly inputRange: number;
}
/** The default: small tensors (every kernel path at small sizes, cheap to check). */
export const SMALL: Sizes = { maxSize: 48, dims: [1, 2, 3, 4], ranks: [0, 1, 1, 2, 2, 2, 3, 3], inputRange: 1.5 };
/**
 * Large tensors (`npm run fuzz -- --large`): dims past the CPU's WebAssembly matmul threshold, the
 * register and tiled WebGPU templates' block sizes, with ragged edges (17, 33, 70).
 */
export const LARGE: Sizes = { maxSize: 4096, dims: [1, 3, 17, 33, 64, 70], ranks: [2, 2, 2, 3], inputRange: 0.4 };
const MAX_INPUTS = 5;
const NUMS = [0.5, 2, -1, 1.5, -0.25, 3, 0.1, -2.5, 0.75];
const UN: UnFn[] = ['neg', 'exp', 'sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'square', 'abs', 'sign', 'relu'];
const CMPS: CmpFn[] = ['less', 'lessEqual', 'greater', 'greaterEqual', 'equal', 'notEqual'];
const REDS: RedFn[] = ['sum', 'max', 'min', 'mean', 'logsumexp'];

/** Kinds of op and their weights (every primitive and movement op and the common composites). */
const KINDS: [GNode['k'], number][] = [
  ['un', 10],
  ['safe', 4],
  ['powi', 2],
  ['bin', 9],
  ['div', 3],
  ['num', 7],
  ['cmp', 2],
  ['where', 3],
  ['red', 6],
  ['matmul', 4],
  ['reshape', 3],
  ['permute', 2],
  ['transpose', 1],
  ['bcast', 3],
  ['expand', 1],
  ['squeeze', 1],
  ['slice', 3],
  ['pad', 3],
  ['concat', 2],
  ['stack', 2],
  ['astype', 1],
  ['stopgrad', 1],
];
const KIND_TOTAL = KINDS.reduce((s, [, w]) => s + w, 0);

function randomShape(r: Rng, sizes: Sizes, maxRank = 3): Shape {
  const rank = r.pick(sizes.ranks.filter((x) => x <= maxRank));
  const s = Array.from({ length: rank }, () => r.pick(sizes.dims));
  while (size(s) > sizes.maxSize) s[s.indexOf(Math.max(...s))] = 1;
  return s;
}

/** A shape that broadcasts with `s` (drops leading dims, sets some to 1, sometimes adds one). */
function compatibleShape(r: Rng, s: Shape, sizes: Sizes): Shape {
  const drop = r.bool(0.3) ? r.int(0, s.length) : 0;
  let t = s.slice(drop).map((d) => (r.bool(0.25) ? 1 : d));
  // a new leading axis (only when no axis was dropped, so it lies outside s)
  if (drop === 0 && r.bool(0.15) && size(s) * 2 <= sizes.maxSize && s.length < 4) t = [r.pick([1, 2]), ...t];
  return t;
}

function inputData(r: Rng, shape: Shape, range: number): number[] {
  // float32-representable so that every backend sees exactly the same inputs
  return Array.from({ length: size(shape) }, () => Math.fround(r.uniform(-range, range)));
}

function factorShapes(n: number, maxRank = 4): Shape[] {
  const out: Shape[] = [];
  const rec = (rest: number, cur: number[]): void => {
    if (rest === 1) out.push(cur.slice());
    if (cur.length === maxRank) return;
    for (let d = 1; d <= Math.min(rest, 8); d++) if (rest % d === 0 && !(d === 1 && cur.length >= 2 && rest === 1)) rec(rest / d, [...cur, d]);
  };
  rec(n, []);
  return out;
}

interface Builder {
  r: Rng;
  nodes: GNode[];
  shapes: Shape[];
  vals: Nd[];
  sizes: Sizes;
}

function addInput(b: Builder, shape: Shape): Ref {
  const n: GNode = { k: 'in', shape: shape.slice(), data: inputData(b.r, shape, b.sizes.inputRange) };
  b.nodes.push(n);
  b.shapes.push(shape.slice());
  b.vals.push({ shape: shape.slice(), data: Float64Array.from(n.data) });
  return b.nodes.length - 1;
}

const nIn = (b: Builder): number => b.nodes.filter((n) => n.k === 'in').length;

/** An operand: usually the newest node, else any earlier node. */
function pickRef(b: Builder, pred: (s: Shape) => boolean = () => true): Ref | null {
  const ok = b.shapes.map((s, i) => (pred(s) ? i : -1)).filter((i) => i >= 0);
  if (ok.length === 0) return null;
  const last = ok[ok.length - 1]!;
  return b.r.bool(0.8) ? last : b.r.pick(ok);
}

/** An existing node of a shape accepted by `pred`, or a new input of shape `make()`. */
function partner(b: Builder, pred: (s: Shape) => boolean, make: () => Shape, pExisting = 0.6): Ref {
  if (b.r.bool(pExisting) || nIn(b) >= MAX_INPUTS) {
    const ok = b.shapes.map((s, i) => (pred(s) ? i : -1)).filter((i) => i >= 0);
    if (ok.length > 0) return b.r.pick(ok);
  }
  return addInput(b, make());
}

function proposeOp(b: Builder): GNode | null {
  const r = b.r;
  let w = r.next() * KIND_TOTAL;
  let kind: GNode['k'] = 'un';
  for (const [k, wk] of KINDS)
    if ((w -= wk) < 0) {
      kind = k;
      break;
    }
  const a = pickRef(b)!;
  const sa = b.shapes[a]!;
  const bcastPartner = (): Ref =>
    partner(
      b,
      (s) => {
        const o = broadcastShape(sa, s);
        return o !== null && size(o) <= b.sizes.maxSize;
      },
      () => compatibleShape(r, sa, b.sizes),
    );
  switch (kind) {
    case 'un':
      return { k: 'un', fn: r.pick(UN), a };
    case 'safe': {
      const fn = r.pick(['log', 'sqrt', 'pow'] as const);
      return { k: 'safe', fn, p: fn === 'pow' ? r.pick([0.5, -0.5, 1.5, -1, 2.5, -2]) : 0, c: r.pick([0.25, 0.5, 1]), a };
    }
    case 'powi':
      return { k: 'powi', p: r.pick([2, 3, 4]), a };
    case 'bin':
      return { k: 'bin', fn: r.pick(['add', 'sub', 'mul', 'mul', 'maximum', 'minimum'] as const), a, b: bcastPartner() };
    case 'div':
      return { k: 'div', a, b: bcastPartner(), c: r.pick([0.5, 1]) };
    case 'num': {
      const fn = r.pick(['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const);
      return { k: 'num', fn, a, c: fn === 'div' ? r.pick([2, -0.5, 1.5, 4]) : r.pick(NUMS), left: fn !== 'div' && r.bool() };
    }
    case 'cmp':
      return { k: 'cmp', fn: r.pick(CMPS), a, b: bcastPartner() };
    case 'where': {
      const bb = bcastPartner();
      const sab = broadcastShape(sa, b.shapes[bb]!)!;
      const fit = (s: Shape): boolean => {
        const o = broadcastShape(sab, s);
        return o !== null && size(o) <= b.sizes.maxSize;
      };
      const x = partner(b, fit, () => compatibleShape(r, sab, b.sizes));
      const sx = broadcastShape(sab, b.shapes[x]!)!;
      const y = partner(
        b,
        (s) => {
          const o = broadcastShape(sx, s);
          return o !== null && size(o) <= b.sizes.maxSize;
        },
        () => compatibleShape(r, sx, b.sizes),
      );
      return { k: 'where', fn: r.pick(CMPS.filter((c) => c !== 'equal' && c !== 'notEqual')), a, b: bb, x, y };
    }
    case 'red': {
      if (sa.length === 0) return null;
      const axes = sa.map((_, i) => i).filter(() => r.bool(0.5));
      if (axes.length === 0) axes.push(r.int(0, sa.length - 1));
      return { k: 'red', fn: r.pick(REDS), a, axes, keep: r.bool(0.4) };
    }
    case 'matmul': {
      if (sa.length === 0) return null;
      const kdim = sa[sa.length - 1]!;
      const batchA = sa.slice(0, -2);
      const ok = (s: Shape): boolean => {
        if (s.length === 0) return false;
        if (s.length === 1) return s[0] === kdim && sa.length >= 1;
        if (s[s.length - 2] !== kdim) return false;
        const bb = broadcastShape(batchA, s.slice(0, -2));
        return bb !== null && size(bb) * s[s.length - 1]! * (sa.length >= 2 ? sa[sa.length - 2]! : 1) <= b.sizes.maxSize;
      };
      const bref = partner(
        b,
        ok,
        () => {
          const form = r.int(0, 3);
          if (form === 0) return [kdim];
          const n = r.pick(b.sizes.dims);
          if (form === 1 || sa.length < 3) return r.bool(0.2) && sa.length <= 2 && sa.length > 0 ? [r.pick([1, 2]), kdim, n] : [kdim, n];
          return [...batchA.map((d) => (r.bool(0.3) ? 1 : d)), kdim, n];
        },
        0.4,
      );
      return ok(b.shapes[bref]!) ? { k: 'matmul', a, b: bref } : null;
    }
    case 'reshape': {
      const cands = factorShapes(size(sa)).filter((s) => s.join() !== sa.join());
      if (cands.length === 0) return null;
      const shape = r.pick(cands);
      if (r.bool(0.2) && shape.length > 0) shape[r.int(0, shape.length - 1)] = -1;
      return { k: 'reshape', a, shape };
    }
    case 'permute': {
      if (sa.length < 2) return null;
      return { k: 'permute', a, perm: r.shuffle(sa.map((_, i) => i)) };
    }
    case 'transpose':
      return sa.length < 2 ? null : { k: 'transpose', a };
    case 'bcast': {
      let shape = sa.map((d) => (d === 1 && r.bool(0.6) ? r.int(2, 3) : d));
      if (r.bool(0.5) && shape.length < 4) shape = [r.int(1, 3), ...shape];
      if (size(shape) > b.sizes.maxSize) return null;
      return { k: 'bcast', a, shape };
    }
    case 'expand':
      return sa.length >= 4 ? null : { k: 'expand', a, axis: r.int(-(sa.length + 1), sa.length) };
    case 'squeeze': {
      const ones = sa.flatMap((d, i) => (d === 1 ? [i] : []));
      return ones.length === 0 ? null : { k: 'squeeze', a, axis: r.pick(ones) };
    }
    case 'slice': {
      if (sa.length === 0) return null;
      const starts: number[] = [],
        ends: number[] = [],
        steps: number[] = [];
      for (const d of sa) {
        const s0 = r.int(0, d - 1);
        const e0 = r.int(s0 + 1, d);
        const neg = r.bool(0.2);
        starts.push(neg ? s0 - d : s0);
        ends.push(neg && e0 < d ? e0 - d : e0);
        steps.push(r.bool(0.25) ? 2 : 1);
      }
      return { k: 'slice', a, starts, ends, steps };
    }
    case 'pad': {
      const pads = sa.map((): [number, number] => [r.pick([0, 0, 1, 2]), r.pick([0, 1, 1])]);
      const out = sa.map((d, i) => d + pads[i]![0] + pads[i]![1]);
      return size(out) > b.sizes.maxSize ? null : { k: 'pad', a, pads };
    }
    case 'concat': {
      if (sa.length === 0) return null;
      const axis = r.int(0, sa.length - 1);
      const others = Array.from({ length: r.int(1, 2) }, () =>
        partner(
          b,
          (s) => s.length === sa.length && s.every((d, i) => i === axis || d === sa[i]),
          () => sa.map((d, i) => (i === axis ? r.int(1, 3) : d)),
        ),
      );
      const total = [a, ...others].reduce((t, x) => t + b.shapes[x]![axis]!, 0);
      if ((size(sa) / sa[axis]!) * total > b.sizes.maxSize) return null;
      return { k: 'concat', xs: r.shuffle([a, ...others]), axis: r.bool(0.3) ? axis - sa.length : axis };
    }
    case 'stack': {
      const n = r.int(2, 3);
      if (size(sa) * n > b.sizes.maxSize || sa.length >= 4) return null;
      const others = Array.from({ length: n - 1 }, () =>
        partner(
          b,
          (s) => s.join() === sa.join(),
          () => sa.slice(),
        ),
      );
      return { k: 'stack', xs: r.shuffle([a, ...others]), axis: r.int(-(sa.length + 1), sa.length) };
    }
    case 'astype':
      return { k: 'astype', a };
    case 'stopgrad':
      return { k: 'stopgrad', a };
    default:
      return null;
  }
}

/** Largest magnitude a generated intermediate may have (keeps exp and powers in range). */
export const MAX_MAGNITUDE = 20;

/**
 * Generates a graph of 3–12 ops from `seed`. Each proposed op is evaluated by the float64
 * interpreter and rejected unless its values are finite, at most MAX_MAGNITUDE, and every kink
 * (abs/sign/relu at 0, ties of maximum/minimum/comparisons/max-reductions) is a margin away.
 */
export function generate(seed: number, sizes: Sizes = SMALL): Graph {
  const r = new Rng(seed);
  const b: Builder = { r, nodes: [], shapes: [], vals: [], sizes };
  const nInputs = r.int(1, 3);
  for (let i = 0; i < nInputs; i++) addInput(b, randomShape(r, sizes));
  const target = r.int(3, 12);
  let ops = 0;
  for (let tries = 0; ops < target && tries < 200; tries++) {
    const mark = b.nodes.length;
    let n: GNode | null = null;
    try {
      n = proposeOp(b);
    } catch {
      n = null;
    }
    const undo = (): void => {
      b.nodes.length = b.shapes.length = b.vals.length = mark;
    };
    if (!n) {
      undo();
      continue;
    }
    let v: Nd;
    try {
      v = interpretNode(n, b.vals);
    } catch {
      undo();
      continue;
    }
    if (size(v.shape) > b.sizes.maxSize || !validValue(n, b.vals, v)) {
      undo();
      continue;
    }
    b.nodes.push(n);
    b.shapes.push(v.shape);
    b.vals.push(v);
    ops++;
  }
  if (b.nodes[b.nodes.length - 1]!.k === 'in') b.nodes.push({ k: 'un', fn: 'sin', a: b.nodes.length - 1 });
  return dce({ nodes: b.nodes, dseed: Math.floor(r.next() * 2 ** 31) });
}

/** Is node `n`'s value `v` (over the earlier values `vals`) finite, bounded and a margin away from its kinks? */
function validValue(n: GNode, vals: readonly Nd[], v: Nd): boolean {
  return v.data.every((x) => Number.isFinite(x) && Math.abs(x) <= MAX_MAGNITUDE) && kinkMargin(n, vals, v);
}

/** Does every node of the graph keep the generator's invariants (validValue)? */
export function validGraph(g: Graph): boolean {
  try {
    const vals: Nd[] = [];
    for (const n of g.nodes) {
      const v = interpretNode(n, vals);
      if (!validValue(n, vals, v)) return false;
      vals.push(v);
    }
    return true;
  } catch {
    return false;
  }
}

/** `g` with input i's data (inputs counted in node order) replaced by `data(i, old)`. */
export function withInputData(g: Graph, data: (i: number, old: readonly number[]) => number[]): Graph {
  let i = 0;
  return { nodes: g.nodes.map((n) => (n.k === 'in' ? { ...n, data: data(i++, n.data) } : n)), dseed: g.dseed };
}
