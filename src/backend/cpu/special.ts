// Special functions JavaScript's Math lacks, in float64, for the generated CPU kernels (which
// reach them as SPECIAL.<name>, see ./codegen.ts).

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2 / √π
const ONE_OVER_SQRT_PI = 0.5641895835477563; // 1 / √π

/**
 * erf(x) to a few ulp. |x| < 2.5: the series of positive terms
 * erf(x) = 2/√π e^(−x²) Σ_n 2^n x^(2n+1) / (1·3···(2n+1)) (no cancellation); beyond, 1 − erfc(|x|)
 * with erfc from its continued fraction, evaluated forward (modified Lentz); ±1 past |x| = 6.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (!(ax < 6)) return Number.isNaN(x) ? x : Math.sign(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = ax,
      sum = ax;
    for (let n = 1; n < 100 && term > sum * 1e-17; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
    }
    const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    return x < 0 ? -r : r;
  }
  const r = 1 - erfcFraction(ax);
  return x < 0 ? -r : r;
}

/** erfc(x) for x >= 2.5: e^(−x²)/√π · 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))). */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x,
    c = x,
    d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = 1 / (d === 0 ? tiny : d);
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}

/** The functions generated CPU code may call. */
export const SPECIAL = { erf } as const;
