// Template: batched matmul with 64x64 tiles of C per workgroup (16x16 threads, 4x4 outputs each)
// and 16-deep slabs of A and B staged in workgroup memory: the variant for real GPUs. Operand
// loads are generic (any strides, masks, bounds) and coalesced for row-major operands.
// Uses matmul-common.wgsl and the generated prelude it describes.

var<workgroup> As: array<vec4<f32>, 256>;
var<workgroup> Bs: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= TOTAL) { return; }
  let t = tile_of(g);
  let row0 = i32(t.y * 64u + lid.y * 4u);
  let col0 = i32(t.x * 64u + lid.x * 4u);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0; k0 < K; k0 += 16) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + 256u * i;
      let ka = e % 16u;
      let m = e / 16u;
      let row = i32(t.y * 64u + m);
      let pa = k0 + i32(ka);
      var va = 0.0;
      if (row < M && pa < K) { va = load_a(t.bz, row, pa); }
      As[ka * 16u + m / 4u][m % 4u] = va;
      let n = e % 64u;
      let kb = e / 64u;
      let col = i32(t.x * 64u + n);
      let pb = k0 + i32(kb);
      var vb = 0.0;
      if (col < N && pb < K) { vb = load_b(t.bz, pb, col); }
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
  store_block(t.bz, row0, col0, array<vec4<f32>, 4>(acc0, acc1, acc2, acc3));
}
