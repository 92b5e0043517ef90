// Template: a reduction with one thread per output, or per PER consecutive outputs, and a serial
// loop over the reduced elements; no barriers (the right choice on SwiftShader, and whenever there
// are many outputs). PER is 1 on GPUs and up to 16 on software adapters (kernels/loop.ts).
// Uses reduce-common.wgsl and the generated prelude it describes.

// outputs per thread
override PER: u32;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = ((wid.x + wid.y * nwg.x) * WG + lid) * PER;
  for (var j = 0u; j < PER; j++) {
    let o = first + j;
    if (o >= TOTAL) { return; }
    let s = setup(o);
    var acc = identity();
    for (var r = 0u; r < REDUCED; r++) {
      acc = combine(acc, element(s, r));
    }
    epilogue(s, acc);
  }
}
