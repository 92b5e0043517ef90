// Template: batched matmul, register-blocked, no workgroup memory and no barriers: the variant
// for SwiftShader and other CPU-backed adapters, where barriers are very slow (docs/webgpu.md).
// Each thread computes a 4x4 block of C; the K loop is unrolled by 4 with vec4 loads where the
// operand layout allows (the generator picks the load code per operand); 8x8 threads per
// workgroup cover a 32x32 tile of C (fewer threads, a smaller tile, when C has few tiles:
// kernels/matmul.ts registerWorkgroup). The epilogue is applied to every element.
// Uses matmul-common.wgsl and the generated prelude it describes, which here also supplies
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
  let col0 = i32((t.x * WG_X + lid.x) * 4u);
  if (row0 >= M || col0 >= N) { return; }
  let blk = block_at(t.bz, row0, col0);
  var acc = array<vec4<f32>, 4>();
  let K4 = K - K % 4;
  for (var p = 0; p < K4; p += 4) {
    acc = mac4(acc, load_a4(blk, p), load_b4(blk, p));
  }
  // tail (K not a multiple of 4): scalar loads
  for (var p = K4; p < K; p++) {
    acc = mac1(acc, a_column(blk, p), b_row(blk, p));
  }
  store_block(t.bz, row0, col0, acc);
}
