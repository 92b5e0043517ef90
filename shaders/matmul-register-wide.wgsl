// Template: the register-blocked matmul (matmul-register.wgsl) with a 4x8 block of C per thread,
// for products of more than 32 columns: each element of A loaded (or computed by its fused
// prologue) serves 8 columns instead of 4, which halves the A loads per multiply-add. On
// SwiftShader a load is a gather, lane by lane, and A's loads dominate a 4x4 block's step: the
// collapsed Laplacian's tangent product [16 x 256, 64] @ [64, 64] ran 1.4x faster this way.
// 8x8 threads per workgroup cover a 32x64 tile of C; the K loop is unrolled by 4 as in the 4x4
// template, with the prelude's load_a4 for the block's rows and load_b4 for each group of 4
// columns. Uses matmul-common.wgsl and the generated prelude it describes, which here also supplies
//   fn load_a4(blk: Block, p: i32) -> array<vec4<f32>, 4>   [r][q]: A at (row r of the block, p + q)
//   fn load_b4(blk: Block, p: i32) -> array<vec4<f32>, 4>   [q]: B at (p + q, the block's columns)

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= TOTAL) { return; }
  let t = tile_of(g);
  let row0 = i32(t.y * 32u + lid.y * 4u);
  let col0 = i32(t.x * 64u + lid.x * 8u);
  if (row0 >= M || col0 >= N) { return; }
  // the block's two groups of 4 columns, clamped into C (the second may lie wholly past it)
  let lo = block_at(t.bz, row0, col0);
  let hi = block_at(t.bz, row0, col0 + 4);
  let rows = lo.rows;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0);
  var acc5 = vec4<f32>(0.0);
  var acc6 = vec4<f32>(0.0);
  var acc7 = vec4<f32>(0.0);
  let K4 = K - K % 4;
  for (var p = 0; p < K4; p += 4) {
    let a = load_a4(lo, p);
    let b = load_b4(lo, p);
    let c = load_b4(hi, p);
    acc0 += a[0].x * b[0];
    acc1 += a[1].x * b[0];
    acc2 += a[2].x * b[0];
    acc3 += a[3].x * b[0];
    acc4 += a[0].x * c[0];
    acc5 += a[1].x * c[0];
    acc6 += a[2].x * c[0];
    acc7 += a[3].x * c[0];
    acc0 += a[0].y * b[1];
    acc1 += a[1].y * b[1];
    acc2 += a[2].y * b[1];
    acc3 += a[3].y * b[1];
    acc4 += a[0].y * c[1];
    acc5 += a[1].y * c[1];
    acc6 += a[2].y * c[1];
    acc7 += a[3].y * c[1];
    acc0 += a[0].z * b[2];
    acc1 += a[1].z * b[2];
    acc2 += a[2].z * b[2];
    acc3 += a[3].z * b[2];
    acc4 += a[0].z * c[2];
    acc5 += a[1].z * c[2];
    acc6 += a[2].z * c[2];
    acc7 += a[3].z * c[2];
    acc0 += a[0].w * b[3];
    acc1 += a[1].w * b[3];
    acc2 += a[2].w * b[3];
    acc3 += a[3].w * b[3];
    acc4 += a[0].w * c[3];
    acc5 += a[1].w * c[3];
    acc6 += a[2].w * c[3];
    acc7 += a[3].w * c[3];
  }
  // tail (K not a multiple of 4): scalar loads
  for (var p = K4; p < K; p++) {
    let b = vec4<f32>(load_b(t.bz, p, lo.cols.x), load_b(t.bz, p, lo.cols.y), load_b(t.bz, p, lo.cols.z), load_b(t.bz, p, lo.cols.w));
    let c = vec4<f32>(load_b(t.bz, p, hi.cols.x), load_b(t.bz, p, hi.cols.y), load_b(t.bz, p, hi.cols.z), load_b(t.bz, p, hi.cols.w));
    let a = vec4<f32>(load_a(t.bz, rows.x, p), load_a(t.bz, rows.y, p), load_a(t.bz, rows.z, p), load_a(t.bz, rows.w, p));
    acc0 += a.x * b;
    acc1 += a.y * b;
    acc2 += a.z * b;
    acc3 += a.w * b;
    acc4 += a.x * c;
    acc5 += a.y * c;
    acc6 += a.z * c;
    acc7 += a.w * c;
  }
  store_block(t.bz, row0, col0, array<vec4<f32>, 4>(acc0, acc1, acc2, acc3));
  if (col0 + 4 < N) { store_block(t.bz, row0, col0 + 4, array<vec4<f32>, 4>(acc4, acc5, acc6, acc7)); }
}
