// Every primitive's JVP and VJP rule against central finite differences (float64), their second
// derivatives (every hvp mode) against the four-point formula, and every VJP against its JVP by
// the adjoint identity <u, J v> = <Jᵀ u, v> on random inputs (every backend case).

import { describe, expect, it } from 'vitest';
import { type Tensor, hvp, jvp, vjp } from '../../src/index.js';
import type { Node } from '../../src/ir/node.js';
import { PRIM_NAMES } from '../../src/ir/primitives.js';
import { describeBackends } from '../helpers/backends.js';
import { absDot, dot, expectClose, expectScalarClose, fdJacobian, fdSecond, fromHost, host, jacTVec, jacVec, randomData } from '../helpers/finiteDiff.js';
import { PRIM_CASES, inputsOf } from './primCases.js';

// Central differences with step 1e-6 are accurate to ~1e-9 here (truncation ε²·f'''/6, rounding
// 1e-16·|f|/ε); second derivatives by the four-point formula with ε = 1e-4 to ~1e-7.
const FD = { rtol: 1e-6, atol: 1e-7 };
const FD2 = { rtol: 1e-5, atol: 1e-6 };

function hasPrim(root: Node, prim: string): boolean {
  const seen = new Set<Node>();
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.op === prim) return true;
    stack.push(...n.inputs);
  }
  return false;
}

describe('primitive cases', () => {
  it('cover every primitive of the IR', () => {
    const covered = new Set(PRIM_CASES.map((c) => c.prim));
    expect(PRIM_NAMES.filter((p) => !covered.has(p))).toEqual([]);
  });
  it.each(PRIM_CASES)('$name puts a $prim node in its graph', (c) => {
    const out = c.f(...inputsOf(c, 'float64', 1));
    expect(hasPrim(out.node, c.prim)).toBe(true);
  });
});

describeBackends(
  'first derivatives of every primitive vs central differences',
  () => {
    for (const c of PRIM_CASES) {
      describe(c.name, () => {
        if (!c.reverseOnly)
          it('JVP matches J·v', async () => {
            const xs = inputsOf(c, 'float64', 11);
            const vs = c.shapes.map((s, i) =>
              randomData(
                s.reduce((a, b) => a * b, 1),
                101 + i,
              ),
            );
            const fd = await fdJacobian(c.f, xs, c.eps);
            const [out, t] = jvp(
              c.f,
              xs,
              vs.map((v, i) => fromHost(v, c.shapes[i]!)),
            );
            expect(t.shape).toEqual(out.shape);
            expectClose(await host(t), jacVec(fd, vs), FD.rtol, FD.atol, `${c.name} jvp`);
            expectClose(await host(out), await host(c.f(...xs)), 0, 0, `${c.name} primal`);
          });
        it('VJP matches Jᵀ·u', async () => {
          const xs = inputsOf(c, 'float64', 12);
          const fd = await fdJacobian(c.f, xs, c.eps);
          const [out, pullback] = vjp(c.f, ...xs);
          const u = randomData(out.size, 202);
          const cts = pullback(fromHost(u, out.shape));
          const expected = jacTVec(fd, u);
          expect(cts).toHaveLength(xs.length);
          for (let i = 0; i < xs.length; i++) {
            expect(cts[i]!.shape).toEqual(xs[i]!.shape);
            expectClose(await host(cts[i]!), expected[i]!, FD.rtol, FD.atol, `${c.name} vjp[${i}]`);
          }
        });
      });
    }
  },
  { float32: false },
);

describeBackends(
  'second derivatives through every primitive vs four-point differences',
  () => {
    for (const c of PRIM_CASES) {
      // L(xs) = Σ w1·f(xs) + w2·f(xs)²: its Hessian involves f'' and f' of the primitive
      const L = (...xs: Tensor[]): Tensor => {
        const y = c.f(...xs);
        const w1 = fromHost(randomData(y.size, 303), y.shape, y.dtype);
        const w2 = fromHost(randomData(y.size, 304), y.shape, y.dtype);
        return y.mul(w1).add(y.square().mul(w2)).sum();
      };
      const modes = c.reverseOnly ? (['rev-rev'] as const) : (['fwd-rev', 'rev-fwd', 'rev-rev'] as const);
      for (const mode of modes) {
        it(`${c.name}: wᵀ H v by hvp '${mode}'`, async () => {
          const xs = inputsOf(c, 'float64', 13);
          const sizes = c.shapes.map((s) => s.reduce((a, b) => a * b, 1));
          const vs = sizes.map((n, i) => randomData(n, 401 + i, c.eps ? 'dyadic' : 'any'));
          const ws = sizes.map((n, i) => randomData(n, 501 + i, c.eps ? 'dyadic' : 'any'));
          const hv = hvp(
            (arr: Tensor[]) => L(...arr),
            xs,
            vs.map((v, i) => fromHost(v, c.shapes[i]!)),
            { mode },
          );
          let got = 0,
            scale = 0;
          for (let i = 0; i < xs.length; i++) {
            const h = await host(hv[i]!);
            got += dot(h, ws[i]!);
            scale += absDot(h, ws[i]!);
          }
          const expected = await fdSecond(L, xs, vs, ws, c.eps ?? 1e-4);
          expectScalarClose(got, expected, FD2.rtol, FD2.atol, scale, `${c.name} ${mode}`);
        });
      }
    }
  },
  { float32: false },
);

describeBackends('adjoint identity <u, J v> = <Jᵀ u, v> for every primitive', (bc) => {
  for (const c of PRIM_CASES) {
    // a backend with one dtype has no cast to check (tests/webgpu/errors.test.ts: float64 is refused)
    const runs = !c.reverseOnly && !(c.twoDTypes && bc.backend === 'webgpu');
    if (runs)
      it(c.name, async () => {
        const xs = inputsOf(c, bc.dtype, 21);
        // the cast case rounds through float32: directions exact in float32 keep the identity exact
        const dir = c.domain === 'dyadic' ? 'dyadic' : 'any';
        const vs = xs.map((x, i) => fromHost(randomData(x.size, 601 + i, dir), x.shape, bc.dtype));
        const [out, jv] = jvp(c.f, xs, vs);
        const [, pullback] = vjp(c.f, ...xs);
        const u = randomData(out.size, 701, dir);
        const cts = pullback(fromHost(u, out.shape, bc.dtype));
        const jvh = await host(jv);
        const lhs = dot(u, jvh);
        let rhs = 0,
          scale = absDot(u, jvh);
        for (let i = 0; i < xs.length; i++) {
          const ct = await host(cts[i]!),
            v = await host(vs[i]!);
          rhs += dot(ct, v);
          scale += absDot(ct, v);
        }
        // rounding in both sides scales with the sum of the absolute terms
        expectScalarClose(lhs, rhs, bc.rtol, bc.atol, scale, c.name);
      });
  }
});
