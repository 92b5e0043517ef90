// pde's method 'auto': the cost model (the vectors per datum each method's propagation of a group
// of terms carries, from the compiled plan), what a propagation costs on each backend, and the
// search for the cheapest assignment of the spec's terms to methods.

// A spec's terms can go to different methods: every method that gets a term runs one propagation of
// just the directions of its terms (./pde-plan.ts restrictPlan), so terms in one group still share
// directions and lower coefficients. The cost of an assignment is Σ over its groups of the group's
// vectors per datum plus the backend's fixed cost of a propagation (PASS_COST). Where it pays: a
// gradient over many coordinates is one adjoint per component by nested first-order AD (reverse
// mode) but one tangent per coordinate in Taylor mode, while a Laplacian over a few of them is
// cheapest collapsed.

import { ArgumentError } from '../errors.js';
import type { OperatorMethod } from './operator-args.js';
import { rowBasis } from './pde-formulas.js';
import { type Plan, restrictPlan, weightRow } from './pde-plan.js';

/** The backends the cost model knows. */
export type CostBackend = 'cpu' | 'webgpu';

/**
 * The fixed cost of one propagation beyond its vectors, in vectors per datum. CPU: none (the pass
 * recomputes the primal, which is one of its vectors; the work scales with the vectors). WebGPU:
 * every propagation is its own chain of kernel dispatches (about one per fused kernel of the
 * network, 12 for the Navier–Stokes MLP of bench/pde-navier-stokes.ts) whose fixed launch and
 * synchronisation cost on a GPU outweighs a few vectors of per-datum work: counted as 4 vectors, so
 * a second group pays off there only when it saves more than 4 vectors per datum.
 */
export const PASS_COST = { cpu: 0, webgpu: 4 } as const satisfies Record<CostBackend, number>;

/** The methods in order of preference on equal cost. */
export const METHOD_ORDER: readonly OperatorMethod[] = ['collapsed', 'taylor', 'nested'];

/** The backend to cost for: `asked` (checked) or the active one. */
export function costBackend(op: string, asked: unknown, active: string): CostBackend {
  const b = asked ?? (active === 'webgpu' ? 'webgpu' : 'cpu');
  if (b !== 'cpu' && b !== 'webgpu')
    throw new ArgumentError(`${op}: backend must be 'cpu' or 'webgpu' (the backend method 'auto' costs for), got ${String(asked)}`);
  return b;
}

/**
 * Vectors per datum that `method`'s propagation of `plan` carries (./pde.ts), C the components of f
 * (null: f is [N]); null where not counted (jets of order > 2 by nested first-order AD). K the
 * highest order read, R the directions, T the rank of the order-K reads' weight rows:
 *  - no read of order >= 1, or no direction: 1 (the primal)
 *  - K = 1 (any Taylor method): 1 + R
 *  - standard Taylor: 1 + K R;  collapsed: 1 + (K − 1) R + T
 *  - nested (K <= 2): 1 + C (1 + 2 R₂), R₂ the directions of second-order reads; 1 when no read
 *    of order >= 1 has a non-zero weight (no adjoint is formed)
 */
export function planVectors(plan: Plan, method: OperatorMethod, C: number | null): number | null {
  const reads = plan.terms.flatMap(([, t]) => t.reads);
  const K = Math.max(0, ...reads.map((r) => r.order));
  const R = plan.dirs.count;
  const rows = reads.map((rd) => weightRow(plan, rd));
  if (method === 'nested') {
    if (K > 2) return null;
    const second = new Set<number>();
    let first = false;
    reads.forEach((rd, i) =>
      rows[i]!.forEach((w, r) => {
        if (w === 0) return;
        if (rd.order === 2) second.add(r);
        else if (rd.order === 1) first = true;
      }),
    );
    return !first && second.size === 0 ? 1 : 1 + (C ?? 1) * (1 + 2 * second.size);
  }
  if (K === 0 || R === 0) return 1;
  if (method === 'taylor' || K === 1) return 1 + K * R;
  const T = rowBasis(rows.filter((_, i) => reads[i]!.order === K)).basis.length;
  return 1 + (K - 1) * R + T;
}

/** How 'auto' computes a term: in one method's propagation, or (an exact biharmonic) as the collapsed Laplacian of its collapsed Laplacian, in a propagation of its own. */
export type TermMethod = OperatorMethod | 'laplacian-of-laplacian';

/** Vectors per datum of Δ(Δf) over n coordinates, both Laplacians collapsed: 2 + n at each level, multiplied. */
export const twoLaplacianVectors = (n: number): number => (2 + n) ** 2;

/** Every choice, by index: the methods, then the biharmonic's second route. */
const CHOICES: readonly TermMethod[] = [...METHOD_ORDER, 'laplacian-of-laplacian'];

/** The terms' methods, and the assignment's modelled vectors per datum and cost. */
export interface Assignment {
  readonly methods: ReadonlyMap<string, TermMethod>;
  /** Σ over the propagations of their vectors per datum (the cost model's). */
  readonly vectors: number;
  /** vectors plus the backend's cost of each propagation. */
  readonly cost: number;
}

/** At most this many assignments are tried exhaustively (every assignment of 8 terms to 3 methods); more, by local search. */
const EXHAUSTIVE = 3 ** 8;

/**
 * The cheapest assignment of the plan's terms to methods on `backend` (equal costs: fewer
 * propagations, then collapsed before standard Taylor before nested before the Laplacian of the
 * Laplacian, earlier terms first). Every assignment up to EXHAUSTIVE; beyond, the best single
 * method improved by moving one term at a time while that lowers the cost.
 */
export function chooseMethods(plan: Plan, C: number | null, backend: CostBackend): Assignment {
  const names = plan.terms.map(([name]) => name);
  const n = names.length;
  // each term's choices: the three methods, and an exact biharmonic's Laplacian of the Laplacian
  const options = plan.terms.map(([, t]) => (t.twoLaplacians ? CHOICES.length : METHOD_ORDER.length));
  const memo = new Map<string, number | null>();
  const groupVectors = (method: OperatorMethod, members: readonly number[]): number | null => {
    const key = `${method}:${members.join(',')}`;
    if (!memo.has(key)) memo.set(key, planVectors(restrictPlan(plan, new Set(members.map((i) => names[i]!))), method, C));
    return memo.get(key)!;
  };
  // an assignment: the index into CHOICES of each term
  const evaluate = (a: readonly number[]): { vectors: number; cost: number; passes: number } => {
    let vectors = 0;
    let passes = 0;
    METHOD_ORDER.forEach((method, m) => {
      const members = a.flatMap((x, i) => (x === m ? [i] : []));
      if (members.length === 0) return;
      vectors += groupVectors(method, members) ?? Number.POSITIVE_INFINITY;
      passes++;
    });
    a.forEach((x, i) => {
      if (CHOICES[x] !== 'laplacian-of-laplacian') return;
      vectors += twoLaplacianVectors(plan.terms[i]![1].twoLaplacians!.length);
      passes++;
    });
    return { vectors, cost: vectors + passes * PASS_COST[backend], passes };
  };
  const better = (a: ReturnType<typeof evaluate>, b: ReturnType<typeof evaluate>): boolean => a.cost < b.cost || (a.cost === b.cost && a.passes < b.passes);
  let best: number[] = new Array<number>(n).fill(0);
  let bestE = evaluate(best);
  const consider = (a: number[]): boolean => {
    const e = evaluate(a);
    if (!better(e, bestE)) return false;
    best = a;
    bestE = e;
    return true;
  };
  if (options.reduce((p, k) => p * k, 1) <= EXHAUSTIVE) {
    // every assignment in lexicographic order (the first term's choice most significant)
    const a = new Array<number>(n).fill(0);
    for (;;) {
      let i = n - 1;
      while (i >= 0 && a[i] === options[i]! - 1) a[i--] = 0;
      if (i < 0) break;
      a[i]!++;
      consider([...a]);
    }
  } else {
    for (let m = 1; m < METHOD_ORDER.length; m++) consider(new Array<number>(n).fill(m));
    for (let moved = true; moved; ) {
      moved = false;
      for (let i = 0; i < n; i++) for (let m = 0; m < options[i]!; m++) if (m !== best[i]) moved = consider(best.map((x, j) => (j === i ? m : x))) || moved;
    }
  }
  if (!Number.isFinite(bestE.cost)) throw new Error('pde: no method computes every term (internal: collapsed always does)');
  return { methods: new Map(names.map((name, i) => [name, CHOICES[best[i]!]!])), vectors: bestE.vectors, cost: bestE.cost };
}
