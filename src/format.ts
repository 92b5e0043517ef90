// How a tensor reads as text: toString(), print() and console.log of a Tensor. Values nested as the
// shape says (rows on their own lines, aligned), numbers to 6 significant digits in one style per
// tensor (integers, fixed or exponent), and large tensors summarized numpy-style (the first and
// last EDGE items of each long axis around '...').

import type { DType } from './dtype.js';

/** Tensors with more elements than this are summarized. */
export const SUMMARIZE_OVER = 1000;
/** Items shown at each end of a summarized axis. */
const EDGE = 3;
const DIGITS = 6;

/** `Tensor(<values>, shape=[...], dtype=...)`, or without values when they are not known. */
export function formatTensor(shape: readonly number[], dtype: DType, values: ArrayLike<number> | null): string {
  const tail = `shape=[${shape.join(', ')}], dtype=${dtype}`;
  if (values === null) return `Tensor(${tail})`;
  const head = 'Tensor(';
  return `${head}${formatValues(shape, values, head.length)}, ${tail})`;
}

/** The values nested as `shape` says; continuation lines indented by `indent` columns. */
export function formatValues(shape: readonly number[], values: ArrayLike<number>, indent = 0): string {
  const size = shape.reduce((a, b) => a * b, 1);
  const summarize = size > SUMMARIZE_OVER;
  const shown = (extent: number): (number | null)[] =>
    summarize && extent > 2 * EDGE ? [...range(0, EDGE), null, ...range(extent - EDGE, extent)] : range(0, extent);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // every element that will be printed, to choose one style and one width
  const printed: number[] = [];
  const collect = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      printed.push(values[offset]!);
      return;
    }
    for (const i of shown(shape[dim]!)) if (i !== null) collect(dim + 1, offset + i * strides[dim]!);
  };
  collect(0, 0);
  const fmt = numberStyle(printed);
  const width = Math.max(0, ...printed.map((v) => fmt(v).length));
  const render = (dim: number, offset: number): string => {
    if (dim === shape.length) return fmt(values[offset]!).padStart(width);
    const parts = shown(shape[dim]!).map((i) => (i === null ? '...' : render(dim + 1, offset + i * strides[dim]!)));
    if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
    const sep = `,\n${'\n'.repeat(shape.length - dim - 2)}${' '.repeat(indent + dim + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  return render(0, 0);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** One style for all of a tensor's numbers: integers, fixed point, or exponent notation. */
function numberStyle(vals: readonly number[]): (v: number) => string {
  const finite = vals.filter(Number.isFinite);
  const special = (v: number): string | null =>
    Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Inf' : v === -Infinity ? '-Inf' : v === 0 ? (Object.is(v, -0) ? '-0' : '0') : null;
  if (finite.every((v) => Number.isInteger(v) && Math.abs(v) < 1e16)) return (v) => special(v) ?? String(v);
  const big = Math.max(...finite.map(Math.abs));
  const small = Math.min(...finite.filter((v) => v !== 0).map(Math.abs));
  if (big >= 1e6 || small < 1e-4) return (v) => special(v) ?? trimExponent(v.toExponential(DIGITS - 1));
  return (v) => special(v) ?? String(Number(v.toPrecision(DIGITS)));
}

/** 1.50000e-7 -> 1.5e-7 */
function trimExponent(s: string): string {
  return s.replace(/\.?0+e/, 'e');
}
