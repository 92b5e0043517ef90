// Plain-JS float64 references for bench/workloads.ts, independent of wgad and of PyTorch: the
// value and Laplacian of a tanh MLP pushed through each layer by hand (for a hidden layer
// z = h W + b: J_z = J_h W, L_z = L_h W; for t = tanh(z): J = t' J_z, L = t' L_z + t'' Σ_d J_z²),
// the two losses of the training-step and HVP workloads, and checks of a gradient (directional
// central difference) and of a Hessian-vector product (polarization of second differences).

import { type MlpData, paramArrays } from './mlp.js';

/** Parameter leaves in paramLeaves order (W0, b0, ..., wOut, bOut), each a flat Float64Array. */
export type Leaves = Float64Array[];

/** The parameters `m` was drawn with, as Leaves. */
export function leavesOf(m: MlpData): Leaves {
  return paramArrays(m).map((a) => a.data);
}

/** Value u [N] and Laplacian Δu [N] of the MLP `m` with parameters `p` (paramLeaves order). */
export function forwardLaplacian(m: MlpData, p: Leaves): { u: Float64Array; lap: Float64Array } {
  const { D, N } = m;
  const u = new Float64Array(N);
  const lap = new Float64Array(N);
  const L = m.layers.length;
  for (let n = 0; n < N; n++) {
    let width = D;
    let h = m.X.slice(n * D, (n + 1) * D);
    let J = new Float64Array(D * D); // J[d * width + i] = ∂h_i/∂x_d
    for (let d = 0; d < D; d++) J[d * D + d] = 1;
    let lh = new Float64Array(D);
    for (let k = 0; k < L; k++) {
      const W = p[2 * k]!;
      const b = p[2 * k + 1]!;
      const out = m.layers[k]!.outputs;
      const h2 = new Float64Array(out);
      const J2 = new Float64Array(D * out);
      const l2 = new Float64Array(out);
      for (let o = 0; o < out; o++) {
        let z = b[o]!;
        let lz = 0;
        for (let i = 0; i < width; i++) {
          z += h[i]! * W[i * out + o]!;
          lz += lh[i]! * W[i * out + o]!;
        }
        const t = Math.tanh(z);
        const t1 = 1 - t * t;
        const t2 = -2 * t * t1;
        let sq = 0;
        for (let d = 0; d < D; d++) {
          let jz = 0;
          for (let i = 0; i < width; i++) jz += J[d * width + i]! * W[i * out + o]!;
          J2[d * out + o] = t1 * jz;
          sq += jz * jz;
        }
        h2[o] = t;
        l2[o] = t1 * lz + t2 * sq;
      }
      h = h2;
      J = J2;
      lh = l2;
      width = out;
    }
    const wOut = p[2 * L]!;
    let un = p[2 * L + 1]![0]!;
    let ln = 0;
    for (let i = 0; i < width; i++) {
      un += h[i]! * wOut[i]!;
      ln += lh[i]! * wOut[i]!;
    }
    u[n] = un;
    lap[n] = ln;
  }
  return { u, lap };
}

/** mean((a − target)²). */
function meanSquaredError(a: Float64Array, target: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - target[i]!) ** 2;
  return s / a.length;
}

/** The training-step loss mean((Δu − g)²). */
export function trainLoss(m: MlpData, p: Leaves, g: Float64Array): number {
  return meanSquaredError(forwardLaplacian(m, p).lap, g);
}

/** The HVP workload's loss mean((u − y)²). */
export function mseLoss(m: MlpData, p: Leaves, y: Float64Array): number {
  return meanSquaredError(forwardLaplacian(m, p).u, y);
}

/** p + s·v, leaf by leaf. */
export function axpy(p: Leaves, s: number, v: Leaves): Leaves {
  return p.map((a, i) => a.map((x, j) => x + s * v[i]![j]!));
}

/** ⟨a, b⟩ over all leaves. */
export function dot(a: Leaves, b: Leaves): number {
  let s = 0;
  a.forEach((x, i) => {
    for (let j = 0; j < x.length; j++) s += x[j]! * b[i]![j]!;
  });
  return s;
}

/** max |a − ref| / max |ref| over every leaf (0 when both are zero). */
export function relativeError(a: Leaves, ref: Leaves): number {
  let err = 0;
  let scale = 0;
  ref.forEach((r, i) => {
    for (let j = 0; j < r.length; j++) {
      err = Math.max(err, Math.abs(a[i]![j]! - r[j]!));
      scale = Math.max(scale, Math.abs(r[j]!));
    }
  });
  return scale === 0 ? err : err / scale;
}

/** |a − b| / max(|a|, |b|). */
function scalarRelativeError(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);
}

/** Checks ⟨grad, v⟩ against the central difference (loss(p + εv) − loss(p − εv)) / 2ε; returns the relative error. */
export function directionalCheck(loss: (p: Leaves) => number, p: Leaves, grad: Leaves, v: Leaves, eps = 1e-5): number {
  const fd = (loss(axpy(p, eps, v)) - loss(axpy(p, -eps, v))) / (2 * eps);
  return scalarRelativeError(dot(grad, v), fd);
}

/**
 * Checks ⟨u, H v⟩ against the polarization (Q(u + v) − Q(u − v)) / 4 of second differences
 * Q(w) = (loss(p + εw) − 2 loss(p) + loss(p − εw)) / ε² ≈ wᵀ H w; returns the relative error.
 */
export function hvpCheck(loss: (p: Leaves) => number, p: Leaves, hv: Leaves, u: Leaves, v: Leaves, eps = 1e-4): number {
  const l0 = loss(p);
  const q = (w: Leaves): number => (loss(axpy(p, eps, w)) - 2 * l0 + loss(axpy(p, -eps, w))) / (eps * eps);
  const upv = axpy(u, 1, v);
  const umv = axpy(u, -1, v);
  return scalarRelativeError(dot(u, hv), (q(upv) - q(umv)) / 4);
}
