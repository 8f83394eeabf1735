"""What a family's loss needs to know besides the batch: where training stands, and which rows of the
global batch this process holds.

Latent's Trainer computes each step's loss on one batch of B examples. Under DistributedDataParallel
every process (rank) holds a contiguous slice of that batch, and DDP averages the ranks' gradients.
A loss written through LossContext gives the *same* objective and the same random draws as one
process would, whatever the number of ranks:

- mean(per_example): Σ over the rank's rows × world / B. DDP's average over ranks of these is the
  global mean, and so is the average of their gradients (a batch mean of per-rank means would weigh
  a short last shard wrongly).
- total(…), gather(…): sums and rows over every rank, without gradient, for the things a loss
  computes from the whole batch (a masked-loss denominator, free bits' batch-averaged KL, running
  statistics, a codebook's EMA update and k-means initialisation).
- rand / randn / randint(per-example shape): drawn for the whole global batch from the step's seed
  (every rank seeds torch's generator identically, as Latent's Trainer does), then this rank's rows.
  So rank r draws exactly the noise one process would draw for those examples.
With one process every operation is the plain one.
"""
from dataclasses import dataclass
from typing import Optional

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Position:
    """Where training stands (Latent's TrainingStep / LossContext.Position)."""
    epoch: int
    step: int
    steps_per_epoch: int

    @property
    def epoch_progress(self):
        """Epochs completed, with the fraction of the current one."""
        if self.steps_per_epoch == 0:
            return float(self.epoch)
        return self.epoch + (self.step - self.epoch * self.steps_per_epoch) / self.steps_per_epoch


@dataclass(frozen=True)
class Shard:
    """Rows [start, stop) of a global batch of `count` examples, held by rank `rank` of `world`."""
    count: int
    start: int
    stop: int
    rank: int = 0
    world: int = 1
    bounds: tuple = ()

    @staticmethod
    def whole(count):
        return Shard(count, 0, count, 0, 1, (0, count))

    @staticmethod
    def of(count, rank, world):
        """Contiguous slices whose sizes differ by at most one, the longer ones first."""
        sizes = [count // world + (1 if r < count % world else 0) for r in range(world)]
        bounds = [0]
        for size in sizes:
            bounds.append(bounds[-1] + size)
        return Shard(count, bounds[rank], bounds[rank + 1], rank, world, tuple(bounds))

    @property
    def distributed(self):
        return self.world > 1


@dataclass(frozen=True)
class LossContext:
    """position is None for the final objective (validation, evaluation); training_examples is N of the training split."""
    position: Optional[Position]
    training_examples: int
    shard: Shard

    @property
    def final(self):
        return self.position is None

    # ---- means and sums over the global batch ----

    def mean(self, per_example):
        """[b, ...] per example on this rank → the rank's share × world of the global batch mean [...]:
        averaged over ranks (DDP, and the logged terms), it is the mean over all B examples."""
        return per_example.sum(0) * (self.shard.world / self.shard.count)

    def total(self, value):
        """The sum over ranks of a tensor, without gradient (the tensor itself with one process)."""
        value = value.detach()
        if not self.shard.distributed:
            return value
        value = value.clone()
        dist.all_reduce(value)
        return value

    def gather(self, rows, rows_per_example=1):
        """This rank's rows [b·k, ...] → every rank's rows in global order [B·k, ...], without gradient;
        k = rows_per_example (a VQ-VAE has one vector per latent position)."""
        rows = rows.detach()
        if not self.shard.distributed:
            return rows
        bounds = self.shard.bounds
        sizes = [(bounds[r + 1] - bounds[r]) * rows_per_example for r in range(self.shard.world)]
        padded = rows.new_zeros((max(sizes), *rows.shape[1:]))
        padded[:rows.shape[0]] = rows
        parts = [torch.empty_like(padded) for _ in range(self.shard.world)]
        dist.all_gather(parts, padded)
        return torch.cat([part[:size] for part, size in zip(parts, sizes)], 0)

    # ---- random draws for the global batch, this rank's rows ----

    def _rows(self, whole):
        return whole[self.shard.start:self.shard.stop]

    def rand(self, *shape, **options):
        return self._rows(torch.rand(self.shard.count, *shape, **options))

    def randn(self, *shape, **options):
        return self._rows(torch.randn(self.shard.count, *shape, **options))

    def randint(self, low, high, *shape, **options):
        return self._rows(torch.randint(low, high, (self.shard.count, *shape), **options))


def single(count, training_examples, position=None):
    """The context of one process holding the whole batch."""
    return LossContext(position, training_examples, Shard.whole(count))
