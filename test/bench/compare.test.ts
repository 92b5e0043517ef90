// `npm run bench -- --compare` (bench/compare/): the SVG chart is well-formed XML with one bar per
// measured cell, a mark per missing one and a labelled log axis; the Markdown and text tables;
// the CPU adapters (wgad, jax-js wasm, TF.js cpu) on a tiny network, every method's Laplacian,
// training gradient and HVP against plain-JS float64 references (forward Laplacian, central
// differences of the loss per parameter, polarized second differences per parameter); and an
// engine that fails to load, throws or returns a wrong result becomes a reported cell.

import { describe, expect, it } from 'vitest';
import { type CompareWorkload, type EngineDef, type Problem, WORKLOAD_KEYS, compareProblem } from '../../bench/compare/engine.js';
import { toMarkdown, toText } from '../../bench/compare/format.js';
import { JAXJS_ENGINES } from '../../bench/compare/jaxjs.js';
import { type CompareResult, runCompare } from '../../bench/compare/run.js';
import { logTicks, toSvg } from '../../bench/compare/svg.js';
import { TFJS_ENGINES } from '../../bench/compare/tfjs.js';
import { WGAD_ENGINES } from '../../bench/compare/wgad.js';
import { type Leaves, axpy, forwardLaplacian, leavesOf, mseLoss, relativeError, trainLoss } from '../../bench/workload-reference.js';
import { checkXml } from './xml-wellformed.js';

/** A result with every kind of cell: wgad and a peer measured (the peer twice as slow), a wrong cell, a failed one, an unavailable engine. */
function sampleResult(): CompareResult {
  const ok = (engine: string, workload: CompareWorkload, median: number) => ({
    engine,
    workload,
    status: 'ok' as const,
    method: 'm',
    median,
    times: [median],
    detail: 'checked',
    rejected: [],
  });
  return {
    engines: [
      { id: 'wgad-cpu-f32', label: 'wgad cpu f32', phase: 'cpu', available: true },
      { id: 'peer-cpu-f32', label: 'peer cpu f32', phase: 'cpu', against: 'wgad-cpu-f32', available: true },
      { id: 'gone', label: 'gone <gpu> & co', phase: 'gpu', against: 'wgad-cpu-f32', available: false, error: 'no "adapter" & <none>' },
    ],
    cells: [
      ok('wgad-cpu-f32', 'laplacian', 0.5),
      ok('wgad-cpu-f32', 'train', 10),
      ok('wgad-cpu-f32', 'hvp', 2),
      ok('peer-cpu-f32', 'laplacian', 1),
      { engine: 'peer-cpu-f32', workload: 'train', status: 'wrong', detail: 'm: wrong: 3e-1 vs x | y', rejected: ['m: wrong: 3e-1 vs x | y'] },
      { engine: 'peer-cpu-f32', workload: 'hvp', status: 'failed', detail: 'm: unsupported <op> & more', rejected: ['m: unsupported <op> & more'] },
      ...WORKLOAD_KEYS.map((workload) => ({ engine: 'gone', workload, status: 'unavailable' as const, detail: 'no "adapter" & <none>', rejected: [] })),
    ],
  };
}

describe('compare: SVG chart', () => {
  it('the XML check rejects malformed documents (so the next test can fail)', () => {
    expect(checkXml('<svg><rect x="1"/></svg>').problems).toEqual([]);
    expect(checkXml('<svg><g></svg>').problems.length).toBeGreaterThan(0);
    expect(checkXml('<svg><text>a & b</text></svg>').problems.length).toBeGreaterThan(0);
    expect(checkXml('<svg><rect x=1/></svg>').problems.length).toBeGreaterThan(0);
    expect(checkXml('<svg a="1" a="2"/>').problems.length).toBeGreaterThan(0);
    expect(checkXml('<svg/><svg/>').problems.length).toBeGreaterThan(0);
  });

  it('is well-formed XML with one bar per measured cell, a mark per missing one, a legend entry per engine', () => {
    const r = sampleResult();
    const { problems, elements } = checkXml(toSvg(r, 'Median ms & <things>'));
    expect(problems).toEqual([]);
    expect(elements[0]!.name).toBe('svg');
    const bars = elements.filter((e) => e.attributes.class === 'bar');
    expect(bars.map((b) => `${b.attributes['data-engine']}/${b.attributes['data-workload']}`).sort()).toEqual(
      ['peer-cpu-f32/laplacian', 'wgad-cpu-f32/hvp', 'wgad-cpu-f32/laplacian', 'wgad-cpu-f32/train'].sort(),
    );
    const missing = elements.filter((e) => e.attributes.class === 'missing');
    expect(missing).toHaveLength(5);
    const legend = elements.filter((e) => e.name === 'text' && ['wgad cpu f32', 'peer cpu f32', 'gone <gpu> & co'].includes(e.text));
    expect(legend).toHaveLength(3);
  });

  it('has a log axis: a labelled tick per power of ten, evenly spaced, bar tops at their values', () => {
    expect(logTicks([0.5, 10])).toEqual([0.1, 1, 10]);
    expect(logTicks([3, 1200])).toEqual([1, 10, 100, 1000, 10000]);
    const { elements } = checkXml(toSvg(sampleResult(), 't'));
    const ticks = elements.filter((e) => e.attributes.class === 'tick');
    expect(ticks.map((t) => t.text)).toEqual(['0.1 ms', '1 ms', '10 ms']); // 0.5 ms to 10 ms
    const ys = ticks.map((t) => Number(t.attributes.y));
    const steps = ys.slice(1).map((y, i) => ys[i]! - y);
    for (const s of steps) expect(s).toBeCloseTo(steps[0]!, 0);
    expect(steps[0]!).toBeGreaterThan(0);
    const barTop = (engine: string, workload: string) =>
      Number(
        elements.find((e) => e.attributes.class === 'bar' && e.attributes['data-engine'] === engine && e.attributes['data-workload'] === workload)!.attributes
          .y,
      );
    expect(barTop('wgad-cpu-f32', 'train')).toBeCloseTo(ys[2]!, 0); // 10 ms on the '10 ms' tick, the top of the axis
    expect(barTop('wgad-cpu-f32', 'hvp')).toBeCloseTo(ys[1]! - steps[0]! * Math.log10(2), 0); // 2 ms
    expect(barTop('peer-cpu-f32', 'laplacian')).toBeCloseTo(ys[1]!, 0); // 1 ms
    expect(barTop('wgad-cpu-f32', 'laplacian')).toBeCloseTo(ys[1]! + steps[0]! * Math.log10(2), 0); // 0.5 ms
    expect(elements.some((e) => e.text.includes('log scale'))).toBe(true);
    expect(elements.some((e) => e.text === 'workload')).toBe(true);
  });
});

describe('compare: tables', () => {
  it('Markdown: a row per engine, ratios to wgad, notes for every missing figure with | escaped', () => {
    const md = toMarkdown(sampleResult());
    const lines = md.split('\n');
    expect(lines[0]).toMatch(/^\| engine \| Laplacian/);
    expect(lines[1]).toBe('|---|---|---|---|');
    expect(lines[2]).toBe('| wgad cpu f32 | 0.50 ms | 10.0 ms | 2.00 ms |');
    expect(lines[3]).toBe('| peer cpu f32 | 1.00 ms (×2.00) | wrong [1] | failed [2] |');
    expect(lines[4]).toBe('| gone <gpu> & co | unavailable [3] | unavailable [3] | unavailable [3] |');
    expect(md).toContain('[1] m: wrong: 3e-1 vs x | y');
    expect(md).toContain('[3] no "adapter" & <none>');
    // the methods table leaves the unavailable engine out
    const methods = md.slice(md.indexOf('Methods'));
    expect(methods).toContain('| peer cpu f32 | m | — | — |');
    expect(methods).not.toContain('gone');
  });

  it('text: columns aligned', () => {
    const table = toText(sampleResult()).split('\n\n')[0]!.split('\n');
    expect(table).toHaveLength(5);
    const starts = (line: string) => [...line.matchAll(/ {2}(?=\S)/g)].map((m) => [...line.slice(0, m.index! + 2)].length);
    expect(starts(table[0]!)).toEqual(starts(table[3]!));
    expect(table[3]).toContain('1.00 ms (×2.00)');
  });
});

/** ∂loss/∂p by central differences, parameter by parameter. */
function fdGradient(loss: (p: Leaves) => number, p: Leaves, eps = 1e-5): Leaves {
  return p.map((leaf, i) =>
    leaf.map((_, j) => {
      const e = p.map((l, k) => l.map((__, m) => (k === i && m === j ? 1 : 0)));
      return (loss(axpy(p, eps, e)) - loss(axpy(p, -eps, e))) / (2 * eps);
    }),
  );
}

/** (H v)_i = e_iᵀ H v by the polarization (Q(e_i + v) − Q(e_i − v)) / 4 of second differences Q(w) ≈ wᵀ H w. */
function fdHvp(loss: (p: Leaves) => number, p: Leaves, v: Leaves, eps = 1e-4): Leaves {
  const l0 = loss(p);
  const q = (w: Leaves) => (loss(axpy(p, eps, w)) - 2 * l0 + loss(axpy(p, -eps, w))) / (eps * eps);
  return p.map((leaf, i) =>
    leaf.map((_, j) => {
      const e = p.map((l, k) => l.map((__, m) => (k === i && m === j ? 1 : 0)));
      return (q(axpy(e, 1, v)) - q(axpy(e, -1, v))) / 4;
    }),
  );
}

describe('compare: the CPU adapters on a tiny network against plain-JS float64 references', () => {
  const problem: Problem = compareProblem({ D: 3, widths: [4, 4], N: 4 });
  const p0 = leavesOf(problem.net);
  const expected: Record<CompareWorkload, Leaves> = {
    laplacian: [forwardLaplacian(problem.net, p0).lap],
    train: fdGradient((q) => trainLoss(problem.net, q, problem.g), p0),
    hvp: fdHvp((q) => mseLoss(problem.net, q, problem.y), p0, problem.v),
  };
  const engines = [...WGAD_ENGINES, ...JAXJS_ENGINES, ...TFJS_ENGINES].filter((e) => e.phase === 'cpu');

  it('covers wgad, jax-js and TF.js', () => {
    expect(engines.map((e) => e.id)).toEqual(['wgad-cpu-f64', 'wgad-cpu-f32', 'jaxjs-wasm-f32', 'jaxjs-wasm-f64', 'tfjs-cpu-f32']);
  });

  for (const e of engines) {
    // float32 results to 1e-4; float64 ones to the finite differences' own accuracy
    const tol = e.dtype === 'float32' ? 1e-4 : 1e-6;
    it(`${e.id}: every workload's preferred method matches`, async () => {
      const adapter = await e.open();
      await adapter.activate();
      for (const key of WORKLOAD_KEYS) {
        const [first] = await adapter.build(key, problem);
        const out = await first!.run();
        expect(
          out.map((a) => a.length),
          `${e.id} ${key}`,
        ).toEqual(expected[key].map((a) => a.length));
        expect(relativeError(out, expected[key]), `${e.id} ${key} (${first!.method})`).toBeLessThan(tol);
      }
    });
  }
});

describe('compare: failures become cells', () => {
  const problem = compareProblem({ D: 3, widths: [4, 4], N: 4 });
  const fake = (id: string, open: EngineDef['open']): EngineDef => ({
    id,
    library: 'TF.js',
    backend: 'fake',
    dtype: 'float32',
    phase: 'cpu',
    against: 'wgad-cpu-f64',
    open,
  });

  it('a missing package, a throwing method and a wrong result are reported, the rest measured', async () => {
    const engines = [
      WGAD_ENGINES[0]!,
      fake('missing', async () => {
        throw new Error("Cannot find package '@nobody/peer'");
      }),
      fake('broken', async () => ({
        activate: async () => {},
        build: async (key) => {
          if (key === 'train') throw new Error('higher-order gradient not supported');
          if (key === 'hvp') return [{ method: 'throws when run', run: () => Promise.reject(new Error('kernel HvpThing not found')) }];
          // the Laplacian off by 1 %: wrong
          const lap = forwardLaplacian(problem.net, leavesOf(problem.net)).lap.map((x) => x * 1.01);
          return [{ method: 'off by 1%', run: async () => [lap] }];
        },
      })),
    ];
    const r = await runCompare({ engines, problem, rounds: 1, warmup: 1, quick: false });
    const cell = (engine: string, key: CompareWorkload) => r.cells.find((c) => c.engine === engine && c.workload === key)!;
    for (const key of WORKLOAD_KEYS) {
      expect(cell('wgad-cpu-f64', key).status).toBe('ok');
      expect(cell('wgad-cpu-f64', key).median).toBeGreaterThan(0);
      expect(cell('missing', key)).toMatchObject({ status: 'unavailable', detail: "Cannot find package '@nobody/peer'" });
    }
    expect(r.engines.find((e) => e.id === 'missing')).toMatchObject({ available: false });
    expect(cell('broken', 'laplacian').status).toBe('wrong');
    expect(cell('broken', 'laplacian').detail).toMatch(/^off by 1%: wrong: 1\.0e-2 vs plain-JS forward Laplacian/);
    expect(cell('broken', 'train')).toMatchObject({ status: 'failed', detail: 'cannot build: higher-order gradient not supported' });
    expect(cell('broken', 'hvp')).toMatchObject({ status: 'failed', detail: 'throws when run: kernel HvpThing not found' });
    expect(toMarkdown(r)).toContain('kernel HvpThing not found');
  });

  it('without wgad CPU float64 among the engines, its results are still the references (computed once, untimed)', async () => {
    const f32 = WGAD_ENGINES[1]!;
    const cell = async (reference?: EngineDef) => {
      const r = await runCompare({ engines: [f32], problem, rounds: 1, warmup: 1, quick: true, reference });
      expect(r.engines.map((e) => e.id)).toEqual([f32.id]);
      return r.cells.find((c) => c.workload === 'train')!;
    };
    expect((await cell(WGAD_ENGINES[0])).detail).toContain('vs wgad CPU float64, leaf by leaf');
    expect((await cell()).detail).not.toContain('wgad CPU float64');
  });
});
