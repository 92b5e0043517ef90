"""PyTorch peer of bench/workloads.ts: the same four CPU workloads, float64, 2 threads (header "threads").

Usage: python3 bench/torch/workloads.py <header.json>   (written by bench/workloads.ts)

The header names a raw float64 little-endian file and, per network, the offset and shape of
each array (points X, parameters P0..Pk in the order W0, b0, W1, b1, ..., wOut, bOut with W
stored [inputs, outputs], and for the first network the training target g, the MSE target y
and the HVP direction V0..Vk), and variants to leave out ("skip"). The script computes every variant once (warm-up included),
prints one JSON line {"ready": ..., "results": ...}, then answers each "round" line on stdin
with one JSON line of wall times in ms (of every variant, the second of two back-to-back calls),
until "quit" or EOF. The
caller interleaves these rounds with its own, so a change in machine load hits all alike.

Variants:
  laplacian, hand-written   value, Jacobian [N, D, width] and Laplacian pushed through each layer
                            by hand: z = h W + b gives J_z = J_h W, L_z = L_h W; t = tanh(z) gives
                            J = t' J_z, L = t' L_z + t'' sum_d J_z^2
  laplacian, double backward  autograd.grad of the gradient's d-th column, d = 1..D
  train                     autograd.grad of mean((laplacian - g)^2) over the hand-written forward
  hvp, rev-rev              autograd.grad of <grad(loss), v> (double backward)
  hvp, fwd-rev              functorch.jvp of functorch.grad (when functorch imports)
"""

import json
import sys
import time

import torch

try:
    import functorch
except ImportError:  # older or partial installs: the fwd-rev variant is left out
    functorch = None

DT = torch.float64


def load(header_path):
    with open(header_path) as fh:
        header = json.load(fh)
    raw = open(header["data"], "rb").read()

    def array(spec):
        n = 1
        for s in spec["shape"]:
            n *= s
        t = torch.frombuffer(bytearray(raw[spec["offset"] : spec["offset"] + 8 * n]), dtype=DT)
        return t.reshape(spec["shape"])

    nets = []
    for net in header["networks"]:
        nets.append({k: ([array(s) for s in v] if isinstance(v, list) else array(v)) for k, v in net["arrays"].items()} | {"name": net["name"]})
    return header, nets


def mlp(P, X):
    """u(x) = wOut . tanh(... tanh(x W0 + b0) ...) + bOut, [N]."""
    h = X
    for k in range((len(P) - 2) // 2):
        h = torch.tanh(h @ P[2 * k] + P[2 * k + 1])
    return h @ P[-2] + P[-1]


def laplacian_forward(P, X):
    """Value and Laplacian [N] by the hand-written forward propagation (no autograd)."""
    layers = (len(P) - 2) // 2
    N, D = X.shape
    W, b = P[0], P[1]
    t = torch.tanh(X @ W + b)
    t1 = 1 - t * t
    t2 = -2 * t * t1
    # first layer: J_z = W for every point and L_z = 0, so sum_d J_z^2 is W's column sums of squares
    J = t1.unsqueeze(1) * W.unsqueeze(0)  # [N, D, H]
    L = t2 * (W * W).sum(0)
    h = t
    for k in range(1, layers):
        W, b = P[2 * k], P[2 * k + 1]
        Jz = J @ W
        Lz = L @ W
        t = torch.tanh(h @ W + b)
        t1 = 1 - t * t
        t2 = -2 * t * t1
        h = t
        J = t1.unsqueeze(1) * Jz
        L = t1 * Lz + t2 * (Jz * Jz).sum(1)
    return h @ P[-2] + P[-1], L @ P[-2]


def laplacian_double_backward(P, X):
    X = X.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(mlp(P, X).sum(), X, create_graph=True)
    lap = torch.zeros(X.shape[0], dtype=DT)
    for d in range(X.shape[1]):
        (gd,) = torch.autograd.grad(g[:, d].sum(), X, retain_graph=True)
        lap = lap + gd[:, d]
    return lap


def train_step(P, X, g):
    Pg = [p.detach().requires_grad_(True) for p in P]
    loss = ((laplacian_forward(Pg, X)[1] - g) ** 2).mean()
    # the Laplacian does not depend on the output bias: its gradient is zero (None from autograd)
    grads = torch.autograd.grad(loss, Pg, allow_unused=True)
    return [torch.zeros_like(p) if gr is None else gr for p, gr in zip(P, grads)]


def mse(P, X, y):
    return ((mlp(P, X) - y) ** 2).mean()


def hvp_rev_rev(P, X, y, V):
    Pg = [p.detach().requires_grad_(True) for p in P]
    grads = torch.autograd.grad(mse(Pg, X, y), Pg, create_graph=True)
    dot = sum((gi * vi).sum() for gi, vi in zip(grads, V))
    return torch.autograd.grad(dot, Pg)


def hvp_fwd_rev(P, X, y, V):
    return functorch.jvp(functorch.grad(lambda Q: mse(Q, X, y)), (tuple(P),), (tuple(V),))[1]


def variants(nets):
    """Name -> zero-argument function returning a tensor or a tuple of tensors."""
    out = {}
    for net in nets:
        P, X = net["P"], net["X"]
        out[f"{net['name']}/hand-written"] = lambda P=P, X=X: laplacian_forward(P, X)[1]
        out[f"{net['name']}/double backward"] = lambda P=P, X=X: laplacian_double_backward(P, X)
    first = nets[0]
    P, X = first["P"], first["X"]
    out["train/autograd over hand-written"] = lambda: train_step(P, X, first["g"])
    out["hvp/rev-rev"] = lambda: hvp_rev_rev(P, X, first["y"], first["V"])
    if functorch is not None:
        out["hvp/fwd-rev"] = lambda: hvp_fwd_rev(P, X, first["y"], first["V"])
    return out


def as_lists(result):
    if isinstance(result, torch.Tensor):
        return result.detach().reshape(-1).tolist()
    return [r.detach().reshape(-1).tolist() for r in result]


def main():
    header, nets = load(sys.argv[1])
    torch.set_num_threads(header.get("threads", 2))
    runs = {k: fn for k, fn in variants(nets).items() if k not in header.get("skip", [])}
    results = {}
    for name, fn in runs.items():
        for _ in range(header["warmup"]):
            fn()
        results[name] = as_lists(fn())
    ready = {"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        times = {}
        for name, fn in runs.items():
            fn()  # as bench/workloads.ts does: the timed call is the second of two back-to-back calls
            t0 = time.perf_counter()
            fn()
            times[name] = (time.perf_counter() - t0) * 1e3
        print(json.dumps({"times": times}), flush=True)


if __name__ == "__main__":
    main()
