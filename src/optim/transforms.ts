// Optimizers as pure gradient transformations over pytrees, in the style of optax:
// `init(params) -> state`, `update(grads, state, params) -> [updates, newState]`, and
// `applyUpdates(params, updates)` = params + updates. The step count and the learning rate are
// 0-d tensors in the state, so a jit-ed training step takes them as arguments and replays for
// every step (a schedule is a tensor function of the count). Nothing here reads a value back.

import { flatten } from '../ad/pytree.js';
import { full, zerosLike } from '../creation.js';
import type { DType } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { Tensor } from '../tensor.js';
import type { Schedule } from './schedules.js';
import { type Flat, checkScalar, leavesLike, rebuild, scalarDType } from './tree.js';

/** A learning rate: a number, a 0-d tensor, or a schedule of the step count. */
export type LearningRate = number | Tensor | Schedule;

/** What every optimizer state holds: the number of updates made and the learning rate, as 0-d tensors. */
export interface ScalarState {
  /** Updates made so far (0 after init). */
  count: Tensor;
  /**
   * With a number or tensor learning rate, the rate the next update uses: assign a new 0-d tensor
   * to change it (a jit-ed step does not retrace). With a schedule, the rate the last update used.
   */
  lr: Tensor;
}

export interface SgdState<P> extends ScalarState {
  /** The momentum buffer (present when momentum > 0). */
  trace?: P;
}

export interface AdamState<P> extends ScalarState {
  /** First and second moment estimates (biased). */
  mu: P;
  nu: P;
}

/** The state of each optimizer family for parameters of type `P`. */
export interface OptimizerStates<P> {
  sgd: SgdState<P>;
  adam: AdamState<P>;
}

export type StateKind = keyof OptimizerStates<unknown>;

/** A pure optimizer: `P` (the parameters' pytree type) flows from `init` through `update`. */
export interface GradientTransformation<K extends StateKind = StateKind> {
  readonly name: string;
  init<P>(params: P): OptimizerStates<P>[K];
  /** `params` is needed by weight decay (adamw) only. */
  update<P>(grads: P, state: OptimizerStates<P>[K], params?: P): [updates: P, state: OptimizerStates<P>[K]];
}

/** The per-leaf rule of an optimizer, made once per dtype from its scalars (lr, t = count + 1). */
type LeafRule = (scalars: { lr: Tensor; t: Tensor }) => (g: Tensor, moments: Tensor[], p: Tensor | undefined) => { update: Tensor; moments: Tensor[] };

function checkRate(what: string, lr: unknown): LearningRate {
  if (typeof lr === 'number' && Number.isFinite(lr)) return lr;
  if (typeof lr === 'function') return lr as Schedule;
  if (lr instanceof Tensor) return checkScalar(what, 'lr', lr);
  throw new ArgumentError(`${what}: lr must be a finite number, a 0-d Tensor or a schedule (step) => rate, got ${String(lr)}`);
}

function checkNumber(what: string, name: string, v: unknown, lo: number, hi: number, hiOpen = false): number {
  if (typeof v !== 'number' || !(v >= lo) || (hiOpen ? !(v < hi) : !(v <= hi))) {
    throw new ArgumentError(`${what}: ${name} must be a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${String(v)}`);
  }
  return v;
}

const inDType = (t: Tensor, dtype: DType): Tensor => (t.dtype === dtype ? t : t.astype(dtype));

/** The learning rate of the update at `count`: the schedule's value, else the state's (or the given) rate. */
function rateAt(what: string, lr: LearningRate, count: Tensor, stateLr: Tensor | undefined): Tensor {
  if (typeof lr === 'function') {
    const v = lr(count);
    return typeof v === 'number' ? full([], v, { dtype: count.dtype }) : inDType(checkScalar(what, "the schedule's value", v), count.dtype);
  }
  if (stateLr) return stateLr;
  return typeof lr === 'number' ? full([], lr, { dtype: count.dtype }) : inDType(lr, count.dtype);
}

/** A transformation keeping the state trees `moments` (zeros at init) and updating leaf by leaf with `rule`. */
function leafwise<K extends StateKind>(
  name: string,
  lr: LearningRate,
  moments: readonly string[],
  needsParams: boolean,
  rule: LeafRule,
): GradientTransformation<K> {
  const init = (params: unknown): Record<string, unknown> => {
    const ref = flatten(params, `${name}.init: params`);
    const count = full([], 0, { dtype: scalarDType(ref) });
    const state: Record<string, unknown> = { count, lr: rateAt(name, lr, count, undefined) };
    for (const m of moments) state[m] = rebuild(ref, ref.leaves.map(zerosLike));
    return state;
  };
  const update = (grads: unknown, state: Record<string, unknown>, params?: unknown): [unknown, Record<string, unknown>] => {
    const ref: Flat = flatten(grads, `${name}: grads`);
    if (typeof state !== 'object' || state === null) throw new ArgumentError(`${name}: state must be the object init() returned, got ${String(state)}`);
    const count = checkScalar(name, 'state.count', state.count);
    const rate = rateAt(name, lr, count, checkScalar(name, 'state.lr', state.lr));
    const t = count.add(1);
    const momentLeaves = moments.map((m) => leavesLike(name, `state.${m}`, state[m], ref, 'grads'));
    let paramLeaves: Tensor[] | undefined;
    if (needsParams) {
      if (params === undefined) throw new ArgumentError(`${name}: update(grads, state, params) needs params (for the weight decay)`);
      paramLeaves = leavesLike(name, 'params', params, ref, 'grads');
    }
    const rules = new Map<DType, ReturnType<LeafRule>>();
    const ruleFor = (dtype: DType): ReturnType<LeafRule> => {
      let r = rules.get(dtype);
      if (!r) rules.set(dtype, (r = rule({ lr: inDType(rate, dtype), t: inDType(t, dtype) })));
      return r;
    };
    const outs = ref.leaves.map((g, i) =>
      ruleFor(g.dtype)(
        g,
        momentLeaves.map((l) => l[i]!),
        paramLeaves?.[i],
      ),
    );
    const next: Record<string, unknown> = { count: t, lr: rate };
    moments.forEach(
      (m, j) =>
        (next[m] = rebuild(
          ref,
          outs.map((o) => o.moments[j]!),
        )),
    );
    return [
      rebuild(
        ref,
        outs.map((o) => o.update),
      ),
      next,
    ];
  };
  return { name, init, update } as unknown as GradientTransformation<K>;
}

export interface SgdOptions {
  lr: LearningRate;
  /** Heavy-ball momentum (default 0: plain gradient descent). */
  momentum?: number;
  /** Nesterov's accelerated gradient (needs momentum > 0). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent: update = −lr · g; with momentum m, trace ← g + m · trace and
 * update = −lr · trace (Nesterov: −lr · (g + m · trace)). The trace starts at zero.
 */
export function sgd(opts: SgdOptions): GradientTransformation<'sgd'> {
  const lr = checkRate('sgd', opts?.lr);
  const m = checkNumber('sgd', 'momentum', opts.momentum ?? 0, 0, 1);
  const nesterov = opts.nesterov ?? false;
  if (nesterov && m === 0) throw new ArgumentError('sgd: nesterov needs momentum > 0');
  if (m === 0)
    return leafwise('sgd', lr, [], false, ({ lr }) => (g) => ({ update: g.mul(lr).neg(), moments: [] }));
  return leafwise('sgd', lr, ['trace'], false, ({ lr }) => (g, [trace]) => {
    const next = g.add(trace!.mul(m));
    const step = nesterov ? g.add(next.mul(m)) : next;
    return { update: step.mul(lr).neg(), moments: [next] };
  });
}

export interface AdamOptions {
  lr: LearningRate;
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the second moment (default 0.999). */
  b2?: number;
  /** Added to the root of the second moment (default 1e-8). */
  eps?: number;
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay: lr · weightDecay · params is subtracted (default 1e-4). */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba 2015, Algorithm 1): mu ← b1 mu + (1 − b1) g, nu ← b2 nu + (1 − b2) g²,
 * update = −lr · (mu / (1 − b1ᵗ)) / (√(nu / (1 − b2ᵗ)) + eps) at step t = count + 1.
 */
export function adam(opts: AdamOptions): GradientTransformation<'adam'> {
  return adamFamily('adam', opts, 0);
}

/**
 * AdamW (Loshchilov & Hutter 2019): Adam's step plus the decay decoupled from the moments,
 * update = −lr · (adam direction + weightDecay · params). update() needs the params.
 */
export function adamw(opts: AdamWOptions): GradientTransformation<'adam'> {
  return adamFamily('adamw', opts, checkNumber('adamw', 'weightDecay', opts?.weightDecay ?? 1e-4, 0, Number.MAX_VALUE));
}

function adamFamily(name: string, opts: AdamOptions, weightDecay: number): GradientTransformation<'adam'> {
  const lr = checkRate(name, opts?.lr);
  const b1 = checkNumber(name, 'b1', opts.b1 ?? 0.9, 0, 1, true);
  const b2 = checkNumber(name, 'b2', opts.b2 ?? 0.999, 0, 1, true);
  const eps = checkNumber(name, 'eps', opts.eps ?? 1e-8, 0, Number.MAX_VALUE);
  return leafwise(name, lr, ['mu', 'nu'], weightDecay !== 0, ({ lr, t }) => {
    // bᵗ = exp(t · ln b) keeps t a tensor (pow takes a number exponent); b = 0 gives exp(−∞) = 0
    const correction1 = t.mul(Math.log(b1)).exp().neg().add(1);
    const correction2 = t.mul(Math.log(b2)).exp().neg().add(1);
    return (g, [mu, nu], p) => {
      const mu1 = mu!.mul(b1).add(g.mul(1 - b1));
      const nu1 = nu!.mul(b2).add(g.square().mul(1 - b2));
      let direction = mu1.div(correction1).div(nu1.div(correction2).sqrt().add(eps));
      if (p) direction = direction.add(p.mul(weightDecay));
      return { update: direction.mul(lr).neg(), moments: [mu1, nu1] };
    };
  });
}

/** params + updates, leaf by leaf (the trees must match). */
export function applyUpdates<P>(params: P, updates: P): P {
  const ref = flatten(params, 'applyUpdates: params');
  const u = leavesLike('applyUpdates', 'updates', updates, ref, 'params');
  return rebuild(
    ref,
    ref.leaves.map((p, i) => p.add(u[i]!)),
  );
}
