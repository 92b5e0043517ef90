// Template: a fused elementwise kernel, one thread per output element, or per 4 consecutive
// output elements (vec4 kernels). The flat thread index comes from a 2-D grid of workgroups (more
// than 65535 workgroups are split over y).
//
// The generated prelude (kernels/loop.ts) supplies the bindings and
//   fn compute(i: u32)   computes and stores the outputs of thread i.

// threads per workgroup
override WG: u32;
// threads with work: outputs, or groups of 4 outputs
override TOTAL: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;
  if (i >= TOTAL) { return; }
  compute(i);
}
