// Learning-rate schedules: functions of the step count, a 0-d tensor (the `count` an optimizer
// keeps in its state), written with tensor ops so that a jit-ed training step replays for every
// step instead of retracing. Evaluate one at a number with `await s(tensor(k)).item()`.

import { full } from '../creation.js';
import { ArgumentError } from '../errors.js';
import { type TensorLike, cos, exp, maximum, minimum, where } from '../ops.js';
import type { Tensor } from '../tensor.js';

/** A learning rate as a function of the step count (0 at the first update). */
export type Schedule = (step: Tensor) => TensorLike;

function finite(what: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`${what}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

function positive(what: string, name: string, v: unknown): number {
  if (finite(what, name, v) <= 0) throw new ArgumentError(`${what}: ${name} must be > 0, got ${String(v)}`);
  return v as number;
}

/** The same rate at every step. */
export function constant(value: number): Schedule {
  finite('constant', 'value', value);
  return (step) => full([], value, { dtype: step.dtype });
}

/** init · rate^(step / decaySteps): multiplied by `rate` every `decaySteps` steps, continuously. */
export function exponentialDecay(opts: { init: number; rate: number; decaySteps: number }): Schedule {
  const what = 'exponentialDecay';
  const init = finite(what, 'init', opts.init);
  const rate = positive(what, 'rate', opts.rate);
  const perStep = Math.log(rate) / positive(what, 'decaySteps', opts.decaySteps);
  return (step) => exp(step.mul(perStep)).mul(init);
}

/** init · ((1 − alpha) · ½(1 + cos(π · min(step, decaySteps) / decaySteps)) + alpha): from init down to alpha · init. */
export function cosineDecay(opts: { init: number; decaySteps: number; alpha?: number }): Schedule {
  const what = 'cosineDecay';
  const init = finite(what, 'init', opts.init);
  const decaySteps = positive(what, 'decaySteps', opts.decaySteps);
  const alpha = finite(what, 'alpha', opts.alpha ?? 0);
  return (step) =>
    cosineFrom(step, decaySteps)
      .mul(init * (1 - alpha))
      .add(init * alpha);
}

/** ½(1 + cos(π · clamp(step, 0, steps) / steps)): 1 at step 0, 0 from `steps` on. */
function cosineFrom(step: Tensor, steps: number): Tensor {
  const s = minimum(maximum(step, 0), steps);
  return cos(s.mul(Math.PI / steps))
    .add(1)
    .mul(0.5);
}

/**
 * Linear warmup from `init` to `peak` over `warmupSteps`, then cosine decay from `peak` to `end`
 * until step `decaySteps` (which counts the warmup), `end` afterwards.
 */
export function warmupCosine(opts: { init?: number; peak: number; warmupSteps: number; decaySteps: number; end?: number }): Schedule {
  const what = 'warmupCosine';
  const init = finite(what, 'init', opts.init ?? 0);
  const peak = finite(what, 'peak', opts.peak);
  const end = finite(what, 'end', opts.end ?? 0);
  const warmup = positive(what, 'warmupSteps', opts.warmupSteps);
  const decaySteps = finite(what, 'decaySteps', opts.decaySteps);
  if (decaySteps <= warmup) throw new ArgumentError(`${what}: decaySteps (${decaySteps}) must exceed warmupSteps (${warmup}); decaySteps counts the warmup`);
  return (step) => {
    const rising = step.mul((peak - init) / warmup).add(init);
    const falling = cosineFrom(step.sub(warmup), decaySteps - warmup)
      .mul(peak - end)
      .add(end);
    return where(step.less(warmup), rising, falling);
  };
}

/** values[0] before boundaries[0], values[i + 1] from step boundaries[i] on (boundaries increasing). */
export function piecewiseConstant(opts: { boundaries: number[]; values: number[] }): Schedule {
  const what = 'piecewiseConstant';
  const { boundaries, values } = opts;
  if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1) {
    throw new ArgumentError(`${what}: values must have one entry more than boundaries, got ${values?.length} values and ${boundaries?.length} boundaries`);
  }
  boundaries.forEach((b, i) => {
    finite(what, `boundaries[${i}]`, b);
    if (i > 0 && b <= boundaries[i - 1]!) throw new ArgumentError(`${what}: boundaries must increase, got ${boundaries.join(', ')}`);
  });
  values.forEach((v, i) => finite(what, `values[${i}]`, v));
  // values[0] + Σ_i (values[i+1] − values[i]) · [step ≥ boundaries[i]] (a comparison is 1 or 0)
  return (step) =>
    boundaries.reduce((acc, b, i) => acc.add(step.greaterEqual(b).mul(values[i + 1]! - values[i]!)), full([], values[0]!, { dtype: step.dtype }));
}
