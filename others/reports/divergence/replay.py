"""Replay a ``bin/train`` run up to its first loss spike and ask whether the framework or the recipe is to blame.

    python others/reports/divergence/replay.py --seed 2 > others/reports/divergence/seed-2.txt

Trains as ``bin/train --seed N --batch-size 8 --threads 1`` does (same data, seed, schedule and order of random
draws, hence the same steps) until ``Model``'s spike guard fires, keeping the state before each of the last
``--keep`` steps (weights, Adam moments, rate, batch). Then:
1. the gradient of the last updates, ours against torch.autograd in float64 and float32, from the same weights;
2. our Adam update against ``torch.optim.Adam`` from the same weights, moments and gradient;
3. the PyTorch twin (torch.nn + autograd + torch.optim.Adam) from the oldest kept state over the same batches.
"""
import argparse
import collections
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from Miniproject_2.model import Model  # noqa: E402
from Miniproject_2.others import MSE  # noqa: E402
from others import standin  # noqa: E402
from others.twin import twin_of  # noqa: E402


class Spike(Exception):
    """Raised by the guard's rollback: the replay stops there."""


def run_to_spike(seed, keep):
    """Train like bin/train until the guard fires; return (model, the states before the last ``keep`` steps)."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    data = standin.load(standin.ensure(standin.DEVELOP_DATA))
    model = Model()
    model.configure(None, batch_size=8)
    model.plan(10, data[0].shape[0])
    states, real_step = collections.deque(maxlen=keep), model._step

    def step(x, y):
        optimizer = model.optimizer
        states.append({"step": optimizer._flat_state.get("step", 0), "lr": optimizer.lr,
                       "weights": [p.clone() for p, _ in model.net.param()], "x": x.clone(), "y": y.clone(),
                       "moments": {k: v.clone() for k, v in optimizer._flat_state.items() if torch.is_tensor(v)}})
        states[-1]["loss"] = real_step(x, y)
        return states[-1]["loss"]

    def roll_back(loss):
        states[-1]["loss"] = loss
        raise Spike

    model._step, model._roll_back = step, roll_back
    for epoch in range(10):
        try:
            model.train(data[0], data[1], 1)
        except Spike:
            return model, list(states)
    sys.exit("no spike in 10 epochs")


def our_gradients(net, state):
    for (p, g), w in zip(net.param(), state["weights"]):
        p.copy_(w)
        g.zero_()
    loss = MSE()
    loss.forward(net.forward(state["x"]), state["y"])
    net.backward(loss.backward())
    return [g.clone() for _, g in net.param()]


def twin_of_state(net, architecture, state, dtype):
    twin = twin_of(net, architecture).to(dtype)
    with torch.no_grad():
        for p, w in zip(twin.parameters(), state["weights"]):
            p.copy_(w)
    return twin


def autograd_gradients(twin, state, dtype):
    twin.zero_grad()
    with torch.enable_grad():
        torch.nn.functional.mse_loss(twin(state["x"].to(dtype)), state["y"].to(dtype)).backward()
    return [p.grad.clone() for p in twin.parameters()]


def worst_relative_error(ours, exact):
    return max(((a.double() - b).norm() / b.norm()).item() for a, b in zip(ours, exact))


def torch_adam(params, state):
    """torch.optim.Adam holding copies of the kept moments of ``state`` for ``params`` (its load_state_dict
    keeps a tensor that already has the parameter's dtype, and the steps would then change the kept state)."""
    optimizer = torch.optim.Adam(params, lr=state["lr"])
    saved, offset, per_parameter = optimizer.state_dict(), 0, {}
    for index, p in enumerate(params):
        size = p.numel()
        per_parameter[index] = {"step": torch.tensor(float(state["step"])),
                                **{k: v[offset:offset + size].view(p.shape).to(p.dtype, copy=True)
                                   for k, v in state["moments"].items()}}
        offset += size
    saved["state"] = per_parameter
    optimizer.load_state_dict(saved)
    return optimizer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--keep", type=int, default=40, help="steps kept before the spike (default: %(default)s)")
    args = parser.parse_args()
    model, states = run_to_spike(args.seed, args.keep)
    net, architecture = model.net, model.architecture
    spike = states[-1]
    print(f"seed {args.seed}: the guard fired at step {spike['step'] + 1} (loss {spike['loss']:.5f}); the losses "
          f"of the {len(states)} steps before it, ours: {[round(s['loss'], 5) for s in states]}")
    print("\n1. gradients from the same weights, worst relative error over the parameters against float64 autograd")
    for state in states[-4:]:
        ours = our_gradients(net, state)
        exact = autograd_gradients(twin_of_state(net, architecture, state, torch.float64), state, torch.float64)
        single = autograd_gradients(twin_of_state(net, architecture, state, torch.float32), state, torch.float32)
        print(f"   step {state['step'] + 1}: ours {worst_relative_error(ours, exact):.1e}, "
              f"autograd in float32 {worst_relative_error(single, exact):.1e}")
    before, after = states[-2], states[-1]
    params = [w.clone() for w in before["weights"]]
    optimizer = torch_adam(params, before)
    for p, g in zip(params, our_gradients(net, before)):
        p.grad = g
    optimizer.step()
    difference = max((p - w).abs().max().item() for p, w in zip(params, after["weights"]))
    print(f"\n2. torch.optim.Adam from the state before step {before['step'] + 1} with our gradient: largest "
          f"difference from our updated weights {difference:.1e}")
    for dtype in (torch.float32, torch.float64):
        twin = twin_of_state(net, architecture, states[0], dtype)
        params = list(twin.parameters())
        optimizer, losses = torch_adam(params, states[0]), []
        for state in states:
            optimizer.param_groups[0]["lr"] = state["lr"]
            optimizer.zero_grad()
            with torch.enable_grad():
                loss = torch.nn.functional.mse_loss(twin(state["x"].to(dtype)), state["y"].to(dtype))
                loss.backward()
            optimizer.step()
            losses.append(round(loss.item(), 5))
        print(f"\n3. the twin in {str(dtype)[6:]} from our state before step {states[0]['step'] + 1}, over the same "
              f"batches: {losses}")


if __name__ == "__main__":
    main()
