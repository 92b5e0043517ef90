// Template: batched matmul, one thread per row of C and group of 4 columns, a plain loop over K
// calling load_a once and load_b four times per step: the variant for slow-barrier adapters
// (SwiftShader) when an operand is computed by a large fused prologue, which the register template
// would inline at all 16 elements of each 4x4 step (shaders that compile for minutes) and the tiled
// template would stage through barriers. Here a thread's loop body holds one copy of each load.
// Uses matmul-common.wgsl and the generated prelude it describes; GX is the number of column
// groups, GY the rows per batch entry, TOTAL the threads.

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (g >= TOTAL) { return; }
  let t = tile_of(g);
  let row = i32(t.y);
  let col0 = i32(t.x * 4u);
  // columns clamped into C, so that every load stays in bounds (store_row skips the extra ones)
  let cols = min(vec4<i32>(col0) + vec4<i32>(0, 1, 2, 3), vec4<i32>(max(N - 1, 0)));
  var acc = vec4<f32>(0.0);
  for (var p = 0; p < K; p++) {
    let b = vec4<f32>(load_b(t.bz, p, cols.x), load_b(t.bz, p, cols.y), load_b(t.bz, p, cols.z), load_b(t.bz, p, cols.w));
    acc += load_a(t.bz, row, p) * b;
  }
  store_row(t.bz, row, col0, acc);
}
