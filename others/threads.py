"""How many CPU threads torch should use while other programs share the machine.

Every tensor operation that torch splits over threads ends at a barrier where all of them meet. When another
process holds one of the cores, the thread that shares that core is descheduled for a whole time slice at a time,
and every one of the thousands of small operations of a training step waits for it: on 2 cores with a busy loop on
one, ``Model.train`` at 2 threads fell from about 330 to 48 images/s, while 1 thread ran at 200 (docs/speed.md,
"Busy machines"). No fixed count is right on both an idle and a busy machine, so the scripts measure:

- ``free_cores`` reads how much CPU the other processes are taking (``/proc/stat``, Linux) and ``settle`` starts
  torch at that many threads (for work with no hook, such as ``predict``);
- ``Governor``, called after every training batch (``govern`` wraps ``Model.progress``), times the training in
  windows and now and then tries the neighbouring thread count for one window, keeping whichever ran faster, so a
  load that starts or stops in the middle of a run is followed within ``explore_every`` windows.

Thread counts change summation orders inside matrix products, so a governed run is not bit-for-bit repeatable;
``--threads N`` in the scripts fixes the count.
"""
import os
import time

import torch

PROBE_S = 0.25  # seconds over which free_cores watches the machine


def cores():
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _cpu_ticks():
    """(busy, total) clock ticks of all cores since boot from /proc/stat, or None where there is none."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user time
    return total - idle, total


def free_cores(seconds=PROBE_S, sleep=time.sleep):
    """Cores that other processes left idle over the next ``seconds`` (this process's own use not counted).

    Returns the number of cores this process may use when the load cannot be read.
    """
    available = cores()
    first, own, wall = _cpu_ticks(), time.process_time(), time.monotonic()
    sleep(seconds)
    last, own, wall = _cpu_ticks(), time.process_time() - own, max(time.monotonic() - wall, seconds)
    if first is None or last is None or last[1] <= first[1]:
        return available
    machine = os.cpu_count() or available
    others = machine * (last[0] - first[0]) / (last[1] - first[1]) - own / wall  # cores busy with other work
    return max(1, min(available, round(available - max(0.0, others))))


def counts(most):
    """The thread counts a governor chooses from: ``most``, then halvings down to 1 (16 -> 16, 8, 4, 2, 1)."""
    chain = [max(1, int(most))]
    while chain[-1] > 1:
        chain.append(chain[-1] // 2)
    return chain


def settle(fixed=None):
    """Set torch's thread count to ``fixed`` when given (a script's ``--threads``), else to the cores other processes
    leave free now; return it."""
    count = fixed or min(cores(), free_cores())
    torch.set_num_threads(count)
    return count


class Governor:
    """Keep torch at the thread count that trains fastest now, by timing the training in windows.

    Call it with the images done so far (``done`` may restart from 0 at each epoch). Each ``window`` seconds the
    rate at the current count is recorded. After ``explore_every`` such windows it runs one window at a neighbouring
    count (one halving fewer or more threads, in turn) and then stays at whichever of the two ran faster.

    Args:
        most: the largest thread count (default: the cores this process may use).
        start: the count to begin with (default: ``most``; ``govern`` starts from ``free_cores``).
        window: seconds of training per measurement.
        explore_every: windows at the chosen count between two tries of a neighbour.
        clock, set_threads: replaceable for tests.
    """

    def __init__(self, most=None, start=None, window=1.0, explore_every=30, clock=time.monotonic,
                 set_threads=torch.set_num_threads):
        self.counts = counts(most or cores())
        start = self.counts[0] if start is None else start
        self.index = min(range(len(self.counts)), key=lambda i: abs(self.counts[i] - start))
        self.home, self.rates, self.history = self.index, {}, []
        self.window, self.explore_every, self.clock, self.set_threads = window, explore_every, clock, set_threads
        self.exploring, self.settled, self.direction = False, 0, 1
        self.images, self.last_done, self.since = 0, 0, None
        self.set_threads(self.threads)

    @property
    def threads(self):
        """The thread count torch runs at now (a neighbour's while one is being tried)."""
        return self.counts[self.index]

    @property
    def chosen(self):
        """The thread count that ran fastest when last compared."""
        return self.counts[self.home]

    def __call__(self, done):
        now = self.clock()
        self.images += done - self.last_done if done >= self.last_done else done
        self.last_done = done
        if self.since is None:  # the first call only starts the clock: it follows set-up, not training
            self.since, self.images = now, 0
        elif now - self.since >= self.window:
            self._close_window(self.images / (now - self.since))
            self.since, self.images = self.clock(), 0

    def wrap(self, report):
        """A ``Model.progress`` callback that lets this governor see each batch, then calls ``report``.

        The window open when it is called is dropped: the time since then (a validation between two epochs, say)
        was not spent training."""
        self.since, self.last_done = None, 0

        def progress(done, total, loss, started):
            self(done)
            report(done, total, loss, started)
        return progress

    def _close_window(self, rate):
        self.rates[self.threads] = rate
        self.history.append((self.threads, rate))
        if self.exploring:  # keep the neighbour only if it beat the latest window at the chosen count
            if rate > self.rates[self.counts[self.home]]:
                self.home = self.index
            self.exploring = False
            self._go(self.home)
            return
        self.settled += 1
        if self.settled >= self.explore_every and len(self.counts) > 1:
            self.settled, self.exploring = 0, True
            self._go(self._neighbour())

    def _neighbour(self):
        """The next count to try: alternately one halving fewer and one more threads, where there is one."""
        for _ in range(2):
            self.direction = -self.direction
            candidate = self.home + self.direction
            if 0 <= candidate < len(self.counts):
                return candidate
        return self.home

    def _go(self, index):
        if index != self.index:
            self.index = index
            self.set_threads(self.threads)


def governor(most=None):
    """A ``Governor`` over at most ``most`` threads (default: every core) that starts at the cores free now."""
    most = most or cores()
    return Governor(most, start=min(most, free_cores()))


def govern(model, chosen_by=None):
    """Let a governor (default: a new ``governor()``) choose the thread count while ``model`` trains: it is called
    before each of ``model.progress``'s reports. Returns the governor (``history`` lists its windows)."""
    chosen_by = chosen_by or governor()
    model.progress = chosen_by.wrap(model.progress)
    return chosen_by
