// Template: a fused elementwise kernel over TOTAL work items: an output element each, or 4
// consecutive output elements (vec4 kernels). Each thread takes PER consecutive items (1 on GPUs;
// up to 16 on software adapters, where a thread's own cost, not its arithmetic, dominated:
// SwiftShader ran a + 1.5 b over 2^24 elements in 109 ms instead of 137, docs/webgpu.md).
// The flat thread index comes from a 2-D grid of workgroups (more than 65535 workgroups are split
// over y).
//
// The generated prelude (kernels/loop.ts) supplies the bindings and
//   fn compute(i: u32)   computes and stores the outputs of work item i.

// threads per workgroup
override WG: u32;
// work items: outputs, or groups of 4 outputs
override TOTAL: u32;
// work items per thread
override PER: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = ((wid.x + wid.y * nwg.x) * WG + lid) * PER;
  for (var j = 0u; j < PER; j++) {
    let i = first + j;
    if (i >= TOTAL) { return; }
    compute(i);
  }
}
