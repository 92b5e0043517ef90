// Independent float64 references for the optimizer tests, in plain JavaScript (they never call
// wgad): a one-layer tanh network's loss and gradient, the update rules of SGD (momentum,
// Nesterov), Adam and AdamW written from the papers' formulas, and the learning-rate schedules.

/** The network: pred = tanh(X W + b), loss = mean((pred − Y)²); X [n, d], W [d, o], b [o], Y [n, o]. */
export interface Problem {
  n: number;
  d: number;
  o: number;
  X: number[];
  Y: number[];
}

/** θ = [W row-major, b]: loss and gradient. */
export function lossAndGrad(pr: Problem, theta: readonly number[]): [number, number[]] {
  const { n, d, o, X, Y } = pr;
  const g = new Array<number>(theta.length).fill(0);
  let loss = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < o; j++) {
      let z = theta[d * o + j]!;
      for (let k = 0; k < d; k++) z += X[r * d + k]! * theta[k * o + j]!;
      const pred = Math.tanh(z);
      const e = pred - Y[r * o + j]!;
      loss += (e * e) / (n * o);
      const dz = ((2 * e) / (n * o)) * (1 - pred * pred);
      for (let k = 0; k < d; k++) g[k * o + j]! += X[r * d + k]! * dz;
      g[d * o + j]! += dz;
    }
  }
  return [loss, g];
}

/** One optimizer: the step at index k (0-based) changes θ in place given the gradient. */
export interface RefOptimizer {
  step(theta: number[], g: readonly number[], k: number): void;
}

export function refSgd(lr: (k: number) => number, momentum = 0, nesterov = false): RefOptimizer {
  let trace: number[] | null = null;
  return {
    step(theta, g, k) {
      trace ??= g.map(() => 0);
      for (let i = 0; i < theta.length; i++) {
        let dir = g[i]!;
        if (momentum > 0) {
          trace[i] = g[i]! + momentum * trace[i]!;
          dir = nesterov ? g[i]! + momentum * trace[i]! : trace[i]!;
        }
        theta[i] = theta[i]! - lr(k) * dir;
      }
    },
  };
}

/** Adam (Kingma & Ba, Algorithm 1) with AdamW's decoupled decay when weightDecay > 0. */
export function refAdam(lr: (k: number) => number, b1 = 0.9, b2 = 0.999, eps = 1e-8, weightDecay = 0): RefOptimizer {
  let m: number[] | null = null;
  let v: number[] | null = null;
  return {
    step(theta, g, k) {
      m ??= g.map(() => 0);
      v ??= g.map(() => 0);
      const t = k + 1;
      for (let i = 0; i < theta.length; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
        const mHat = m[i]! / (1 - b1 ** t);
        const vHat = v[i]! / (1 - b2 ** t);
        theta[i] = theta[i]! - lr(k) * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * theta[i]!);
      }
    },
  };
}

export const refSchedules = {
  exponential: (init: number, rate: number, decaySteps: number) => (k: number) => init * rate ** (k / decaySteps),
  cosine: (init: number, decaySteps: number, alpha: number) => (k: number) =>
    init * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(k, decaySteps)) / decaySteps)) + alpha),
  warmupCosine: (init: number, peak: number, warmup: number, decaySteps: number, end: number) => (k: number) => {
    if (k < warmup) return init + ((peak - init) * k) / warmup;
    const T = decaySteps - warmup;
    return end + (peak - end) * 0.5 * (1 + Math.cos((Math.PI * Math.min(k - warmup, T)) / T));
  },
  piecewise: (boundaries: number[], values: number[]) => (k: number) => {
    let i = 0;
    while (i < boundaries.length && k >= boundaries[i]!) i++;
    return values[i]!;
  },
};
