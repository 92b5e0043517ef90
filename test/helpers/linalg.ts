// Small dense linear algebra in plain JS for test references (row-major arrays): a matrix-vector
// product and Gaussian elimination. Nothing here calls wgad.

/** A v for a square row-major A. */
export const matvecOf = (a: readonly number[], v: readonly number[]): number[] => v.map((_, i) => v.reduce((s, vj, j) => s + a[i * v.length + j]! * vj, 0));

export /** Solves A x = b by Gaussian elimination with partial pivoting. */
function solve(a: readonly number[], b: readonly number[]): number[] {
  const n = b.length;
  const m = Array.from({ length: n }, (_, i) => [...a.slice(i * n, (i + 1) * n), b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / m[r]![r]!;
  }
  return x;
}
