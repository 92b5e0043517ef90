#!/usr/bin/env bash
# Builds the package, packs it, installs the tarball into a scratch consumer project and checks
# that `import { ... } from 'wgad'` works there (ESM, type declarations present, shaders embedded,
# no source maps).
set -euo pipefail
cd "$(dirname "$0")/.."
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
import { init, tensor } from 'wgad';
const backend = await init({ backend: 'cpu' });
const y = tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]])).sum();
const v = await y.item();
if (v !== 10) throw new Error(`expected 10, got ${v}`);
console.log(`check-pack: import from 'wgad' works (${backend}, value ${v})`);
JS
node check.mjs
