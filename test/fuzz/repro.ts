// A fuzz failure as a self-contained reproducer: JS source that calls only the public API
// (import from 'wgad'), builds the graph's function, runs what the fuzzer runs on it and prints
// the result that failed its check, next to what was expected.

import { batchedInput, secondExample } from './batched.js';
import { fnSource } from './build.js';
import type { Failure } from './fuzz.js';
import { type Graph, type Shape, inputIds } from './graph.js';
import { interpret } from './interp.js';
import { COLLAPSE_WEIGHTS, K, collapsedConstants, directions, stacksChannels } from './runner.js';

const arr = (x: ArrayLike<number>): string => JSON.stringify(Array.from(x, (v) => (Number.isInteger(v) ? v : +v.toPrecision(9))));

function graphSource(g: Graph, name: string, dtype: string): string {
  const ins = inputIds(g).map((i) => g.nodes[i] as { shape: Shape; data: number[] });
  const d = directions(g, interpret(g).at(-1)!.shape);
  const g2 = secondExample(g);
  const t = (x: { shape: number[]; data: ArrayLike<number> }): string => `T(${arr(x.data)}, ${JSON.stringify(x.shape)})`;
  return [
    fnSource(g, `f_${name}`),
    `const ${name} = {`,
    `  f: f_${name},`,
    `  xs: [${ins.map(t).join(', ')}],`,
    `  tangents: [${d.tangents.map(t).join(', ')}],`,
    `  W: ${t(d.weights)},`,
    `  series: [${d.series.map((s) => `[${s.map(t).join(', ')}]`).join(', ')}],`,
    `  series2: [${d.series2.map((s) => `[${s.map(t).join(', ')}]`).join(', ')}],`,
    `  constants: ${JSON.stringify([...collapsedConstants(g)])},`,
    ...(g2
      ? [
          `  xs2: [${inputIds(g2)
            .map((i) => t(g2.nodes[i] as { shape: Shape; data: number[] }))
            .join(', ')}],`,
        ]
      : []),
    `};`,
  ]
    .join('\n')
    .replaceAll('T(', `T${dtype === 'float64' ? '64' : ''}(`);
}

export function renderRepro(seed: number, orig: Failure, prefix: Graph[], g: Graph, f: Failure): string {
  const b = f.backend;
  const dtype = b === 'cpu64' ? 'float64' : 'float32';
  const lines: string[] = [
    `// wgad fuzz reproducer: seed ${seed}, graph #${orig.index}, ${b === 'webgpu' ? 'webgpu/float32' : b === 'cpu32' ? 'cpu/float32' : 'cpu/float64'}`,
    `// ${f.error !== undefined ? `error: ${f.error}` : `${f.mismatches[0]!.check}: ${f.mismatches[0]!.worst}`}`,
    `import { init, tensor, jvp, grad, jet, collapsedJet, vmap, jit, add, sub, mul, div, maximum, minimum, less, lessEqual, greater, greaterEqual, equal, notEqual, where, matmul, concat, stack, stopGradient } from 'wgad';`,
    `await init({ backend: '${b === 'webgpu' ? 'webgpu' : 'cpu'}' });`,
    `const T = (a, shape) => tensor(a, { shape, dtype: 'float32' });`,
    `const T64 = (a, shape) => tensor(a, { shape, dtype: 'float64' });`,
    `// what the fuzzer runs per graph: forward, jvp, grad of sum(W * f), jet to order 4, and collapsed`,
    `// Taylor mode to order 4 along series and series2 (top weights ${COLLAPSE_WEIGHTS.join(', ')}), each read back`,
    `async function runAll({ f, xs, tangents, W, series, series2, constants, xs2 }) {`,
    `  const out = { fwd: await f(...xs).data(), jvp: await jvp(f, xs, tangents)[1].data(), vjp: [], jet: [], col: [] };`,
    `  for (const g of grad((...a) => f(...a).mul(W).sum(), { argnums: xs.map((_, i) => i) })(...xs)) out.vjp.push(await g.data());`,
    `  for (const z of jet(f, xs, series)[1]) out.jet.push(await z.data());`,
    `  const constant = (i) => constants.includes(i); // inputs without a series in collapsedJet`,
    `  const lower = series.map((s, i) => (constant(i) ? [] : s.slice(0, ${K - 1}).map((c, k) => stack([c, series2[i][k]]))));`,
    `  const top = series.map((s, i) => (constant(i) ? null : s[${K - 1}].mul(${COLLAPSE_WEIGHTS[0]}).add(series2[i][${K - 1}].mul(${COLLAPSE_WEIGHTS[1]}))));`,
    `  const [, c] = collapsedJet(f, xs, lower, top, { order: ${K}, weights: [${COLLAPSE_WEIGHTS.join(', ')}] });`,
    `  for (const z of [...c.lower, c.top]) out.col.push(await z.data());`,
    `  // vmap over two examples (xs and xs2; the inputs batchedInput leaves out are shared), and jit`,
    `  if (xs2) {`,
    `    const batchedInput = ${batchedInput.toString()};`,
    `    const inAxes = xs.map((_, i) => (batchedInput(i) ? 0 : null));`,
    `    const X = xs.map((x, i) => (batchedInput(i) ? stack([x, xs2[i]]) : x));`,
    `    const gr = grad((...a) => f(...a).mul(W).sum(), { argnums: xs.map((_, i) => i) });`,
    `    out.vmap = { fwd: await vmap(f, { inAxes })(...X).data(), vjp: [] };`,
    `    for (const v of vmap(gr, { inAxes })(...X)) out.vmap.vjp.push(await v.data());`,
    `    out.vmap.top = await vmap((...a) => jet(f, a, series)[1].at(-1), { inAxes })(...X).data();`,
    `    // jit of f and its gradient, traced at xs, replayed at the second example`,
    `    const jf = jit((...a) => [f(...a), ...gr(...a)]);`,
    `    for (const t of jf(...xs)) await t.data();`,
    `    const [y, ...gs] = jf(...xs.map((x, i) => (batchedInput(i) ? xs2[i] : x)));`,
    `    out.jit = { fwd: await y.data(), vjp: [] };`,
    `    for (const v of gs) out.jit.vjp.push(await v.data());`,
    `  }`,
    `  return out;`,
    `}`,
  ];
  prefix.forEach((p, i) => {
    lines.push(`// graph run before (the failure depends on backend state it leaves behind)`);
    lines.push(graphSource(p, `before${i}`, dtype));
    lines.push(`await runAll(before${i});`);
  });
  if (stacksChannels(g))
    lines.push(`// collapsed Taylor mode ran with stacked matmul channels: call _setStackedChannels(true) (wgad's src/internal.ts) before collapsedJet`);
  lines.push(graphSource(g, 'g', dtype));
  lines.push(`const r = await runAll(g);`);
  if (f.error === undefined) {
    const m = f.mismatches[0]!;
    const field = resultField(m.check);
    lines.push(`console.log(Array.from(${field}));`);
    lines.push(`// got:      ${arr(m.got)}`);
    lines.push(`// expected: ${arr(m.expected)}  (${m.check.includes('vs') ? m.check.split(' vs ')[1] : 'cpu/float64'})`);
  }
  return lines.join('\n');
}

/** The expression of the reproducer's result `r` that a check compared. */
function resultField(check: string): string {
  const [kind, second = '', third = ''] = check.split(' ');
  const index = (s: string): number => Number(s.slice(1)); // 'x2' -> 2, 'Z3' -> 3
  switch (kind) {
    case 'forward':
      return 'r.fwd';
    case 'jvp':
      return 'r.jvp';
    case 'adjoint':
      return '[r.jvp, ...r.vjp] /* <W, r.jvp> = sum_i <r.vjp[i], tangents[i]> */';
    case 'vjp':
      return `r.vjp[${index(second)}]`;
    case 'jet':
      return `r.jet[${index(second) - 1}]`;
    case 'collapsed':
      return `r.col[${second === 'top' ? K - 1 : index(second) - 1}]`;
    case 'vmap':
      return `r.vmap.${second === 'vjp' ? `vjp[${index(third)}]` : second === 'jet' ? 'top' : 'fwd'}`;
    case 'jit':
      return `r.jit.${second === 'vjp' ? `vjp[${index(third)}]` : 'fwd'}`;
    default:
      return 'r';
  }
}
