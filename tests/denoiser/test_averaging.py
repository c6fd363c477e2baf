"""denoiser/averaging.py: the running mean of weights."""
import torch

from Miniproject_2.others.denoiser.averaging import RunningMean


def test_the_mean_of_every_state_is_written_back():
    w = torch.tensor([0.0, 4.0])
    mean = RunningMean([w])
    for value in (1.0, 2.0, 3.0):
        w.fill_(value)
        mean.add()
    mean.apply()
    torch.testing.assert_close(w, torch.tensor([(0 + 1 + 2 + 3) / 4, (4 + 1 + 2 + 3) / 4]))
