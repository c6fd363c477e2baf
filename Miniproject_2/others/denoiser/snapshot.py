"""Snapshots of the weights and the optimizer's state, to go back to when training goes wrong."""
from ..checks import is_tensor


def copy_state(value):
    """A copy of ``value`` in which every tensor, however deep in dicts, lists and tuples, is cloned."""
    if is_tensor(value):
        return value.clone()
    if isinstance(value, dict):
        return {key: copy_state(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(copy_state(item) for item in value)
    return value


class Snapshots:
    """The weights and optimizer state before every ``every``-th update; the older of the last two to go back to.

    Why two and the older: a run does not always blow up in one update. With the shipped recipe (seed 0, 20
    epochs) the validation PSNR fell from 28.8 to 27.0 dB over the ~130 updates before the batch whose loss
    set the spike guard off, and to 18 dB in the last five, so the weights from just before the last update were
    already far down that slide (docs/model.md, "Divergence"). The older snapshot is ``every + 1`` to ``2 * every``
    updates old.

    Args:
        every: updates from one snapshot to the next.
    """

    def __init__(self, every):
        self.every, self.updates, self.kept = every, 0, []

    def take(self, net, optimizer):
        """Call before every update of ``net``'s parameters: every ``every``-th time, keep a copy of the state."""
        if self.updates % self.every == 0:
            state = ([p.clone() for p, _ in net.param()], copy_state(optimizer.state_dict()))
            self.kept = (self.kept + [state])[-2:]
        self.updates += 1

    def restore(self, net, optimizer):
        """Put the weights and optimizer state of the older snapshot back, keeping the optimizer's rate.

        That snapshot becomes the newer one too, so that a later restore cannot land after this one.
        Return False, changing nothing, when there is no snapshot yet.
        """
        if not self.kept:
            return False
        weights, state = self.kept[0]
        for saved, (p, _) in zip(weights, net.param()):
            p.copy_(saved)
        lr = optimizer.lr
        optimizer.load_state_dict(copy_state(state))  # a copy: the optimizer updates its state in place
        optimizer.lr = lr
        self.kept, self.updates = self.kept[:1], 1
        return True
