// vmap of every primitive case (test/ad/primCases.ts) against a loop over the batch, one example at
// a time: the batch at axis 0 and at axis 1 of the arguments, shared (inAxes null) arguments, the
// batch at the last axis of the output; and the derivatives of the batched function (jvp and vjp
// of vmap, vmap of jvp and vjp) against the loop of per-example derivatives (batched custom rules
// included), on every backend case.

import { expect, it } from 'vitest';
import { type Tensor, jvp, vjp, vmap } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { loopStack, stackHost, stackedTensor, values } from '../helpers/batch.js';
import { expectClose, randomData } from '../helpers/finiteDiff.js';
import { PRIM_CASES, type PrimCase, inputsOf } from './primCases.js';

const SIZE = 3;

/** SIZE examples of the case's arguments: examples[b][k]. */
function examplesOf(c: PrimCase, dtype: Tensor['dtype'], seed: number): Tensor[][] {
  return Array.from({ length: SIZE }, (_, b) => inputsOf(c, dtype, seed + 101 * b));
}

/** Argument k of every example, stacked along `axis`. */
async function stackArg(exs: Tensor[][], k: number, axis: number): Promise<Tensor> {
  const parts = await Promise.all(exs.map((e) => values(e[k]!)));
  return stackedTensor(parts, exs[0]![k]!.shape, axis, exs[0]![k]!.dtype);
}

describeBackends('vmap of every primitive agrees with a loop over the batch', (bc) => {
  for (const c of PRIM_CASES) {
    // float64 is refused on WebGPU: no cast between two dtypes there
    if (c.twoDTypes && bc.backend === 'webgpu') continue;
    it(`${c.name}: inAxes 0, 1 and null, outAxes 0 and -1`, async () => {
      const exs = examplesOf(c, bc.dtype, 31);
      const ref = await loopStack(SIZE, (b) => c.f(...exs[b]!));
      const perShape = ref.shape.slice(1);
      const close = async (t: Tensor, want: { data: ArrayLike<number>; shape: number[] }, what: string) => {
        expect(t.shape, what).toEqual(want.shape);
        expectClose(await values(t), want.data, bc.rtol, bc.atol, `${c.name} ${what}`);
      };
      const X0 = await Promise.all(c.shapes.map((_, k) => stackArg(exs, k, 0)));
      await close(vmap(c.f)(...X0), ref, 'inAxes 0');
      const X1 = await Promise.all(c.shapes.map((s, k) => stackArg(exs, k, Math.min(1, s.length))));
      await close(vmap(c.f, { inAxes: c.shapes.map((s) => Math.min(1, s.length)) })(...X1), ref, 'inAxes 1');
      const perOut = await Promise.all(exs.map((e) => values(c.f(...e))));
      await close(vmap(c.f, { outAxes: -1 })(...X0), stackHost(perOut, perShape, perShape.length), 'outAxes -1');
      if (perShape.length > 0) await close(vmap(c.f, { outAxes: 1 })(...X0), stackHost(perOut, perShape, 1), 'outAxes 1');
      // each argument in turn shared by every example (example 0's value)
      for (let k = 0; k < c.shapes.length && c.shapes.length > 1; k++) {
        const shared = (e: Tensor[]) => e.map((x, j) => (j === k ? exs[0]![k]! : x));
        const want = await loopStack(SIZE, (b) => c.f(...shared(exs[b]!)));
        const args = X0.map((x, j) => (j === k ? exs[0]![k]! : x));
        await close(vmap(c.f, { inAxes: c.shapes.map((_, j) => (j === k ? null : 0)) })(...args), want, `inAxes null for argument ${k}`);
      }
    });

    it(`${c.name}: derivatives of the batched function and batched derivatives`, async () => {
      const exs = examplesOf(c, bc.dtype, 41);
      const X = await Promise.all(c.shapes.map((_, k) => stackArg(exs, k, 0)));
      const outShape = c.f(...exs[0]!).shape;
      const n = outShape.reduce((a, b) => a * b, 1);
      const dir = c.domain === 'dyadic' ? 'dyadic' : 'any';
      // per-example cotangents and tangents, and their stacks
      const us = exs.map((_, b) => randomData(n, 700 + b, dir));
      const U = stackedTensor(us, outShape, 0, bc.dtype);
      const uOf = (b: number) => stackedTensor([us[b]!], outShape, 0, bc.dtype).reshape(outShape);
      const vs = exs.map((e, b) => e.map((x, k) => randomData(x.size, 800 + 10 * b + k, dir)));
      const V = c.shapes.map((s, k) =>
        stackedTensor(
          vs.map((v) => v[k]!),
          s,
          0,
          bc.dtype,
        ),
      );
      const vOf = (b: number, k: number) => stackedTensor([vs[b]![k]!], c.shapes[k]!, 0, bc.dtype).reshape(c.shapes[k]!);
      const fv = vmap(c.f);
      for (let k = 0; k < c.shapes.length; k++) {
        const want = await loopStack(SIZE, (b) => vjp(c.f, ...exs[b]!)[1](uOf(b))[k]!);
        expectClose(await values(vjp(fv, ...X)[1](U)[k]!), want.data, bc.rtol, bc.atol, `${c.name} vjp(vmap(f))[${k}]`);
        const batched = vmap((u: Tensor, ...xs: Tensor[]) => vjp(c.f, ...xs)[1](u)[k]!)(U, ...X);
        expectClose(await values(batched), want.data, bc.rtol, bc.atol, `${c.name} vmap(vjp(f))[${k}]`);
      }
      // a shared argument's cotangent is the sum over the batch of the per-example cotangents
      for (let k = 0; k < c.shapes.length && c.shapes.length > 1; k++) {
        const shared = (e: Tensor[]) => e.map((x, j) => (j === k ? exs[0]![k]! : x));
        const parts = await Promise.all(exs.map((e, b) => values(vjp(c.f, ...shared(e))[1](uOf(b))[k]!)));
        const want = parts[0]!.map((_, i) => parts.reduce((s, p) => s + p[i]!, 0));
        const fs = vmap(c.f, { inAxes: c.shapes.map((_, j) => (j === k ? null : 0)) });
        const got = vjp(fs, ...X.map((x, j) => (j === k ? exs[0]![k]! : x)))[1](U)[k]!;
        expect(got.shape).toEqual(c.shapes[k]);
        expectClose(await values(got), want, bc.rtol, bc.atol, `${c.name} vjp(vmap(f)) of shared argument ${k}`);
      }
      if (c.reverseOnly) return;
      const want = await loopStack(
        SIZE,
        (b) =>
          jvp(
            c.f,
            exs[b]!,
            exs[b]!.map((_, k) => vOf(b, k)),
          )[1],
      );
      expectClose(await values(jvp(fv, X, V)[1]), want.data, bc.rtol, bc.atol, `${c.name} jvp(vmap(f))`);
      const nArgs = c.shapes.length;
      const batched = vmap((...xv: Tensor[]) => jvp(c.f, xv.slice(0, nArgs), xv.slice(nArgs))[1])(...X, ...V);
      expectClose(await values(batched), want.data, bc.rtol, bc.atol, `${c.name} vmap(jvp(f))`);
    });
  }
});
