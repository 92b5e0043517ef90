// Template: batched matmul, register-blocked, no workgroup memory and no barriers — the variant
// for SwiftShader and other CPU-backed adapters, where barriers are very slow (docs/webgpu.md).
// Each thread computes a 4x4 block of C; the K loop is unrolled by 4 with vec4 loads where the
// operand layout allows (the generator picks the load code per operand); 8x8 threads per
// workgroup cover a 32x32 tile of C. The elementwise epilogue is applied to every element.

export interface MatmulParts {
  decls: string;
  helpers: string;
  M: number;
  N: number;
  K: number;
  /** Workgroups along N and M per batch entry, and in all. */
  gx: number;
  gy: number;
  total: number;
  /** Statements before the K loop (base offsets, clamped indices). */
  setup: string;
  /** Body of the K loop for p .. p+3: loads and `accR += ...` updates. */
  step4: string;
  /** Body of the tail loop for one p (K not a multiple of 4); empty when none. */
  step1: string;
  /** Statements storing element (row, col) from `acc` (f32) at flat index `o` (u32). */
  epilogue: string;
  /** Alternative store of a whole row block `accs[r]` (vec4) when the output is plain C; empty if none. */
  vecStore: string;
}

/**
 * The start of both templates' main(): the flat workgroup index `g` (2-D dispatch), this
 * workgroup's batch entry `bz` and the first row / column (`row0`, `col0`) of this thread's 4x4
 * block in a `tile` x `tile` tile of C.
 */
export function tileOrigin(p: Pick<MatmulParts, 'total' | 'gx' | 'gy'>, tile: number): string {
  return `let g = wid.x + wid.y * nwg.x;
  if (g >= ${p.total}u) { return; }
  let gxi = g % ${p.gx}u;
  let gt = g / ${p.gx}u;
  let gyi = gt % ${p.gy}u;
  let bz = i32(gt / ${p.gy}u);
  let row0 = i32(gyi * ${tile}u + lid.y * 4u);
  let col0 = i32(gxi * ${tile}u + lid.x * 4u);`;
}

export function matmulRegisterShader(p: MatmulParts): string {
  const K4 = p.K - (p.K % 4);
  return `${p.decls}
${p.helpers}
@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  ${tileOrigin(p, 32)}
  if (row0 >= ${p.M} || col0 >= ${p.N}) { return; }
  ${p.setup}
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var p = 0; p < ${K4}; p += 4) {
    ${p.step4}
  }
  ${p.step1 ? `for (var p = ${K4}; p < ${p.K}; p++) {\n    ${p.step1}\n  }` : ''}
  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  ${p.vecStore || `for (var r = 0; r < 4; r++) {
    let row = row0 + r;
    if (row >= ${p.M}) { break; }
    for (var c = 0; c < 4; c++) {
      let col = col0 + c;
      if (col >= ${p.N}) { break; }
      let acc = accs[r][c];
      let o = u32((bz * ${p.M} + row) * ${p.N} + col);
      ${p.epilogue}
    }
  }`}
}
`;
}
