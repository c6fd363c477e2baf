"""The correctness oracle: torch.autograd in float64 against a from-scratch module's forward and backward."""
import weakref
from contextlib import contextmanager

import pytest
import torch

from Miniproject_2.others import SGD
from Miniproject_2.others.kernels import conv_ops, shifted

DTYPES = (torch.float32, torch.float64)
# Tolerances against the float64 oracle: float64 should agree to rounding; float32 to its precision.
TOL = {torch.float64: dict(rtol=1e-10, atol=1e-12), torch.float32: dict(rtol=1e-4, atol=1e-5)}


def assert_close(actual, expected, dtype, what):
    """Assert ``actual`` (in ``dtype``) equals the float64 ``expected`` within that dtype's tolerance."""
    assert actual.dtype == dtype, f"{what}: dtype {actual.dtype}, expected {dtype}"
    assert tuple(actual.shape) == tuple(expected.shape), f"{what}: shape {tuple(actual.shape)} vs {tuple(expected.shape)}"
    tolerance = dict(TOL[dtype])
    if dtype == torch.float32 and expected.numel():
        # float32 rounding of a sum scales with its terms, not with its result (a weight gradient that sums
        # hundreds of products of order 1 may cancel to 0.01): the absolute tolerance grows with the largest value.
        tolerance["atol"] *= max(1.0, expected.abs().max().item())
    torch.testing.assert_close(actual.double(), expected.double(), msg=lambda m: f"{what}: {m}", **tolerance)


def check_module(module, reference, x, dtype=torch.float64, params=("weight", "bias"), seed=0):
    """Compare output, input gradient and parameter gradients of ``module`` with autograd.

    Args:
        module: a from-scratch module (its parameters are cast to ``dtype``).
        reference: ``reference(x, *params)`` built from torch functions, differentiated by autograd.
        x: float64 input.
        dtype: the dtype the module runs in.
        params: dotted names of the parameters passed to ``reference``; absent ones are passed as None.
    """
    module.to(dtype)
    x = x.to(dtype).double()  # the oracle sees exactly the values the module sees
    tensors = [module.state_dict().get(name) for name in params]  # None: bias=False
    leaves = [None if t is None else t.detach().double().requires_grad_() for t in tensors]
    x64 = x.detach().double().requires_grad_()
    with torch.enable_grad():
        expected = reference(x64, *leaves)
        upstream = torch.randn(expected.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        upstream = upstream.to(dtype).double()
        expected.backward(upstream)
    out = module.forward(x.detach().to(dtype))
    assert out.grad_fn is None, "the framework must not build an autograd graph"
    assert_close(out, expected.detach(), dtype, "output")
    grad_in = module.backward(upstream.to(dtype))
    assert_close(grad_in, x64.grad, dtype, "input gradient")
    for name, leaf in zip(params, leaves):
        if leaf is not None:
            assert_close(module.grad(name), leaf.grad, dtype, f"gradient of {name}")
    return out


def assert_follows_moved_parameters(module, reference, x, params=("weight", "bias")):
    """``check_module`` once the parameters' memory has moved under views the module cached (``view_of``): the
    optimizer packing them into one buffer (``Tensor.set_``), then ``Module.to``; with an update in between, so
    that a stale view would read old values. The module must take input gradients.
    """
    module.backward(torch.ones_like(module.forward(x.float())))
    optimizer = SGD(module.param(), lr=0.5)
    assert optimizer._packed is not None
    generator = torch.Generator().manual_seed(0)
    for _, gradient in module.param():
        gradient.copy_(torch.randn(gradient.shape, generator=generator))
    optimizer.step()
    module.zero_grad()
    check_module(module, reference, x, torch.float32, params)
    module.zero_grad()
    check_module(module, reference, x, torch.float64, params)


def assert_backward_accumulates(module, x, seed=0):
    """``backward`` adds to gradients already there: onto random ones, it must give them plus a fresh module's.

    Every kernel path accumulates its own way (an accumulating GEMM, an addition), and the oracle tests start
    from zero gradients, where overwriting and adding agree.
    """
    generator = torch.Generator().manual_seed(seed)
    out = module.forward(x)
    g = torch.randn(out.shape, generator=generator, dtype=out.dtype)
    module.zero_grad()
    module.backward(g)
    fresh = [gradient.clone() for _, gradient in module.param()]
    before = [torch.randn(gradient.shape, generator=generator, dtype=gradient.dtype) for gradient in fresh]
    for (_, gradient), start in zip(module.param(), before):
        gradient.copy_(start)
    module.forward(x)
    module.backward(g)
    for (_, gradient), start, once in zip(module.param(), before, fresh):
        assert once.abs().sum() > 0
        torch.testing.assert_close(gradient, start + once, rtol=1e-12, atol=1e-12)


def check_network(net, twin, x, dtype=torch.float64, seed=0):
    """Compare a from-scratch network with a torch.nn ``twin`` of the same parameter names, via autograd.

    The twin gets the network's weights in float64; output, input gradient and every parameter gradient
    of ``net`` (run in ``dtype``) must match.
    """
    net.to(dtype)
    twin = twin.double()
    with torch.no_grad():
        twin.load_state_dict({k: v.double() for k, v in net.state_dict().items()})
    x = x.to(dtype).double()
    x64 = x.clone().requires_grad_()
    with torch.enable_grad():
        expected = twin(x64)
        upstream = torch.randn(expected.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        upstream = upstream.to(dtype).double()
        expected.backward(upstream)
    out = net.forward(x.to(dtype))
    assert_close(out, expected.detach(), dtype, "output")
    assert_close(net.backward(upstream.to(dtype)), x64.grad, dtype, "input gradient")
    grads = dict(twin.named_parameters())
    assert sorted(grads) == sorted(net.state_dict()), "parameter names differ"
    for name, p in grads.items():
        assert_close(net.grad(name), p.grad, dtype, f"gradient of {name}")


def assert_backward_refuses_inplace_change(module, x):
    """``module.backward`` must raise once its forward input has been modified in place."""
    out = module.forward(x)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified in place"):
        module.backward(torch.ones_like(out))


@contextmanager
def grid_kernels_for_any_size():
    """Let small tensors take the shifted-view kernels (shifted.py, phases.py), which run only on large ones."""
    saved = shifted.MIN_VALUES
    shifted.MIN_VALUES = 0
    conv_ops.SHARED.clear()  # the layers' forward plans were decided under the old threshold
    try:
        yield
    finally:
        shifted.MIN_VALUES = saved
        conv_ops.SHARED.clear()


@contextmanager
def kept_columns_up_to(limit):
    """Keep forward columns for the weight gradient only up to ``limit`` values (0: always rebuild them)."""
    saved = conv_ops.KEEP, conv_ops.KEEP_SMALL
    conv_ops.KEEP, conv_ops.KEEP_SMALL = limit, min(limit, conv_ops.KEEP_SMALL)
    conv_ops.SHARED.clear()  # the layers' forward plans were decided under the old thresholds
    try:
        yield
    finally:
        conv_ops.KEEP, conv_ops.KEEP_SMALL = saved
        conv_ops.SHARED.clear()


@contextmanager
def planned(plans, enabled, monkeypatch):
    """Run with the plans of the classes ``plans`` (``fused.FusedPlan``, ``conv_plan.ConvPlan``,
    ``conv_ops.InputGradPlan``, ...) as they are, or with every one refused (planned afresh at every call)."""
    for plan in plans if not enabled else ():
        for name in ("valid", "backward_valid"):
            if hasattr(plan, name):
                monkeypatch.setattr(plan, name, lambda *args: False)
    conv_ops.SHARED.clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        conv_ops.SHARED.clear()


def trajectory(make_block, shape, events, dtype, needs_input_grad):
    """Train ``make_block()`` through ``events`` with SGD and return every output, input gradient and parameter.

    Events: a batch size (one training step on random images of ``shape`` (C, H, W)), "eval" (a pass in eval
    mode), "scribble" (NaN over all scratch memory), "to" (the parameters moved to another dtype and back).
    """
    torch.manual_seed(0)
    block = make_block().to(dtype).requires_input_grad_(needs_input_grad)
    optimizer = SGD(block.param(), lr=0.1, momentum=0.5)
    generator = torch.Generator().manual_seed(1)
    seen = []
    for event in events:
        if event == "eval":
            block.eval()
            seen.append(block.forward(torch.randn((2,) + shape, generator=generator, dtype=dtype)))
            block.train()
            continue
        if event == "scribble":  # NaN over the scratch memory, which pops every zero border the plans rely on
            for workspace in (conv_ops.SHARED, getattr(block, "conv", block)._own()):
                for (role, _, _), flat in workspace.buffers.items():
                    workspace.get(role, (flat.numel(),), flat).fill_(float("nan"))
            continue
        if event == "to":
            block.to(torch.float64 if dtype == torch.float32 else torch.float32).to(dtype)
            continue
        x = torch.randn((event,) + shape, generator=generator, dtype=dtype)
        optimizer.zero_grad()
        out = block.forward(x)
        grad_in = block.backward(torch.randn(out.shape, generator=generator, dtype=dtype))
        optimizer.step()
        seen += [out] + ([grad_in] if needs_input_grad else []) + [p.clone() for p, _ in block.param()]
    return seen


def run_passes(block, x, times=3):
    """Run forward and backward on ``x`` ``times`` times (the later passes from the block's plans)."""
    for _ in range(times):
        block.backward(torch.ones_like(block.forward(x)))


def assert_clear_releases_the_plans(block, x):
    """Workspace.clear (as Model does after training) must free the scratch memory the plans' views read, at once
    (no reference cycle through the plans)."""
    run_passes(block, x)
    spaces = (getattr(block, "conv", block)._own(), conv_ops.SHARED)
    buffers = [weakref.ref(flat) for workspace in spaces for flat in workspace.buffers.values()]
    del spaces  # held here, the layer's Workspace would keep its buffers
    block.eval()  # drops the saved context, which holds the kept columns
    conv_ops.SHARED.clear()
    assert buffers and all(buffer() is None for buffer in buffers)
