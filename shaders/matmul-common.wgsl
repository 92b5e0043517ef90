// Shared by the matmul templates: the sizes, which tile of C a workgroup computes, and the store
// of a thread's 4x4 block of C (row by row, element by element through the epilogue). C is [batch, M, N], row-major.
//
// The generated prelude (kernels/matmul.ts) supplies the bindings, the helpers and
//   fn load_a(bz: i32, r: i32, c: i32) -> f32   A[bz, r, c] (0 where A's view is masked), or A's
//                                               fused elementwise producer evaluated there
//   fn load_b(bz: i32, r: i32, c: i32) -> f32   B[bz, r, c] (likewise)
//   fn epilogue(o: u32, acc: f32)               computes and stores the outputs at flat index o of C
//   fn store_row(bz: i32, row: i32, col0: i32, v: vec4<f32>)
//                                               stores C[bz, row, col0 .. col0 + 3] (the columns inside
//                                               C): store_elements, or one vec4 store when C is plain

override M: i32;
override N: i32;
override K: i32;
// workgroups along N and along M per batch entry, and in all
override GX: u32;
override GY: u32;
override TOTAL: u32;

// a thread's block of C in the register templates: batch entry, first row and column, and its rows and columns clamped
// into C (so that every load stays in bounds)
struct Block { bz: i32, row0: i32, col0: i32, rows: vec4<i32>, cols: vec4<i32> }

// a 4x4 block of C plus A's 4 rows times B's 4 columns over a step of 4 along K, one multiply-add
// at a time in K order (as every template sums)
fn mac4(acc: array<vec4<f32>, 4>, a: array<vec4<f32>, 4>, b: array<vec4<f32>, 4>) -> array<vec4<f32>, 4> {
  var c = acc;
  c[0] += a[0].x * b[0];
  c[1] += a[1].x * b[0];
  c[2] += a[2].x * b[0];
  c[3] += a[3].x * b[0];
  c[0] += a[0].y * b[1];
  c[1] += a[1].y * b[1];
  c[2] += a[2].y * b[1];
  c[3] += a[3].y * b[1];
  c[0] += a[0].z * b[2];
  c[1] += a[1].z * b[2];
  c[2] += a[2].z * b[2];
  c[3] += a[3].z * b[2];
  c[0] += a[0].w * b[3];
  c[1] += a[1].w * b[3];
  c[2] += a[2].w * b[3];
  c[3] += a[3].w * b[3];
  return c;
}

// a 4x4 block of C plus one column of A's 4 rows (a) times one row of B's 4 columns (b)
fn mac1(acc: array<vec4<f32>, 4>, a: vec4<f32>, b: vec4<f32>) -> array<vec4<f32>, 4> {
  return array<vec4<f32>, 4>(acc[0] + a.x * b, acc[1] + a.y * b, acc[2] + a.z * b, acc[3] + a.w * b);
}

// A's 4 rows of the block at column p (scalar loads: the K tail)
fn a_column(blk: Block, p: i32) -> vec4<f32> {
  return vec4<f32>(load_a(blk.bz, blk.rows.x, p), load_a(blk.bz, blk.rows.y, p), load_a(blk.bz, blk.rows.z, p), load_a(blk.bz, blk.rows.w, p));
}

// B's row p at the block's 4 columns (scalar loads: the K tail)
fn b_row(blk: Block, p: i32) -> vec4<f32> {
  return vec4<f32>(load_b(blk.bz, p, blk.cols.x), load_b(blk.bz, p, blk.cols.y), load_b(blk.bz, p, blk.cols.z), load_b(blk.bz, p, blk.cols.w));
}

fn block_at(bz: i32, row0: i32, col0: i32) -> Block {
  let q = vec4<i32>(0, 1, 2, 3);
  return Block(bz, row0, col0, min(vec4<i32>(row0) + q, vec4<i32>(max(M - 1, 0))), min(vec4<i32>(col0) + q, vec4<i32>(max(N - 1, 0))));
}

// batch entry, tile column and tile row of a workgroup
struct Tile { bz: i32, x: u32, y: u32 }

fn tile_of(g: u32) -> Tile {
  let gt = g / GX;
  return Tile(i32(gt / GY), g % GX, gt % GY);
}

fn store_elements(bz: i32, row: i32, col0: i32, v: vec4<f32>) {
  for (var c = 0; c < 4; c++) {
    let col = col0 + c;
    if (col >= N) { break; }
    epilogue(u32((bz * M + row) * N + col), v[c]);
  }
}

fn store_block(bz: i32, row0: i32, col0: i32, accs: array<vec4<f32>, 4>) {
  var rows = accs;
  for (var r = 0; r < 4; r++) {
    let row = row0 + r;
    if (row >= M) { break; }
    store_row(bz, row, col0, rows[r]);
  }
}
