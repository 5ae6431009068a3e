"""PyTorch peer of the hypercolumn conformance benchmark (conformance/src/bench/peers/pytorch.ts).

A long-lived child process speaking JSON lines: one request per stdin line, one reply per stdout line.
It prepares a workload (inputs made here with torch.rand of the same shapes, or the caller's values when
sent), then times it in its own loop: the same warm-up / run-count rules as the TypeScript `measure`,
each run being the op plus `.numpy()` of every output that the hypercolumn runner reads back.

Requests ({"id": n, "type": ...}):
  hello                                   -> torch version, mkldnn, threads, cores
  prepare  {workload, threads, inputs?}   -> {} or {"skip": reason}
  run      {session}                      -> {"output": [...]}  (first output, flattened; tests)
  measure  {session, threads, options}    -> {"times": [ms, ...]}
  dispose  {session}
Every reply is {"id": n, "ok": true, ...} or {"id": n, "ok": false, "error": text}.
"""
import base64
import json
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except Exception as err:  # noqa: BLE001 - any import failure means "no usable torch here"
    why = f"{type(err).__name__}: {err}"
    sys.stdout.write(json.dumps({"id": 0, "ok": False, "error": why}) + "\n")
    sys.stdout.flush()
    sys.stderr.write(why + "\n")
    sys.exit(3)

EPS = 1e-5
aten = torch.ops.aten
torch.set_grad_enabled(False)  # backward workloads call the backward kernels themselves, as autograd would


def tensor_of(inputs, name, shape, lo=-1.0, hi=1.0):
    """The caller's values when sent (base64 float32, NCHW), else uniform values of that shape."""
    if inputs and name in inputs:
        data = np.frombuffer(base64.b64decode(inputs[name]), dtype=np.float32).copy()
        return torch.from_numpy(data).reshape(shape)
    return torch.rand(shape) * (hi - lo) + lo


def conv_out(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


def plan(w, inputs):
    """A closure running the workload once (returning its outputs), or a string saying why not."""
    s = w["spec"]
    t = s["type"]
    if t == "conv":
        dims = s["dims"]
        xs, ws = s["x"], s["w"]
        stride, pad, groups = [s["stride"]] * dims, [s["pad"]] * dims, s["groups"]
        ys = [xs[0], ws[0]] + [conv_out(xs[2 + i], ws[2 + i], s["stride"], s["pad"]) for i in range(dims)]
        conv = F.conv1d if dims == 1 else F.conv2d
        if s["pass"] == "forward":
            x, wt = tensor_of(inputs, "x", xs), tensor_of(inputs, "w", ws)
            return lambda: [conv(x, wt, None, stride, pad, 1, groups)]
        # What autograd runs for conv backward: aten.convolution_backward with one output asked for.
        dil, outpad = [1] * dims, [0] * dims
        if s["pass"] == "backpropInput":
            dy, wt = tensor_of(inputs, "dy", ys), tensor_of(inputs, "w", ws)
            x = torch.empty(xs)  # only its shape is used
            return lambda: [aten.convolution_backward(dy, x, wt, None, stride, pad, dil, False, outpad, groups, [True, False, False])[0]]
        x, dy = tensor_of(inputs, "x", xs), tensor_of(inputs, "dy", ys)
        wt = torch.empty(ws)
        return lambda: [aten.convolution_backward(dy, x, wt, None, stride, pad, dil, False, outpad, groups, [False, True, False])[1]]
    if t in ("maxPool2d", "avgPool2d"):
        x = tensor_of(inputs, "x", s["x"])
        k, st, p = s["kernel"], s["stride"], s["pad"]
        if t == "maxPool2d":
            return lambda: [F.max_pool2d(x, k, st, p)]
        return lambda: [F.avg_pool2d(x, k, st, p, count_include_pad=True)]
    if t == "globalAvgPool":
        x = tensor_of(inputs, "x", s["x"])
        return lambda: [F.adaptive_avg_pool2d(x, 1)]
    if t == "norm":
        return plan_norm(s, inputs)
    if t == "train":
        return plan_train(s, inputs)
    return f"unknown workload type {t!r}"


def plan_norm(s, inputs):
    n, c, h, wd = s["x"]
    norm, backward = s["norm"], s["pass"] == "backward"
    x = tensor_of(inputs, "x", s["x"])
    dy = tensor_of(inputs, "dy", s["x"]) if backward else None
    if norm == "batchNorm":
        scale, offset = tensor_of(inputs, "scale", [c], 0.5, 1.5), tensor_of(inputs, "offset", [c])
        if not backward:
            mean, var = tensor_of(inputs, "mean", [c], -0.1, 0.1), tensor_of(inputs, "variance", [c], 0.5, 1.5)
            return lambda: [F.batch_norm(x, mean, var, scale, offset, False, 0.1, EPS)]
        _, save_mean, save_invstd = aten.native_batch_norm(x, scale, offset, None, None, True, 0.1, EPS)
        return lambda: list(aten.native_batch_norm_backward(dy, x, scale, None, None, save_mean, save_invstd, True, EPS, [True, True, True]))
    shape = [c, h, wd] if norm == "layerNorm" else [c]
    weight, bias = tensor_of(inputs, "weight", shape, 0.5, 1.5), tensor_of(inputs, "bias", shape)
    if norm == "layerNorm":
        if not backward:
            return lambda: [F.layer_norm(x, shape, weight, bias, EPS)]
        _, mean, rstd = aten.native_layer_norm(x, shape, weight, bias, EPS)
        return lambda: list(aten.native_layer_norm_backward(dy, x, shape, mean, rstd, weight, bias, [True, True, True]))
    if norm == "groupNorm":
        g = s["groups"]
        if not backward:
            return lambda: [F.group_norm(x, g, weight, bias, EPS)]
        _, mean, rstd = aten.native_group_norm(x, weight, bias, n, c, h * wd, g, EPS)
        return lambda: list(aten.native_group_norm_backward(dy, x, mean, rstd, weight, n, c, h * wd, g, [True, True, True]))
    if norm == "instanceNorm":
        if not backward:
            return lambda: [F.instance_norm(x, None, None, weight, bias, True, 0.1, EPS)]
        # F.instance_norm is batch norm over the [1, N·C, H, W] view with the affine repeated N times;
        # its backward is that batch-norm backward, then the affine gradients summed over the batch.
        xv, dyv, wrep, brep = x.reshape(1, n * c, h, wd), dy.reshape(1, n * c, h, wd), weight.repeat(n), bias.repeat(n)
        _, save_mean, save_invstd = aten.native_batch_norm(xv, wrep, brep, None, None, True, 0.1, EPS)

        def run():
            dx, dw, db = aten.native_batch_norm_backward(dyv, xv, wrep, None, None, save_mean, save_invstd, True, EPS, [True, True, True])
            return [dx.view(n, c, h, wd), dw.view(n, c).sum(0), db.view(n, c).sum(0)]

        return run
    return f"unknown norm {norm!r}"


def plan_train(s, inputs):
    """One SGD step of LeNet-5 (apps/train-mnist's 'lenet'), autograd on; the loss is the output."""
    from torch import nn

    n = s["batch"]
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = tensor_of(inputs, "x", [n, 1, 28, 28])
    labels = tensor_of(inputs, "labels", [n]).long() if inputs and "labels" in inputs else torch.randint(0, 10, (n,))

    def run():
        with torch.enable_grad():
            opt.zero_grad()
            loss = loss_fn(model(x), labels)
            loss.backward()
            opt.step()
        return [loss.detach().reshape(1)]

    return run


def read_back(outputs):
    """The readback every runner pays: each output as a host array (contiguous, as a JS Float32Array)."""
    return [np.ascontiguousarray(o.numpy()) for o in outputs]


def measure(run, o):
    """Mirror of `measure` in conformance/src/bench/runner.ts; returns every timed run in ms."""
    now = lambda: time.perf_counter() * 1000.0  # noqa: E731
    warm_start = now()
    first = None
    done = 0
    while done < o["warmup"] or (o.get("warmupMinMs") is not None and now() - warm_start < o["warmupMinMs"]):
        read_back(run())
        done += 1
        if first is None:
            first = now() - warm_start
        if o.get("warmupMaxMs") is not None and now() - warm_start >= o["warmupMaxMs"]:
            break
    budget = o.get("budgetMs")
    if budget is not None and first is not None and first * 3 > budget:
        return [first]
    min_runs = o["minRuns"]
    if budget is not None and first is not None and first * min_runs > budget:
        min_runs = min(min_runs, max(3, int(budget // first)))
    times, spent = [], 0.0
    while len(times) < min_runs or (spent < o["minTimeMs"] and len(times) < o["maxRuns"]):
        t0 = now()
        read_back(run())
        dt = now() - t0
        times.append(dt)
        spent += dt
    return times


def main():
    sessions = {}
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        reply = {"id": req.get("id"), "ok": True}
        try:
            kind = req["type"]
            if kind == "hello":
                reply.update(torch=torch.__version__, mkldnn=bool(torch.backends.mkldnn.is_available()),
                             threads=torch.get_num_threads(), cores=os.cpu_count(), python=sys.version.split()[0])
            elif kind == "prepare":
                torch.set_num_threads(req["threads"])
                run = plan(req["workload"], req.get("inputs"))
                if isinstance(run, str):
                    reply["skip"] = run
                else:
                    t0 = time.perf_counter()
                    read_back(run())  # fails here, not while timing
                    reply["firstMs"] = (time.perf_counter() - t0) * 1000.0
                    sessions[req["session"]] = run
            elif kind == "run":
                reply["output"] = read_back(sessions[req["session"]]())[0].reshape(-1).tolist()
            elif kind == "measure":
                torch.set_num_threads(req["threads"])
                reply["times"] = measure(sessions[req["session"]], req["options"])
            elif kind == "dispose":
                sessions.pop(req["session"], None)
            else:
                raise ValueError(f"unknown request type {kind!r}")
        except Exception as err:  # noqa: BLE001 - reported to the caller, the process keeps serving
            reply = {"id": req.get("id"), "ok": False, "error": f"{type(err).__name__}: {err}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
