"""LeNet-5 training throughput in PyTorch: the peer of `train-mnist bench` (src/pytorch-lenet.ts).

A child process speaking JSON lines (one request per stdin line, one reply per stdout line), so that the
benchmark can alternate rounds of PyTorch steps with rounds of hypercolumn steps:
  {"type": "init", "batches": path, "count": c, "batchSize": n, "threads": [1, 2], "warmup": w,
   "lr": 0.05, "momentum": 0.9, "seed": 1}
      -> {"ok": true, "torch": version, "mkldnn": bool}; one model per thread count, each warmed up w steps
  {"type": "steps", "threads": t, "n": k} -> {"ok": true, "times": [ms, ...], "losses": [...]}
  the file: c batches, each n·784 float32 images (standardised, NCHW with C = 1) then n int32 labels
Errors: {"ok": false, "error": text}. Without torch the first line says so and the process exits.
The same LeNet-5 as apps/train-mnist/src/models.ts ('lenet'), PyTorch's default initialisation, SGD with
momentum, cross-entropy; each timed step is zero_grad, forward, loss, backward, step and `loss.item()`
(the readback that ends hypercolumn's step too). A model's step k trains on batch k mod c.
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


class Trainer:
    """One model and optimiser at one thread count, stepping through the batches."""

    def __init__(self, req, batches, threads):
        self.threads, self.batches, self.k = threads, batches, 0
        torch.set_num_threads(threads)
        torch.manual_seed(req.get("seed", 1))
        self.model = lenet()
        self.model.train()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=req["lr"], momentum=req["momentum"])
        self.loss_fn = nn.CrossEntropyLoss()

    def steps(self, n):
        torch.set_num_threads(self.threads)
        times, losses = [], []
        for _ in range(n):
            x, y = self.batches[self.k % len(self.batches)]
            self.k += 1
            t0 = time.perf_counter()
            self.opt.zero_grad()
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.opt.step()
            losses.append(loss.item())
            times.append((time.perf_counter() - t0) * 1000.0)
        return times, losses


def main():
    trainers = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if req["type"] == "init":
                batches = load(req["batches"], req["count"], req["batchSize"])
                trainers = {t: Trainer(req, batches, t) for t in req["threads"]}
                for tr in trainers.values():
                    tr.steps(req["warmup"])
                reply = {"ok": True, "torch": torch.__version__, "mkldnn": bool(torch.backends.mkldnn.is_available())}
            elif req["type"] == "steps":
                times, losses = trainers[req["threads"]].steps(req["n"])
                reply = {"ok": True, "times": times, "losses": losses}
            else:
                raise ValueError(f"unknown request type {req['type']!r}")
        except Exception as err:  # noqa: BLE001 - reported to the caller, the process keeps serving
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
