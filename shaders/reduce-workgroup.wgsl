// Template: a reduction with one workgroup per output: each thread strides over the reduced
// elements, then a tree in workgroup memory (few outputs, many reduced elements, real GPUs).
// Uses reduce-common.wgsl and the generated prelude it describes. WG is a power of two.

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= TOTAL) { return; }
  let s = setup(o);
  var acc = identity();
  for (var r = lid; r < REDUCED; r += WG) {
    acc = combine(acc, element(s, r));
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h = h >> 1u) {
    if (lid < h) {
      partial[lid] = combine(partial[lid], partial[lid + h]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    epilogue(s, partial[0]);
  }
}
