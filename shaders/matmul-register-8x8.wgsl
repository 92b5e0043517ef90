// Template: the register-blocked matmul (matmul-register.wgsl) with an 8x8 block of C per thread,
// for products with many rows and columns: each element of A loaded (or computed by its fused
// prologue) serves 8 columns and each element of B serves 8 rows, a quarter of the 4x4 block's
// loads per multiply-add. On SwiftShader every load is a gather, and loads, not multiply-adds, set
// a register kernel's speed. 8x8 threads per workgroup cover a 64x64 tile of C (fewer threads, a smaller tile, when C
// has few tiles: kernels/matmul.ts registerWorkgroup); the K loop is
// unrolled by 4 as in the 4x4 template, with the prelude's load_a4 for each group of 4 rows and
// load_b4 for each group of 4 columns. Uses matmul-common.wgsl and the generated prelude it
// describes, which here also supplies
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
  let row0 = i32((t.y * WG_Y + lid.y) * 8u);
  let col0 = i32((t.x * WG_X + lid.x) * 8u);
  if (row0 >= M || col0 >= N) { return; }
  // the four 4x4 quarters of the block, clamped into C (the second row or column group may lie
  // wholly past it)
  let tl = block_at(t.bz, row0, col0);
  let tr = block_at(t.bz, row0, col0 + 4);
  let bl = block_at(t.bz, row0 + 4, col0);
  var tl_acc = array<vec4<f32>, 4>();
  var tr_acc = array<vec4<f32>, 4>();
  var bl_acc = array<vec4<f32>, 4>();
  var br_acc = array<vec4<f32>, 4>();
  let K4 = K - K % 4;
  for (var p = 0; p < K4; p += 4) {
    let a_top = load_a4(tl, p);
    let a_bottom = load_a4(bl, p);
    let b_left = load_b4(tl, p);
    let b_right = load_b4(tr, p);
    tl_acc = mac4(tl_acc, a_top, b_left);
    tr_acc = mac4(tr_acc, a_top, b_right);
    bl_acc = mac4(bl_acc, a_bottom, b_left);
    br_acc = mac4(br_acc, a_bottom, b_right);
  }
  // tail (K not a multiple of 4): scalar loads
  for (var p = K4; p < K; p++) {
    let a_top = a_column(tl, p);
    let a_bottom = a_column(bl, p);
    let b_left = b_row(tl, p);
    let b_right = b_row(tr, p);
    tl_acc = mac1(tl_acc, a_top, b_left);
    tr_acc = mac1(tr_acc, a_top, b_right);
    bl_acc = mac1(bl_acc, a_bottom, b_left);
    br_acc = mac1(br_acc, a_bottom, b_right);
  }
  store_block(t.bz, row0, col0, tl_acc);
  if (col0 + 4 < N) { store_block(t.bz, row0, col0 + 4, tr_acc); }
  if (row0 + 4 < M) {
    store_block(t.bz, row0 + 4, col0, bl_acc);
    if (col0 + 4 < N) { store_block(t.bz, row0 + 4, col0 + 4, br_acc); }
  }
}
