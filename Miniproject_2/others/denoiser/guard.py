"""The spike guard's bookkeeping: a running mean of the training loss, and whether a batch's loss is a spike."""


class LossWatch:
    """Running mean of the training loss: the plain mean of the first ``after`` losses, then an exponential one.

    ``Model`` asks it about every batch; a spike (``spiked``) puts back an earlier snapshot of the weights.
    """

    def __init__(self):
        self.mean, self.seen = None, 0

    def spiked(self, loss, factor, after):
        """True when ``loss`` exceeds ``factor`` times the running mean of the losses before it, once ``after``
        losses have set that mean; otherwise ``loss`` joins the mean. A ``factor`` of 0 or None never fires."""
        if factor and self.mean is not None and self.seen >= after and loss > factor * self.mean:
            return True
        self.seen += 1
        self.mean = loss if self.mean is None else self.mean + (loss - self.mean) / min(self.seen, after)
        return False
