"""SGD and Adam: 20-step trajectories equal to torch.optim's."""
import pytest
import torch

from Miniproject_2.others import SGD, Adam

STEPS = 20


def trajectories(make_ours, make_theirs, seed=0):
    """Run both optimizers for STEPS steps on the same quadratic-plus-quartic loss; return both parameter lists."""
    gen = torch.Generator().manual_seed(seed)
    start = [torch.randn(4, 3, generator=gen, dtype=torch.float64), torch.randn(5, generator=gen, dtype=torch.float64)]
    targets = [torch.randn(p.shape, generator=gen, dtype=torch.float64) for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    ours = [p.clone() for p in start]
    grads = [torch.zeros_like(p) for p in ours]
    opt_theirs, opt_ours = make_theirs(theirs), make_ours(list(zip(ours, grads)))
    for _ in range(STEPS):
        opt_theirs.zero_grad()
        with torch.enable_grad():
            sum(((p - t) ** 2).sum() + (p ** 4).sum() * 0.1 for p, t in zip(theirs, targets)).backward()
        opt_theirs.step()
        opt_ours.zero_grad()
        for p, g, t in zip(ours, grads, targets):
            g += 2 * (p - t) + 0.4 * p ** 3  # the same loss's gradient, written out
        opt_ours.step()
    return ours, [p.detach() for p in theirs]


SGD_CASES = [dict(lr=0.05), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, dampening=0.3),
             dict(lr=0.05, momentum=0.9, nesterov=True), dict(lr=0.05, weight_decay=0.1),
             dict(lr=0.03, momentum=0.5, weight_decay=0.01, nesterov=True)]


@pytest.mark.parametrize("kwargs", SGD_CASES)
def test_sgd_trajectory_equals_torch(kwargs):
    ours, theirs = trajectories(lambda p: SGD(p, **kwargs), lambda p: torch.optim.SGD(p, **kwargs))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.01), dict(lr=0.02, betas=(0.8, 0.99)),
                                    dict(lr=0.01, eps=1e-4, weight_decay=0.05)])
def test_adam_trajectory_equals_torch(kwargs):
    ours, theirs = trajectories(lambda p: Adam(p, **kwargs), lambda p: torch.optim.Adam(p, **kwargs))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_trajectories_actually_move():
    ours, _ = trajectories(lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05))
    gen = torch.Generator().manual_seed(0)
    assert not torch.equal(ours[0], torch.randn(4, 3, generator=gen, dtype=torch.float64))


@pytest.mark.parametrize("make, words", [
    (lambda p: SGD(p, lr=-1), "lr"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), "momentum"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "nesterov"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), r"betas\[1\]"),
    (lambda p: Adam(p, betas=0.9), "betas"),
    (lambda p: Adam(p, eps="1e-8"), "eps"),
    (lambda p: SGD([], lr=0.1), "empty"),
    (lambda p: SGD([torch.zeros(2)], lr=0.1), "pair"),
])
def test_bad_arguments_are_named(make, words):
    with pytest.raises((ValueError, TypeError), match=words):
        make([(torch.zeros(2), torch.zeros(2))])


def test_zero_grad_clears_gradients():
    p, g = torch.ones(3), torch.ones(3)
    SGD([(p, g)], lr=0.1).zero_grad()
    assert g.abs().sum() == 0


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.05, momentum=0.9), lambda p: Adam(p, lr=0.01)])
def test_state_dict_resumes_the_same_trajectory(make):
    """Stopping after 7 steps and resuming from state_dict() gives the uninterrupted run's parameters."""
    def steps(optimizer, p, g, count):
        for _ in range(count):
            optimizer.zero_grad()
            g += 2 * p - 1 + p ** 3
            optimizer.step()

    gen = torch.Generator().manual_seed(3)
    start = torch.randn(6, generator=gen, dtype=torch.float64)
    p1, g1 = start.clone(), torch.zeros(6, dtype=torch.float64)
    steps(make([(p1, g1)]), p1, g1, 12)
    p2, g2 = start.clone(), torch.zeros(6, dtype=torch.float64)
    first = make([(p2, g2)])
    steps(first, p2, g2, 7)
    saved = {"hyper": first.state_dict()["hyper"],
             "state": [{k: v.clone() if torch.is_tensor(v) else v for k, v in s.items()}
                       for s in first.state_dict()["state"]]}
    p3, g3 = p2.clone(), torch.zeros(6, dtype=torch.float64)
    resumed = make([(p3, g3)])
    resumed.lr = 123.0  # overwritten by the restored hyper-parameters
    resumed.load_state_dict(saved)
    steps(resumed, p3, g3, 5)
    torch.testing.assert_close(p3, p1, rtol=0, atol=0)
    with pytest.raises(ValueError, match="state is for 1 parameters"):
        make([(p3, g3), (p3.clone(), g3.clone())]).load_state_dict(saved)


def _network_pairs(seed=0):
    from Miniproject_2.others import Conv2d, ReLU, Sequential
    torch.manual_seed(seed)
    return Sequential(Conv2d(3, 4, 3, padding=1), ReLU(), Conv2d(4, 2, 1)).to(dtype=torch.float64)


def _train(net, optimizer, steps=5):
    gen = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randn(2, 3, 5, 5, generator=gen, dtype=torch.float64)
        optimizer.zero_grad()
        net.backward(2 * net.forward(x))
        optimizer.step()


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
                                  lambda p: Adam(p, lr=0.01, weight_decay=0.01)])
def test_packed_steps_equal_one_update_per_parameter(make, monkeypatch):
    """The flat buffers hold the module's own parameters, and one flat update equals the per-parameter ones."""
    from Miniproject_2.others import optim
    packed_net = _network_pairs()
    packed = make(packed_net.param())
    flat_parameters, flat_gradients = packed._packed
    for p, g in packed_net.param():
        assert p.untyped_storage().data_ptr() == flat_parameters.untyped_storage().data_ptr()
        assert g.untyped_storage().data_ptr() == flat_gradients.untyped_storage().data_ptr()
    monkeypatch.setattr(optim, "pack", lambda pairs: None)
    plain_net = _network_pairs()
    plain = make(plain_net.param())
    assert plain._packed is None
    _train(packed_net, packed)
    _train(plain_net, plain)
    for (a, _), (b, _) in zip(packed_net.param(), plain_net.param()):
        assert torch.equal(a, b)
    for mine, theirs in zip(packed.state_dict()["state"], plain.state_dict()["state"]):
        assert mine.keys() == theirs.keys()
        for key in mine:
            assert torch.equal(torch.as_tensor(mine[key]), torch.as_tensor(theirs[key]))


def test_state_dict_moves_between_packed_and_unpacked_optimizers(monkeypatch):
    from Miniproject_2.others import optim
    net = _network_pairs()
    first = Adam(net.param(), lr=0.01)
    _train(net, first)
    saved = {"hyper": first.state_dict()["hyper"],
             "state": [{k: v.clone() if torch.is_tensor(v) else v for k, v in s.items()}
                       for s in first.state_dict()["state"]]}
    reference = _network_pairs()
    reference.load_state_dict(net.state_dict())
    _train(net, first)
    monkeypatch.setattr(optim, "pack", lambda pairs: None)
    unpacked = Adam(reference.param())
    unpacked.load_state_dict(saved)
    _train(reference, unpacked)
    for (a, _), (b, _) in zip(net.param(), reference.param()):
        assert torch.equal(a, b)


def test_a_parameter_moved_after_packing_is_still_updated():
    """Module.to replaces the tensors' data: the optimizer notices and goes back to one update per parameter."""
    net = _network_pairs()
    optimizer = SGD(net.param(), lr=0.1)
    assert optimizer._packed is not None
    net.to(dtype=torch.float32)
    before = [p.clone() for p, _ in net.param()]
    for _, g in net.param():
        g.fill_(1)
    optimizer.step()
    assert optimizer._packed is None
    for (p, _), old in zip(net.param(), before):
        torch.testing.assert_close(p, old - 0.1)


@pytest.mark.parametrize("pairs", [
    lambda: [(torch.zeros(3), torch.zeros(3)), (torch.zeros(2, dtype=torch.float64), torch.zeros(2))],
    lambda: [(torch.zeros(4, 2)[:, 0], torch.zeros(4))],  # a view of a larger tensor
    lambda: (lambda t: [(t, torch.zeros(3)), (t, torch.zeros(3))])(torch.zeros(3)),  # one tensor twice
])
def test_pack_refuses_tensors_that_cannot_share_a_buffer(pairs):
    from Miniproject_2.others import optim
    given = pairs()
    storages = [t.untyped_storage().data_ptr() for pair in given for t in pair]
    assert optim.pack(given) is None
    assert [t.untyped_storage().data_ptr() for pair in given for t in pair] == storages
