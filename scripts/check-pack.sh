#!/usr/bin/env bash
# Builds the package, packs it, installs the tarball into a scratch consumer project and checks
# that `import { ... } from 'wgad'` works there (ESM, type declarations present, shaders embedded,
# no source maps) and that a TypeScript consumer of the typed transformations compiles against
# the packed declarations.
set -euo pipefail
cd "$(dirname "$0")/.."
tsc="$PWD/node_modules/.bin/tsc"
npm run build >/dev/null
tarball="$PWD/$(npm pack --silent | tail -n 1)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch" "$tarball"' EXIT
cd "$scratch"
npm init -y >/dev/null
npm pkg set type=module >/dev/null
npm install --no-audit --no-fund --omit=optional "$tarball" >/dev/null
test -f node_modules/wgad/dist/src/index.d.ts
# the WGSL templates travel embedded in the compiled kernels/ (no .wgsl reads at run time)
grep -q '@compute @workgroup_size' node_modules/wgad/dist/kernels/shaders.gen.js
# no source maps: they would point at sources the package does not ship (tsconfig.build.json)
if find node_modules/wgad -name '*.map' | grep -q .; then echo 'check-pack: .map files in the package' >&2; exit 1; fi
cat > check.mjs <<'JS'
import * as wgad from 'wgad';
import { init, tensor } from 'wgad';
const hooks = Object.keys(wgad).filter((k) => k.startsWith('_'));
if (hooks.length) throw new Error(`test hooks in the public API: ${hooks.join(', ')}`);
const backend = await init({ backend: 'cpu' });
const y = tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])).sum();
const v = await y.item();
if (v !== 10) throw new Error(`expected 10, got ${v}`);
console.log(`check-pack: import from 'wgad' works (${backend}, value ${v})`);
JS
node check.mjs
cat > check.ts <<'TS'
import { type Tensor, grad, hessian, jit, tensor, valueAndGrad, vjp } from 'wgad';
interface Params { W: Tensor; b: Tensor }
const loss = (p: Params, X: Tensor): Tensor => X.matmul(p.W).add(p.b).tanh().sum();
const params: Params = { W: tensor([[0.5], [-1]]), b: tensor([0.1]) };
const X = tensor([[1, 2]]);
const g: Params = grad(loss)(params, X);
const both: [Params, Tensor] = grad(loss, { argnums: [0, 1] })(params, X);
const [value, dp]: [Tensor, Params] = valueAndGrad(loss)(params, X);
const [, pullback] = vjp(loss, params, X);
const cts: [Params, Tensor] = pullback(value);
const h: Tensor = hessian((x: Tensor) => x.square().sum())(tensor([1, 2]));
const step: (p: Params, X: Tensor) => Tensor = jit(loss);
// @ts-expect-error a misspelt key of the gradient
void g.Wx;
export { both, dp, cts, h, step };
TS
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
    "lib": ["ES2022", "DOM"], "types": [], "skipLibCheck": true }, "files": ["check.ts"] }
JSON
"$tsc" -p tsconfig.json
echo "check-pack: a TypeScript consumer of the typed API compiles"
