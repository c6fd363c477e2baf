"""The running mean of weights over the states a run goes through (fine-tuning ends there)."""


class RunningMean:
    """Keeps the mean of ``tensors`` over their current values and every state ``add`` sees after.

    Args:
        tensors: the tensors to follow (a network's parameters); ``apply`` writes the mean into them.
    """

    def __init__(self, tensors):
        self.tensors = list(tensors)
        self.mean = [t.clone() for t in self.tensors]
        self.count = 1

    def add(self):
        """Fold the tensors' current values into the mean: m += (t - m) / count."""
        self.count += 1
        for m, t in zip(self.mean, self.tensors):
            m.add_(t - m, alpha=1 / self.count)

    def apply(self):
        """Copy the mean into the tensors."""
        for m, t in zip(self.mean, self.tensors):
            t.copy_(m)
