"""CosineAnnealingLR against torch.optim.lr_scheduler.CosineAnnealingLR."""
import pytest
import torch

from Miniproject_2.others import SGD, Adam, CosineAnnealingLR


def params():
    return [(torch.zeros(2), torch.zeros(2))]


@pytest.mark.parametrize("lr, T_max, eta_min", [(1e-3, 10, 0.0), (0.5, 7, 1e-3), (2e-3, 1, 0.0)])
def test_cosine_matches_torch_step_by_step(lr, T_max, eta_min):
    ours = CosineAnnealingLR(Adam(params(), lr=lr), T_max, eta_min)
    optimizer = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=lr)
    theirs = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min)
    for step in range(T_max):
        optimizer.step()
        ours.step()
        theirs.step()
        assert ours.optimizer.lr == pytest.approx(theirs.get_last_lr()[0], rel=1e-12, abs=1e-15), step
    assert ours.finished() and ours.optimizer.lr == pytest.approx(eta_min, abs=1e-15)


def test_state_dict_round_trip_continues_the_schedule():
    first = CosineAnnealingLR(SGD(params(), lr=1.0), 8, 0.1)
    for _ in range(3):
        first.step()
    second = CosineAnnealingLR(SGD(params(), lr=5.0), 2)
    second.load_state_dict(first.state_dict())
    assert second.optimizer.lr == first.optimizer.lr
    first.step()
    second.step()
    assert second.optimizer.lr == first.optimizer.lr and not second.finished()


@pytest.mark.parametrize("kwargs, words", [(dict(T_max=0), "T_max"), (dict(T_max=3, eta_min=-1), "eta_min"),
                                           (dict(T_max=2.5), "T_max")])
def test_bad_arguments_are_named(kwargs, words):
    with pytest.raises((ValueError, TypeError), match=words):
        CosineAnnealingLR(SGD(params(), lr=1.0), **kwargs)


def test_optimizer_without_lr_is_refused():
    with pytest.raises(TypeError, match="lr"):
        CosineAnnealingLR(object(), 3)
