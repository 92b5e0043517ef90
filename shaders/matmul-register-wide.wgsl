// Template: the register-blocked matmul (matmul-register.wgsl) with a 4x8 block of C per thread,
// for products of more than 32 columns: each element of A loaded (or computed by its fused
// prologue) serves 8 columns instead of 4, which halves the A loads per multiply-add. On
// SwiftShader a load is a gather, lane by lane, and A's loads dominate a 4x4 block's step: the
// collapsed Laplacian's tangent product [16 x 256, 64] @ [64, 64] ran 1.4x faster this way.
// 8x8 threads per workgroup cover a 32x64 tile of C (fewer threads, a smaller tile, when C has few
// tiles: kernels/matmul.ts registerWorkgroup); the K loop is unrolled by 4 as in the 4x4
// template, with the prelude's load_a4 for the block's rows and load_b4 for each group of 4
// columns. Uses matmul-common.wgsl and the generated prelude it describes, which here also supplies
//   fn load_a4(blk: Block, p: i32) -> array<vec4<f32>, 4>   [r][q]: A at (row r of the block, p + q)
//   fn load_b4(blk: Block, p: i32) -> array<vec4<f32>, 4>   [q]: B at (p + q, the block's columns)

// threads per workgroup along N and M (set by registerWorkgroup)
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= TOTAL) { return; }
  let t = tile_of(g);
  let row0 = i32((t.y * WG_Y + lid.y) * 4u);
  let col0 = i32((t.x * WG_X + lid.x) * 8u);
  if (row0 >= M || col0 >= N) { return; }
  // the block's two groups of 4 columns, clamped into C (the second may lie wholly past it)
  let lo = block_at(t.bz, row0, col0);
  let hi = block_at(t.bz, row0, col0 + 4);
  var lo_acc = array<vec4<f32>, 4>();
  var hi_acc = array<vec4<f32>, 4>();
  let K4 = K - K % 4;
  for (var p = 0; p < K4; p += 4) {
    let a = load_a4(lo, p);
    lo_acc = mac4(lo_acc, a, load_b4(lo, p));
    hi_acc = mac4(hi_acc, a, load_b4(hi, p));
  }
  // tail (K not a multiple of 4): scalar loads
  for (var p = K4; p < K; p++) {
    let a = a_column(lo, p);
    lo_acc = mac1(lo_acc, a, b_row(lo, p));
    hi_acc = mac1(hi_acc, a, b_row(hi, p));
  }
  store_block(t.bz, row0, col0, lo_acc);
  if (col0 + 4 < N) { store_block(t.bz, row0, col0 + 4, hi_acc); }
}
