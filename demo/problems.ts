// The workbench's problem table: each PDE with its box domain, exact solution, interior residual
// (from ONE `pde` call: the spec names every derivative the equation needs) and boundary residual.
// Pure library code over wgad tensors: the page (main.ts), the trainer (trainer.ts) and the Node
// tests (test/demo/problems.test.ts) all use it.

import { type PdeResult, type PdeSpec, type Tensor, concat, pde, tensor } from '../src/index.js';
import type { OperatorMethod } from '../src/index.js';
import * as kovasznayFlow from '../examples/pde/kovasznay.js';

/** A field u: X [N, D] -> [N, C] (the network, or an exact solution). */
export type Field = (X: Tensor) => Tensor;

/** What the user chose that shapes a problem: the operator method, the dimension and estimator (high-D Poisson only). */
export interface ProblemSetup {
  readonly method: OperatorMethod;
  /** Dimension D of the high-dimensional Poisson problem (ignored by the others). */
  readonly dim: number;
  /** Random directions of the randomized Laplacian (high-D Poisson). */
  readonly samples: number;
  /** Seed of the random directions (the trainer passes the step, so every step draws new ones). */
  readonly seed: number;
}

/** A boundary face of the box: coordinate `coord` fixed at its lower or upper bound. */
export interface Face {
  readonly coord: number;
  readonly side: 'lo' | 'hi';
}

export interface Problem {
  readonly id: ProblemId;
  readonly title: string;
  /** The equation in a line of text (Unicode). */
  readonly equation: string;
  /** Coordinate names (for axis labels): D of them, or a prefix for the high-dimensional problem. */
  readonly coordNames: (D: number) => string[];
  /** Output components C and the one plotted. */
  readonly outputs: number;
  readonly plotted: { readonly component: number; readonly name: string };
  /** [lo, hi] per coordinate. */
  readonly domain: (setup: ProblemSetup) => [number, number][];
  /** The faces where the boundary (or initial) condition holds. */
  readonly faces: (D: number) => Face[];
  /** The two coordinates on the plot's axes [horizontal, vertical]; the others sit at the domain's centre. */
  readonly plotAxes: readonly [number, number];
  /** The exact solution [N, C]. */
  readonly exact: Field;
  /** The spec of the one `pde` call of the residual. */
  readonly spec: (setup: ProblemSetup) => PdeSpec;
  /** Interior residual [N, ·] of a field u at X, scaled to order 1 (zero for the exact solution). */
  readonly residual: (u: Field, X: Tensor, setup: ProblemSetup) => Tensor;
  /** Boundary residual [N, ·] at boundary points Xb (zero for the exact solution). */
  readonly boundary: (u: Field, Xb: Tensor, setup: ProblemSetup) => Tensor;
}

export const PROBLEM_IDS = ['poisson', 'heat', 'allen-cahn', 'kovasznay', 'plate', 'poisson-nd'] as const;
export type ProblemId = (typeof PROBLEM_IDS)[number];

/** Column i of X [N, D] as [N, 1]. */
export const col = (X: Tensor, i: number): Tensor => X.slice([0, i], [null, i + 1]);

/** Each problem's definition, typed by its spec (so `r.lapp` is a compile error), erased to `Problem`. */
interface Definition<S extends PdeSpec> extends Omit<Problem, 'spec' | 'residual'> {
  readonly spec: (setup: ProblemSetup) => S;
  /** The residual from the terms of the one `pde` call. */
  readonly fromTerms: (r: PdeResult<S>, X: Tensor, u: Field, setup: ProblemSetup) => Tensor;
}

function define<const S extends PdeSpec>(d: Definition<S>): Problem {
  const { fromTerms, ...rest } = d;
  return { ...rest, residual: (u, X, setup) => fromTerms(pde(u, d.spec(setup), { method: setup.method })(X), X, u, setup) };
}

/** Dirichlet boundary residual: u − u* on the boundary points. */
const dirichlet =
  (exact: Field) =>
  (u: Field, Xb: Tensor): Tensor =>
    u(Xb).sub(exact(Xb));

const allFaces = (D: number): Face[] =>
  Array.from({ length: D }, (_, coord) => [
    { coord, side: 'lo' as const },
    { coord, side: 'hi' as const },
  ]).flat();
const unitSquare = (): [number, number][] => [
  [0, 1],
  [0, 1],
];
const xy = (): string[] => ['x', 'y'];
const PI = Math.PI;
/** The shared fields of a scalar field u(x, y) on the unit square with conditions on every edge. */
const scalarOnUnitSquare = { coordNames: xy, outputs: 1, domain: unitSquare, faces: allFaces, plotAxes: [0, 1] } as const;

/** sin(a πx) sin(b πy) as [N, 1]. */
const sinSin = (X: Tensor, a: number, b: number): Tensor =>
  col(X, 0)
    .mul(a * PI)
    .sin()
    .mul(
      col(X, 1)
        .mul(b * PI)
        .sin(),
    );

const poissonExact: Field = (X) => sinSin(X, 1, 1);
const poisson = define({
  id: 'poisson',
  title: '2-D Poisson',
  equation: 'Δu = −2π² sin(πx) sin(πy) on [0, 1]², u = 0 on the boundary; u* = sin(πx) sin(πy)',
  ...scalarOnUnitSquare,
  plotted: { component: 0, name: 'u' },
  exact: poissonExact,
  spec: () => ({ lap: { laplacian: 'all' } }) as const,
  // (Δu − f) / (2π²) with f = −2π² u*
  fromTerms: (r, X) => r.lap.div(2 * PI * PI).add(poissonExact(X)),
  boundary: dirichlet(poissonExact),
});

const HEAT_NU = 0.1;
const heatExact: Field = (X) =>
  col(X, 0)
    .mul(-HEAT_NU * PI * PI)
    .exp()
    .mul(col(X, 1).mul(PI).sin());
const heat = define({
  id: 'heat',
  title: '1+1-D heat',
  equation: `u_t = ${HEAT_NU} u_xx on t ∈ [0, 1], x ∈ [0, 1]; u(0, x) = sin(πx), u = 0 at x = 0, 1; u* = e^(−${HEAT_NU}π²t) sin(πx)`,
  coordNames: () => ['t', 'x'],
  outputs: 1,
  plotted: { component: 0, name: 'u' },
  domain: unitSquare,
  faces: () => [
    { coord: 0, side: 'lo' },
    { coord: 1, side: 'lo' },
    { coord: 1, side: 'hi' },
  ],
  plotAxes: [1, 0],
  exact: heatExact,
  spec: () => ({ ut: { partial: [1, 0] }, uxx: { laplacian: [1] } }) as const,
  fromTerms: (r) => r.ut.sub(r.uxx.mul(HEAT_NU)).div(HEAT_NU * PI * PI),
  boundary: dirichlet(heatExact),
});

// Allen–Cahn ε²Δu + u − u³ = 0: a planar front u* = tanh(n·x / (√2 ε)) is an exact solution for any unit n.
const AC_EPS = 0.15;
const AC_NORMAL = [Math.cos(PI / 6), Math.sin(PI / 6)] as const;
const allenCahnExact: Field = (X) =>
  col(X, 0)
    .mul(AC_NORMAL[0])
    .add(col(X, 1).mul(AC_NORMAL[1]))
    .div(Math.SQRT2 * AC_EPS)
    .tanh();
const allenCahn = define({
  id: 'allen-cahn',
  title: 'Allen–Cahn',
  equation: `${AC_EPS}² Δu + u − u³ = 0 on [−1, 1]², u = u* on the boundary; u* = tanh((x cos 30° + y sin 30°) / (√2 · ${AC_EPS})), a planar front`,
  coordNames: xy,
  outputs: 1,
  plotted: { component: 0, name: 'u' },
  domain: () => [
    [-1, 1],
    [-1, 1],
  ],
  faces: allFaces,
  plotAxes: [0, 1],
  exact: allenCahnExact,
  spec: () => ({ u: 'value', lap: { laplacian: 'all' } }) as const,
  fromTerms: (r) =>
    r.lap
      .mul(AC_EPS * AC_EPS)
      .add(r.u)
      .sub(r.u.mul(r.u).mul(r.u)),
  boundary: dirichlet(allenCahnExact),
});

// Kovasznay flow, Re = 20: (u, v, p) solve the steady incompressible Navier–Stokes equations
// exactly; the exact field and the residuals are the example's (examples/pde/kovasznay.ts).
const KOV_RE = Math.round(1 / kovasznayFlow.nu);
const kovasznayExact: Field = kovasznayFlow.exact;
const kovasznay = define({
  id: 'kovasznay',
  title: 'Navier–Stokes (Kovasznay)',
  equation: `(u·∇)u + ∇p = Δu / ${KOV_RE}, ∇·u = 0 on [−0.5, 1] × [−0.5, 1.5]; (u, v, p) = u* on the boundary (Kovasznay flow, Re = ${KOV_RE})`,
  coordNames: xy,
  outputs: 3,
  plotted: { component: 0, name: 'u (x-velocity)' },
  domain: () => [
    [-0.5, 1],
    [-0.5, 1.5],
  ],
  faces: allFaces,
  plotAxes: [0, 1],
  exact: kovasznayExact,
  spec: () => kovasznayFlow.spec,
  fromTerms: kovasznayFlow.residualOf,
  boundary: dirichlet(kovasznayExact),
});

// Kirchhoff plate, simply supported: Δ²w = q / D with w = 0 and Δw = 0 (no moment) on the edges.
const PLATE_SCALE = 25 * PI ** 4; // Δ²w* = (π² + 4π²)² w*
const plateExact: Field = (X) => sinSin(X, 1, 2);
const plate = define({
  id: 'plate',
  title: 'Kirchhoff plate (biharmonic)',
  equation: 'Δ²w = 25π⁴ sin(πx) sin(2πy) on [0, 1]², w = Δw = 0 on the edges (simply supported); w* = sin(πx) sin(2πy)',
  ...scalarOnUnitSquare,
  plotted: { component: 0, name: 'w (deflection)' },
  exact: plateExact,
  spec: () => ({ bih: { biharmonic: 'all' } }) as const,
  fromTerms: (r, X) => r.bih.div(PLATE_SCALE).sub(plateExact(X)),
  // w and Δw / (5π²) on the edges, both zero for w*
  boundary: (u, Xb, setup) => {
    const r = pde(u, { w: 'value', lap: { laplacian: 'all' } }, { method: setup.method })(Xb);
    return concat([r.w, r.lap.div(5 * PI * PI)], 1);
  },
});

// High-dimensional Poisson on [−1, 1]^D with u* = (1/D) Σ sin(π x_i / 2): Δu* = −(π²/4) u*. The
// Laplacian is the randomized (Hutchinson, Rademacher) estimate, new directions every step; u*'s
// Hessian is diagonal, so for u* the estimate is exact.
const ndExact: Field = (X) =>
  X.mul(PI / 2)
    .sin()
    .mean(1, true);
const poissonNd = define({
  id: 'poisson-nd',
  title: 'High-dimensional Poisson (randomized Laplacian)',
  equation: 'Δu = −(π²/4) u* on [−1, 1]^D, u = u* on the boundary; u* = (1/D) Σᵢ sin(π xᵢ / 2); Δ by a Rademacher estimate',
  coordNames: (D) => Array.from({ length: D }, (_, i) => `x${i + 1}`),
  outputs: 1,
  plotted: { component: 0, name: 'u' },
  domain: (s) => Array.from({ length: s.dim }, () => [-1, 1] as [number, number]),
  faces: allFaces,
  plotAxes: [0, 1],
  exact: ndExact,
  spec: (s) => ({ lap: { laplacian: 'all', estimator: { distribution: 'rademacher', samples: s.samples, seed: s.seed } } }) as const,
  fromTerms: (r, X) => r.lap.div((PI * PI) / 4).add(ndExact(X)),
  boundary: dirichlet(ndExact),
});

export const PROBLEMS = {
  poisson,
  heat,
  'allen-cahn': allenCahn,
  kovasznay,
  plate,
  'poisson-nd': poissonNd,
} satisfies Record<ProblemId, Problem>;

/** Dimension D of a problem under a setup. */
export const dimOf = (p: Problem, setup: ProblemSetup): number => p.domain(setup).length;

/** A small seeded generator (mulberry32) for collocation points: the same points on every backend. */
export function uniforms(n: number, seed: number): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

type DType = 'float32' | 'float64';

/** n interior points, uniform in the box. */
export function interiorPoints(p: Problem, setup: ProblemSetup, n: number, seed: number, dtype: DType = 'float32'): Tensor {
  const box = p.domain(setup);
  const D = box.length;
  const r = uniforms(n * D, seed);
  for (let i = 0; i < r.length; i++) {
    const [lo, hi] = box[i % D]!;
    r[i] = lo + (hi - lo) * r[i]!;
  }
  return tensor(r, { shape: [n, D], dtype });
}

/** n boundary points, spread over the problem's faces in turn. */
export function boundaryPoints(p: Problem, setup: ProblemSetup, n: number, seed: number, dtype: DType = 'float32'): Tensor {
  const box = p.domain(setup);
  const D = box.length;
  const faces = p.faces(D);
  const r = uniforms(n * D, seed);
  for (let k = 0; k < n; k++) {
    const face = faces[k % faces.length]!;
    for (let i = 0; i < D; i++) {
      const [lo, hi] = box[i]!;
      r[k * D + i] = i === face.coord ? (face.side === 'lo' ? lo : hi) : lo + (hi - lo) * r[k * D + i]!;
    }
  }
  return tensor(r, { shape: [n, D], dtype });
}

/** An n × n grid over the plot axes (rows: vertical axis upward, then horizontal), other coordinates at the centre. */
export function gridPoints(p: Problem, setup: ProblemSetup, n: number, dtype: DType = 'float32'): Tensor {
  const box = p.domain(setup);
  const D = box.length;
  const [h, v] = p.plotAxes;
  const out = new Float64Array(n * n * D);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const row = (i * n + j) * D;
      for (let c = 0; c < D; c++) out[row + c] = (box[c]![0] + box[c]![1]) / 2;
      out[row + h] = box[h]![0] + ((j + 0.5) / n) * (box[h]![1] - box[h]![0]);
      out[row + v] = box[v]![0] + ((i + 0.5) / n) * (box[v]![1] - box[v]![0]);
    }
  }
  return tensor(out, { shape: [n * n, D], dtype });
}
