// Template: batched matmul with 64x64 tiles of C per workgroup (16x16 threads, 4x4 outputs each)
// and 16-deep slabs of A and B staged in workgroup memory — the variant for real GPUs. Operand
// loads are generic (any strides, masks, bounds) and coalesced for row-major operands.

import { type MatmulParts, tileOrigin } from './matmul-register.js';

/** The parts both matmul templates take (see matmul-register.ts for their meaning). */
type CommonParts = Pick<MatmulParts, 'decls' | 'helpers' | 'M' | 'N' | 'K' | 'gx' | 'gy' | 'total' | 'setup' | 'epilogue'>;

export interface TiledParts extends CommonParts {
  /** Expression of A at (row, p) (i32 row and p in bounds) and of B at (p, col). */
  loadA: string;
  loadB: string;
  /** Extra in-bounds conditions of the operands' masks ('' when none), over row/p and p/col. */
  condA: string;
  condB: string;
}

export function matmulTiledShader(p: TiledParts): string {
  return `${p.decls}
${p.helpers}
var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  ${tileOrigin(p, 64)}
  ${p.setup}
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0; k0 < ${p.K}; k0 += 16) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + 256u * i;
      let ka = e % 16u;
      let m = e / 16u;
      let row = i32(gyi * 64u + m);
      let pa = k0 + i32(ka);
      var va = 0.0;
      if (row < ${p.M} && pa < ${p.K}${p.condA}) { va = ${p.loadA}; }
      As[ka * 16u + m / 4u][m % 4u] = va;
      let n = e % 64u;
      let kb = e / 64u;
      let col = i32(gxi * 64u + n);
      let pb = k0 + i32(kb);
      var vb = 0.0;
      if (col < ${p.N} && pb < ${p.K}${p.condB}) { vb = ${p.loadB}; }
      Bs[kb * 16u + n / 4u][n % 4u] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let a = As[kk * 16u + lid.y];
      let b = Bs[kk * 16u + lid.x];
      acc0 += a.x * b;
      acc1 += a.y * b;
      acc2 += a.z * b;
      acc3 += a.w * b;
    }
    workgroupBarrier();
  }
  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var r = 0; r < 4; r++) {
    let row = row0 + r;
    if (row >= ${p.M}) { break; }
    for (var c = 0; c < 4; c++) {
      let col = col0 + c;
      if (col >= ${p.N}) { break; }
      let acc = accs[r][c];
      let o = u32((bz * ${p.M} + row) * ${p.N} + col);
      ${p.epilogue}
    }
  }
}
`;
}
