"""Snapshots of weights and optimizer state (the spike guard's and the NaN loss's way back)."""
import torch

from Miniproject_2.others import Adam, Conv2d
from Miniproject_2.others.denoiser.snapshot import Snapshots, copy_state


def test_copy_state_clones_every_tensor_at_any_depth():
    a, b = torch.ones(2), torch.zeros(3)
    state = {"x": a, "nested": [({"y": b}, 4)], "lr": 0.1}
    copied = copy_state(state)
    a.add_(1), b.add_(1)
    assert copied["x"].tolist() == [1, 1] and copied["nested"][0][0]["y"].tolist() == [0, 0, 0]
    assert isinstance(copied["nested"][0], tuple) and copied["nested"][0][1] == 4 and copied["lr"] == 0.1


def train_steps(net, optimizer, snapshots, count):
    """``count`` updates with random gradients, a snapshot offered before each; return the weights before each."""
    before = []
    for _ in range(count):
        before.append([p.clone() for p, _ in net.param()])
        optimizer.zero_grad()
        for _, g in net.param():
            g.normal_()
        snapshots.take(net, optimizer)
        optimizer.step()
    return before


def test_restore_puts_back_the_older_of_the_last_two_snapshots_weights_and_moments():
    torch.manual_seed(0)
    net = Conv2d(3, 4, 3)
    optimizer, snapshots = Adam(net.param(), lr=0.1), Snapshots(every=4)
    assert not snapshots.restore(net, optimizer)  # nothing taken yet: nothing changes
    before = train_steps(net, optimizer, snapshots, 10)  # snapshots before updates 1, 5 and 9
    optimizer.lr = 0.01
    assert snapshots.restore(net, optimizer)
    for (p, _), kept in zip(net.param(), before[4]):
        torch.testing.assert_close(p, kept, rtol=0, atol=0)
    assert optimizer.state_dict()["state"][0]["step"] == 4 and optimizer.lr == 0.01
    train_steps(net, optimizer, snapshots, 2)  # updates the restored state in place, not the snapshot
    assert snapshots.restore(net, optimizer)  # the same snapshot again, not a later one
    for (p, _), kept in zip(net.param(), before[4]):
        torch.testing.assert_close(p, kept, rtol=0, atol=0)


def test_a_snapshot_every_update_goes_back_two_updates():
    torch.manual_seed(0)
    net = Conv2d(2, 2, 1)
    optimizer, snapshots = Adam(net.param()), Snapshots(every=1)
    before = train_steps(net, optimizer, snapshots, 5)
    snapshots.restore(net, optimizer)
    for (p, _), kept in zip(net.param(), before[3]):
        torch.testing.assert_close(p, kept, rtol=0, atol=0)
