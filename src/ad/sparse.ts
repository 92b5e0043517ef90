// Sparse Jacobians by graph coloring: given (or detected from the graph's structure: which input
// elements each output element reads, src/rules/sparsity.ts) which entries may be nonzero, columns
// that share no row (forward mode) or rows that share no column (reverse mode) get one color, and
// one seed per color — the sum of its basis vectors — recovers all of them in a single pass:
// compressed J·S (or Rᵀ·J), then decompressed with the pattern. For a banded Jacobian the number
// of passes is the bandwidth, whatever the size.

import { type DType, allocHost } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { constNode } from '../ir/build.js';
import * as ops from '../ops.js';
import { Tensor } from '../tensor.js';
import type { Node } from '../ir/node.js';
import { type Deps, sparsityRules } from '../rules/sparsity.js';
import { checkFn, type Trace, pullBack, pushForward, zerosOf } from './trace.js';
import { dependentRegion, freshInput } from './region.js';
import { flatten } from './pytree.js';
import { TransformError } from '../errors.js';
import { overRows } from './vmap.js';

/**
 * Where the Jacobian of f: Rⁿ → Rᵐ may be nonzero: entry k is (rows[k], cols[k]), flat indices
 * into f's output and input (row-major). Entries outside it are taken as zero, so it must cover
 * every nonzero (a superset is correct, only slower).
 */
export interface Sparsity {
  readonly rows: ArrayLike<number>;
  readonly cols: ArrayLike<number>;
}

/** How a sparse Jacobian is computed: the mode, the number of colors (= passes), the color of each column (fwd) or row (rev). */
export interface Coloring {
  readonly mode: 'fwd' | 'rev';
  readonly colors: number;
  readonly colorOf: Int32Array;
}

/** Entry lists grouped by one index: `by[i]` lists the other index of every entry whose first index is i. */
function groups(first: ArrayLike<number>, second: ArrayLike<number>, count: number): number[][] {
  const by: number[][] = Array.from({ length: count }, () => []);
  for (let k = 0; k < first.length; k++) by[first[k]!]!.push(second[k]!);
  return by;
}

/** Greedy coloring of the items 0..count-1, where two items conflict when they share a line (row or column). */
function greedy(count: number, linesOf: number[][], itemsOf: number[][]): { colors: number; colorOf: Int32Array } {
  const colorOf = new Int32Array(count).fill(-1);
  const seen = new Int32Array(count + 1).fill(-1); // seen[c] = the item that last found color c taken
  let colors = 0;
  for (let j = 0; j < count; j++) {
    for (const line of linesOf[j]!) for (const k of itemsOf[line]!) if (colorOf[k]! >= 0) seen[colorOf[k]!] = j;
    let c = 0;
    while (seen[c] === j) c++;
    colorOf[j] = c;
    colors = Math.max(colors, c + 1);
  }
  return { colors, colorOf };
}

/**
 * Colors a sparsity pattern of an m×n Jacobian: columns for forward mode, rows for reverse mode
 * ('auto': the one with fewer colors, forward on a tie). `what` names the caller in errors.
 */
export function jacobianColoring(
  sparsity: Sparsity,
  outSize: number,
  inSize: number,
  mode: 'fwd' | 'rev' | 'auto' = 'auto',
  what = 'jacobianColoring',
): Coloring {
  const { rows, cols } = sparsity ?? ({} as Sparsity);
  if (!rows || !cols || typeof rows.length !== 'number' || typeof cols.length !== 'number' || rows.length !== cols.length) {
    throw new ArgumentError(`${what}: sparsity must be { rows, cols }, two lists of equal length (the possibly nonzero entries)`);
  }
  for (let k = 0; k < rows.length; k++) {
    const [i, j] = [rows[k]!, cols[k]!];
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= outSize || j >= inSize) {
      throw new ArgumentError(`${what}: sparsity entry ${k} is (${i}, ${j}), outside the ${outSize}×${inSize} Jacobian (output size × input size)`);
    }
  }
  const colsOfRow = groups(rows, cols, outSize);
  const rowsOfCol = groups(cols, rows, inSize);
  const fwd = mode === 'rev' ? null : greedy(inSize, rowsOfCol, colsOfRow);
  const rev = mode === 'fwd' ? null : greedy(outSize, colsOfRow, rowsOfCol);
  if (fwd && (!rev || fwd.colors <= rev.colors)) return { mode: 'fwd', ...fwd };
  return { mode: 'rev', ...rev! };
}

/** The structural pattern of ∂output/∂input: the entries (i, j) where output element i reads input element j. */
export function patternOf(input: Tensor, output: Tensor): Sparsity {
  const deps = new Map<Node, Deps>();
  deps.set(
    input.node,
    Array.from({ length: input.size }, (_, j) => Int32Array.of(j)),
  );
  for (const n of dependentRegion([input.node], [output.node])) {
    if (deps.has(n)) continue;
    deps.set(
      n,
      sparsityRules[n.op](
        n,
        n.inputs.map((m) => deps.get(m) ?? null),
      ),
    );
  }
  const rows: number[] = [];
  const cols: number[] = [];
  (deps.get(output.node) ?? []).forEach((js, i) => {
    for (const j of js) {
      rows.push(i);
      cols.push(j);
    }
  });
  return { rows, cols };
}

/**
 * The sparsity pattern of the Jacobian of `f` (one Tensor in, one Tensor out) at x's shape, from
 * the structure of its graph: a superset of the nonzeros at any x (a zero that depends on values,
 * like x − x, is kept). Feed it to `jacobian(f, { sparsity })`, or pass `sparsity: 'detect'`.
 */
export function detectSparsity(f: (x: Tensor) => Tensor, x: Tensor): Sparsity {
  checkFn('detectSparsity', f);
  const [input] = flatten(x, 'detectSparsity (x)').leaves.map((t) => freshInput(t));
  const out = f(input!);
  if (!(out instanceof Tensor)) throw new TransformError('detectSparsity: the function must return one Tensor');
  return patternOf(input!, out);
}

/** The colors × size indicator matrix: entry (c, j) is 1 where colorOf[j] = c. */
function indicator(coloring: Coloring, r0: number, r1: number, dtype: DType): Tensor {
  const n = coloring.colorOf.length;
  const data = allocHost(dtype, (r1 - r0) * n);
  coloring.colorOf.forEach((c, j) => {
    if (c >= r0 && c < r1) data[(c - r0) * n + j] = 1;
  });
  return new Tensor(constNode(data, [r1 - r0, n], dtype));
}

/**
 * The Jacobian [...y.shape, ...x.shape] of the traced one-input, one-output function `tr` by
 * colored forward or reverse mode: one batched walk over the colors' seeds, then decompressed.
 */
export function sparseJacobian(what: string, tr: Trace, given: Sparsity | 'detect', mode: 'fwd' | 'rev' | 'auto', chunk: number): Tensor {
  const x = tr.inputs[0]!;
  const y = tr.outLeaves[0]!;
  const sparsity = given === 'detect' ? patternOf(x, y) : given;
  const [m, n] = [y.size, x.size];
  const coloring = jacobianColoring(sparsity, m, n, mode, what);
  const shape = [...y.shape, ...x.shape];
  const fwd = coloring.mode === 'fwd';
  const [len, like] = fwd ? [n, x] : [m, y];
  const seeds = (r0: number, r1: number) => indicator(coloring, r0, r1, like.dtype);
  const [compressed] = overRows(what, len, like.dtype, coloring.colors, chunk, seeds, (e) =>
    fwd ? pushForward(tr, [ops.reshape(e, like.shape)]) : pullBack(tr, [ops.reshape(e, like.shape)]),
  );
  if (!compressed) return zerosOf(shape, y.dtype);
  // J[i, j] = P[i, j] · (fwd: C[color(j), i] = (Cᵀ S)[i, j]; rev: C[color(i), j] = (Sᵀ C)[i, j])
  const S = seeds(0, coloring.colors);
  const C = ops.reshape(compressed, [coloring.colors, fwd ? m : n]);
  const spread = fwd ? ops.matmul(ops.transpose(C), S) : ops.matmul(ops.transpose(S), C);
  const mask = allocHost(y.dtype, m * n);
  for (let k = 0; k < sparsity.rows.length; k++) mask[sparsity.rows[k]! * n + sparsity.cols[k]!] = 1;
  return ops.reshape(ops.mul(spread, new Tensor(constNode(mask, [m, n], y.dtype))), shape);
}
