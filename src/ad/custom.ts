// User-defined derivative rules: customJvp (a JVP rule; reverse mode transposes it) and
// customVjp (a VJP rule; forward mode is refused with a TransformError). Each call of the wrapped
// function builds one `custom` node whose value is f's result and whose rules are the user's.

import { TransformError } from '../errors.js';
import { customNode } from '../ir/build.js';
import type { CustomRules } from '../ir/primitives.js';
import { Tensor } from '../tensor.js';
import { type TreeDef, flatten, unflatten } from './pytree.js';
import { type Maybe, checkFn, checkLike, describe, flattenLike, zerosOf } from './trace.js';
import type { Zeroable } from './types.js';

/**
 * A JVP rule: `(primals, tangents, out) => tangentOut`. `primals` are the arguments as passed
 * (trees of tensors), `tangents` has the same structure (a known-zero tangent is given as a lazy
 * zero tensor, but the rule is not called at all when every tangent is zero), `out` is the
 * function's value. The result must have out's shape and dtype and be linear in `tangents`.
 */
export type JvpRuleFn<Args extends readonly unknown[] = any[]> = (primals: Args, tangents: Args, out: Tensor) => Tensor;

/**
 * A VJP rule: `(residuals, cotangent) => cotangents`, one entry per argument with that argument's
 * structure (null, or a null leaf, for zero). `residuals` is what `fwd` returned second, or
 * `{ args, out }` (the arguments and the value) when there is no `fwd`.
 */
export type BwdFn<Res = any, Args extends readonly unknown[] = any[]> = (residuals: Res, cotangent: Tensor) => Cotangents<Args>;

/** What a VJP rule returns: per argument, a tree of its structure (null leaves are zeros) or null. */
export type Cotangents<Args extends readonly unknown[]> = { -readonly [K in keyof Args]: Zeroable<Args[K]> | null | undefined };

/** `(...args) => [out, residuals]`: what the backward rule needs, computed under differentiation. */
export type FwdFn<Args extends readonly unknown[] = any[], Res = unknown> = (...args: Args) => [Tensor, Res];

interface Prepared {
  name: string;
  defs: TreeDef[];
  leaves: Tensor[];
  counts: number[];
}

function prepare(what: string, f: (...args: any[]) => unknown, args: unknown[]): Prepared {
  const flats = args.map((a, i) => flatten(a, `${what} (argument ${i})`));
  return {
    name: f.name || what,
    defs: flats.map((x) => x.def),
    leaves: flats.flatMap((x) => x.leaves),
    counts: flats.map((x) => x.leaves.length),
  };
}

function splitArgs<T>(p: Prepared, vals: readonly T[]): unknown[] {
  let k = 0;
  return p.defs.map((d, i) => {
    const t = unflatten<T>(d, vals.slice(k, k + p.counts[i]!));
    k += p.counts[i]!;
    return t;
  });
}

function checkOut(what: string, name: string, out: unknown): Tensor {
  if (!(out instanceof Tensor)) throw new TransformError(`${what} '${name}': the function must return one Tensor, got ${describe(out)}`);
  return out;
}

/**
 * `customJvp(f, rule)`: a function computing `f(...args)` whose forward-mode derivative is
 * `rule(args, tangents, out)` instead of the derivative of f's graph. Reverse mode (grad, vjp)
 * transposes the rule, so the rule alone defines every derivative; nesting works because the
 * rule is built from ordinary tensor ops (themselves differentiable). Arguments are tensors or
 * trees of tensors; f returns one Tensor. Derivatives flow through the arguments only: tensors f
 * closes over are treated as constants.
 */
export function customJvp<F extends (...args: any[]) => Tensor>(f: F, rule: JvpRuleFn<Parameters<F>>): F;
export function customJvp<F extends (...args: any[]) => Tensor>(f: F, rule: JvpRuleFn): F {
  checkFn('customJvp', f);
  checkFn('customJvp (rule)', rule);
  const wrapped = (...args: unknown[]): Tensor => {
    const p = prepare('customJvp', f, args);
    const out = checkOut('customJvp', p.name, f(...args));
    const rules: CustomRules = {
      name: p.name,
      jvp: (primals, tangents, outT) => {
        const ps = primals as Tensor[];
        const ts = tangents as Maybe[];
        if (ts.every((t) => t === null)) return null;
        const full = ts.map((t, i) => t ?? zerosOf(ps[i]!.shape, ps[i]!.dtype));
        const r = rule(splitArgs(p, ps), splitArgs(p, full), outT as Tensor);
        const res = checkOut(`customJvp rule`, p.name, r);
        checkLike(`customJvp '${p.name}'`, 'tangent', 'returned by the rule', res, out, 'output');
        return res;
      },
    };
    return new Tensor(
      customNode(
        p.leaves.map((t) => t.node),
        out.node,
        rules,
      ),
    );
  };
  return wrapped as F;
}

/**
 * `customVjp(f, bwd)` or `customVjp(f, fwd, bwd)`: a function computing `f(...args)` whose
 * reverse-mode derivative is given by `bwd(residuals, cotangent)`. `fwd(...args)` returns
 * `[out, residuals]` and is called (on the arguments) only when a VJP is taken; without it the
 * residuals are `{ args, out }`. In the lazy graph residuals cost nothing extra; `fwd` exists to
 * share intermediate values between the output and the rule. A forward-mode walk (jvp, jacfwd,
 * hvp 'rev-fwd', ...) that reaches the node throws a TransformError (forward over reverse — hessian,
 * hvp 'fwd-rev' — works when bwd's graph does not read the node's output). Arguments are tensors
 * or trees of tensors; f returns one Tensor.
 */
export function customVjp<F extends (...args: any[]) => Tensor>(f: F, bwd: BwdFn<{ args: Parameters<F>; out: Tensor }, Parameters<F>>): F;
export function customVjp<F extends (...args: any[]) => Tensor, Res>(f: F, fwd: FwdFn<Parameters<F>, Res>, bwd: BwdFn<Res, Parameters<F>>): F;
export function customVjp<F extends (...args: any[]) => Tensor>(f: F, fwdOrBwd: FwdFn | BwdFn, maybeBwd?: BwdFn): F {
  checkFn('customVjp', f);
  checkFn('customVjp (bwd)', maybeBwd ?? fwdOrBwd);
  const fwd = maybeBwd ? (fwdOrBwd as FwdFn) : null;
  const bwd = maybeBwd ?? (fwdOrBwd as BwdFn);
  const wrapped = (...args: unknown[]): Tensor => {
    const p = prepare('customVjp', f, args);
    const out = checkOut('customVjp', p.name, f(...args));
    const what = `customVjp '${p.name}'`;
    const rules: CustomRules = {
      name: p.name,
      vjp: (primals, outT, cotangent) => {
        const ps = primals as Tensor[];
        const pargs = splitArgs(p, ps);
        let residuals: unknown;
        if (fwd) {
          const r = fwd(...pargs);
          if (!Array.isArray(r) || r.length !== 2) throw new TransformError(`${what}: fwd must return [out, residuals], got ${describe(r)}`);
          residuals = r[1];
        } else {
          residuals = { args: pargs, out: outT };
        }
        const cts = bwd(residuals, cotangent as Tensor);
        if (!Array.isArray(cts) || cts.length !== p.defs.length) {
          throw new TransformError(`${what}: bwd must return an array of ${p.defs.length} cotangent(s), one per argument, got ${describe(cts)}`);
        }
        const leaves: Maybe[] = [];
        cts.forEach((c, i) => {
          if (c === null || c === undefined) {
            for (let k = 0; k < p.counts[i]!; k++) leaves.push(null);
            return;
          }
          const fl = flattenLike(what, `bwd result [${i}]`, c, p.defs[i]!);
          fl.leaves.forEach((l, k) => {
            const like = ps[leaves.length]!;
            if (l) checkLike(what, 'cotangent', fl.paths[k]!, l, like, 'argument');
            leaves.push(l);
          });
        });
        return leaves;
      },
    };
    return new Tensor(
      customNode(
        p.leaves.map((t) => t.node),
        out.node,
        rules,
      ),
    );
  };
  return wrapped as F;
}

/**
 * A Taylor rule: `(primals, series, out, K) => [Z_1, ..., Z_K]`, the output's derivative
 * coefficients (JAX's jet convention) from each primal's coefficients `series[i] = [X_1..X_K]`
 * (null: all zero). Coefficient k of a primal of shape S has shape [L, ...S'] with L directions on
 * the leading axis and S'[j] = S[j] or 1 (src/rules/taylor-coef.ts); a returned coefficient must
 * broadcast to [L, ...out.shape] (null: zero). The rule is built from ordinary tensor ops.
 */
export type JetRuleFn = (primals: Tensor[], series: (Tensor[] | null)[], out: Tensor, K: number) => (Tensor | null)[];

/**
 * `customJet(f, rule)`: a function computing `f(...args)` (tensor arguments, one Tensor out)
 * whose Taylor expansion to any order is `rule` instead of the expansion of f's graph (folx's
 * `register_function`; JAX's jet ignores custom rules). Every mode follows from the rule: jet,
 * collapsed Taylor mode and the operators built on them (laplacian, pde) call it; the JVP is its
 * order-1 coefficient, and reverse mode transposes that, so grad through an operator works.
 */
export function customJet<F extends (...args: Tensor[]) => Tensor>(f: F, rule: JetRuleFn): F {
  checkFn('customJet', f);
  checkFn('customJet (rule)', rule);
  const wrapped = (...args: Tensor[]): Tensor => {
    const name = f.name || 'customJet';
    args.forEach((a, i) => {
      if (!(a instanceof Tensor)) throw new TransformError(`customJet '${name}': argument ${i} must be a Tensor, got ${describe(a)}`);
    });
    const out = checkOut('customJet', name, f(...args));
    const jet = (primals: unknown[], series: (readonly unknown[] | null)[], outT: unknown, K: number): (Tensor | null)[] => {
      const zs = rule(primals as Tensor[], series as (Tensor[] | null)[], outT as Tensor, K);
      if (!Array.isArray(zs) || zs.length !== K) {
        throw new TransformError(`customJet '${name}': the rule must return K = ${K} coefficients (null for zero), got ${describe(zs)}`);
      }
      const o = outT as Tensor;
      return zs.map((z, k) => {
        if (z === null || z === undefined) return null;
        if (!(z instanceof Tensor)) throw new TransformError(`customJet '${name}': coefficient ${k + 1} must be a Tensor or null, got ${describe(z)}`);
        const ok = z.ndim === o.ndim + 1 && z.shape.slice(1).every((d, j) => d === 1 || d === o.shape[j]) && z.dtype === o.dtype;
        if (!ok) {
          throw new TransformError(
            `customJet '${name}': coefficient ${k + 1} must broadcast to [L, ${o.shape.join(', ')}] (${o.dtype}), got [${z.shape.join(', ')}] (${z.dtype})`,
          );
        }
        return z;
      });
    };
    const rules: CustomRules = {
      name,
      jvp: (primals, tangents, outT) => {
        const ts = tangents as Maybe[];
        if (ts.every((t) => t === null)) return null;
        const o = outT as Tensor;
        const z = jet(
          primals,
          ts.map((t) => (t ? [t.reshape([1, ...t.shape])] : null)),
          o,
          1,
        )[0];
        return z ? z.broadcastTo([1, ...o.shape]).reshape(o.shape) : null;
      },
      jet,
    };
    return new Tensor(
      customNode(
        args.map((t) => t.node),
        out.node,
        rules,
      ),
    );
  };
  return wrapped as F;
}
