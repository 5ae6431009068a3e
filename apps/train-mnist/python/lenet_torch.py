"""LeNet-5 training throughput in PyTorch: the peer of `train-mnist bench` (src/pytorch-lenet.ts).

Reads one JSON request on stdin, trains, writes one JSON reply on stdout:
  request: {"batches": path, "count": steps in the file, "batchSize": n, "warmup": w, "steps": s,
            "threads": [1, 2], "lr": 0.05, "momentum": 0.9, "seed": 1}
  the file: `count` batches, each n·784 float32 images (standardised, NCHW with C = 1) then n int32 labels
  reply:   {"ok": true, "torch": version, "mkldnn": bool, "runs": [{"threads": t, "times": [ms...], "losses": [...]}]}
           or {"ok": false, "error": text}
The same LeNet-5 as apps/train-mnist/src/models.ts ('lenet'), PyTorch's default initialisation, SGD with
momentum, cross-entropy; each timed step is zero_grad, forward, loss, backward, step and `loss.item()`
(the readback that ends hypercolumn's step too). Step k trains on batch k mod count.
"""
import json
import sys
import time

try:
    import numpy as np
    import torch
    from torch import nn
except Exception as err:  # noqa: BLE001 - any import failure means "no usable torch here"
    print(json.dumps({"ok": False, "error": f"{type(err).__name__}: {err}"}), flush=True)
    sys.exit(3)


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def load(path, count, n):
    raw = np.fromfile(path, dtype=np.uint8)
    per = n * 784 * 4 + n * 4
    if raw.size != count * per:
        raise ValueError(f"batch file has {raw.size} bytes, expected {count} × {per}")
    batches = []
    for k in range(count):
        chunk = raw[k * per:(k + 1) * per]
        x = torch.from_numpy(chunk[: n * 784 * 4].view(np.float32).copy()).reshape(n, 1, 28, 28)
        y = torch.from_numpy(chunk[n * 784 * 4:].view(np.int32).astype(np.int64))
        batches.append((x, y))
    return batches


def train(req, batches, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(req.get("seed", 1))
    model = lenet()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=req["lr"], momentum=req["momentum"])
    loss_fn = nn.CrossEntropyLoss()
    times, losses = [], []
    for k in range(req["warmup"] + req["steps"]):
        x, y = batches[k % len(batches)]
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        value = loss.item()
        dt = (time.perf_counter() - t0) * 1000.0
        if k >= req["warmup"]:
            times.append(dt)
        losses.append(value)
    return {"threads": threads, "times": times, "losses": losses}


def main():
    try:
        req = json.loads(sys.stdin.readline())
        batches = load(req["batches"], req["count"], req["batchSize"])
        runs = [train(req, batches, t) for t in req["threads"]]
        reply = {"ok": True, "torch": torch.__version__, "mkldnn": bool(torch.backends.mkldnn.is_available()), "runs": runs}
    except Exception as err:  # noqa: BLE001 - reported to the caller
        reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
