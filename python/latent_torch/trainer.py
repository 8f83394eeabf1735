"""src/Latent/Training/Trainer.cs in PyTorch, for one process or many under DistributedDataParallel.

The same loop as Latent's: the epoch's order is Shuffle.Permutation(N, Derive(seed, epoch)); batch b is
order[b·B : (b+1)·B]; before every step torch's generator is seeded with Derive(seed, step); the
learning rate follows TrainingOptions.LearningRate (linear warm-up over max(round(warmup·T), min(warmup_min_steps, T/2)) steps, then
cosine to lr_floor·lr or constant) times the rollback scale; Adam(W) as Latent's; the global gradient norm
clipped when grad_clip > 0. Every epoch: validation on the validation split (seed Derive(seed, −1),
batches of max(B, 512), the final objective), the family's diagnosis, one metrics.jsonl line with
Latent's keys (epoch, step, train_<term>, val_<term>, the diagnosis figures, lr, seconds), the best
weights to model.safetensors and the state to checkpoint/last.safetensors. A non-finite term rolls
back to the last checkpoint with half the learning rate, at most MAX_ROLLBACKS times.

Across W ranks the global batch of B examples is cut into W contiguous slices (LossContext.Shard);
each rank computes its slice's share of the loss, DDP averages the gradients, and every rank takes
the same Adam step. Rank 0 alone validates and writes; the others wait at the next collective.
"""
import math
import time

import numpy as np
import torch
import torch.distributed as dist

from . import checkpoint, shuffle
from .checkpoint import TrainingState
from .context import LossContext, Position, Shard, single
from .runs import UserError, save_model

VALIDATION_STREAM = -1
MAX_ROLLBACKS = 4


def learning_rate(options, step, total_steps):
    """TrainingOptions.LearningRate at a 0-based step of total_steps."""
    warmup_steps = max(int(round(options["warmup"] * total_steps)),   # Math.Round: half to even, as round()
                       min(options.get("warmup_min_steps", 0), total_steps // 2))
    base = options["lr"]
    if step < warmup_steps:
        return base * (step + 1) / warmup_steps
    if options["schedule"] == "constant":
        return base
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    floor = options.get("lr_floor", 0)
    return base * (floor + 0.5 * (1 - floor) * (1 + math.cos(math.pi * min(1.0, progress))))


def share_from_rank_zero(model, optimizer, payload, world):
    """Rank 0's weights, buffers, optimiser moments and step count, and a picklable payload, on every rank."""
    if world == 1:
        return payload
    for tensor in [*model.state_dict().values(), *optimizer.state().values()]:
        dist.broadcast(tensor, 0)
    shared = [payload, optimizer.step_count]
    dist.broadcast_object_list(shared, 0)
    optimizer.step_count = shared[1]
    return shared[0]


class Divergence(Exception):
    def __init__(self, step, epoch, terms):
        super().__init__(f"{terms} non-finite at step {step}")
        self.step, self.epoch, self.terms = step, epoch, terms


class Trainer:
    def __init__(self, run, manifest, model, wrapped, optimizer, splits, rank=0, world=1, say=print):
        self.run, self.options, self.model, self.wrapped = run, manifest["training"], model, wrapped
        self.optimizer, self.splits, self.rank, self.world, self.say = optimizer, splits, rank, world, say
        self.batch_size = self.options["batch_size"]
        self.steps_per_epoch = (splits.train.count + self.batch_size - 1) // self.batch_size
        self.total_steps = self.steps_per_epoch * self.options["epochs"]
        self.epoch_seconds = []

    @property
    def writes(self):
        return self.rank == 0

    def fit(self, state):
        self.reached = None
        while state.epoch < self.options["epochs"]:
            try:
                state = self.run_epoch(state)
            except Divergence as divergence:
                state = self.roll_back(divergence, self.reached or state)
        return state

    def save(self, state, *kinds):
        """Checkpoints of the given kinds ("last", "good"), after checking that weights, buffers and moments are finite."""
        self.ensure_finite(state)
        if self.writes:
            for kind in kinds:
                checkpoint.save(self.run.checkpoint(kind), self.model, self.optimizer, state)

    def ensure_finite(self, state):
        tensors = [*self.model.parameters(), *self.model.buffers(), *self.optimizer.state().values()]
        if not all(bool(torch.isfinite(tensor).all()) for tensor in tensors if tensor.is_floating_point()):
            raise Divergence(state.step, max(0, state.epoch - (1 if state.batch_in_epoch == 0 else 0)), "the weights or optimiser moments")

    def run_epoch(self, state):
        clock = time.perf_counter()
        epoch, count = state.epoch, self.splits.train.count
        order = shuffle.permutation(count, shuffle.derive(self.options["seed"], epoch))
        sums, examples = dict(state.term_sums), state.examples_in_epoch
        self.model.train()
        for batch in range(state.batch_in_epoch, self.steps_per_epoch):
            start = batch * self.batch_size
            indices = order[start:start + self.batch_size]
            rate = learning_rate(self.options, state.step, self.total_steps) * state.learning_rate_scale
            values = self.train_step(indices, Position(epoch, state.step, self.steps_per_epoch), rate)
            for name, value in values:
                sums[name] = sums.get(name, 0.0) + value * len(indices)
            examples += len(indices)
            state = TrainingState(**{**state.__dict__, "batch_in_epoch": batch + 1, "step": state.step + 1,
                                     "term_sums": dict(sums), "examples_in_epoch": examples})
            self.reached = state
            every = self.options["checkpoint_every"]
            if every > 0 and state.step % every == 0 and batch + 1 < self.steps_per_epoch:
                self.save(state, "last")

        values = {f"train_{name}": value / examples for name, value in sums.items()}
        judged = torch.zeros(1, dtype=torch.float64)
        if self.writes:
            validation = self.validate()
            values.update({f"val_{name}": value for name, value in validation.items()})
            self.model.eval()
            diagnosis = self.model.diagnose(self.splits.validation)
            self.model.train()
            values.update(diagnosis.figures)
            values["lr"] = learning_rate(self.options, state.step - 1, self.total_steps) * state.learning_rate_scale
            values["seconds"] = time.perf_counter() - clock
            judged[0] = validation.get("loss", values["train_loss"])
        if self.world > 1:
            dist.broadcast(judged, 0)
        judged = float(judged[0])
        if not math.isfinite(judged):
            raise Divergence(state.step, epoch, "the validation loss" if self.splits.validation.count > 0 else "the training loss")
        best = judged < state.best_validation_loss or self.splits.validation.count == 0
        state = TrainingState(**{**state.__dict__, "epoch": epoch + 1, "batch_in_epoch": 0, "term_sums": {}, "examples_in_epoch": 0,
                                 "best_validation_loss": judged if best else state.best_validation_loss,
                                 "best_epoch": epoch + 1 if best else state.best_epoch})
        self.synchronise_buffers()
        self.ensure_finite(state)
        if self.writes:
            self.run.append_metrics(epoch + 1, state.step, values)
            for warning in diagnosis.warnings:
                self.run.warn(f"epoch {epoch + 1}: {warning}")
                self.say(f"warning: epoch {epoch + 1}: {warning}")
            if best:
                save_model(self.run.model_path, self.model)
        self.save(state, "last", "good")
        if self.writes:
            self.epoch_seconds.append(values["seconds"])
            shown = "  ".join(f"{key} {value:.6g}" for key, value in values.items()
                              if key in ("train_loss", "val_loss") or key.startswith("val_") and not key.startswith("val_kl_dim"))
            self.say(f"epoch {epoch + 1}  {shown}  {values['seconds']:.1f} s{'  (best)' if best else ''}")
        return state

    def train_step(self, indices, position, rate):
        """One optimiser step on the global batch at `indices`; returns the batch's (name, mean) terms, loss first."""
        torch.manual_seed(shuffle.derive(self.options["seed"], position.step))
        shard = Shard.of(len(indices), self.rank, self.world)
        rows = torch.from_numpy(np.ascontiguousarray(indices[shard.start:shard.stop]))
        x = self.splits.train.features.index_select(0, rows)
        context = LossContext(position, self.splits.train.count, shard)
        self.optimizer.zero_grad()
        loss = self.wrapped(x, context)
        names = ["loss", *(name for name, _ in loss.terms)]
        local = torch.stack([loss.total.detach(), *(value.detach() for _, value in loss.terms)]).double()
        if self.world > 1:                       # each rank holds its share × W of the batch mean: average them
            dist.all_reduce(local)
            local /= self.world
        values = [(name, float(np.float32(value))) for name, value in zip(names, local.tolist())]
        bad = [name for name, value in values if not math.isfinite(value)]
        if bad:
            raise Divergence(position.step, position.epoch, ", ".join(bad))
        loss.total.backward()
        # a finite loss can still have an infinite derivative: never let such a gradient reach the weights
        if not all(bool(torch.isfinite(p.grad).all()) for p in self.optimizer.parameters if p.grad is not None):
            raise Divergence(position.step, position.epoch, "the gradient")
        if self.options["grad_clip"] > 0:
            torch.nn.utils.clip_grad_norm_([p for p in self.optimizer.parameters if p.grad is not None], self.options["grad_clip"])
        self.optimizer.step(rate)
        return values

    def validate(self):
        """The final objective on the validation split, with a fixed seed so that epochs are comparable."""
        validation, sums = self.splits.validation, {}
        if validation.count == 0:
            return sums
        self.model.eval()
        with torch.no_grad():
            torch.manual_seed(shuffle.derive(self.options["seed"], VALIDATION_STREAM))
            for batch in validation.batches(max(self.batch_size, 512)):
                loss = self.model.loss(batch, single(batch.shape[0], self.splits.train.count))
                count = batch.shape[0]
                sums["loss"] = sums.get("loss", 0.0) + float(loss.total) * count
                for name, value in loss.terms:
                    sums[name] = sums.get(name, 0.0) + float(value) * count
        self.model.train()
        return {name: value / validation.count for name, value in sums.items()}

    def synchronise_buffers(self):
        """A guard: rank 0's buffers (running means, codebooks) to every rank, which computed them identically."""
        if self.world > 1:
            for buffer in self.model.buffers():
                dist.broadcast(buffer, 0)

    def roll_back(self, divergence, reached):
        """Restores the last good checkpoint with half the learning rate, or gives up after MAX_ROLLBACKS;
        `reached` is where training had got to, whose rollback count carries on (Trainer.RollBack)."""
        restored = checkpoint.load(self.run.checkpoint("good"), self.model, self.optimizer) if self.writes else None
        restored = share_from_rank_zero(self.model, self.optimizer, restored, self.world)
        rollbacks = max(reached.rollbacks, restored.rollbacks) + 1
        if rollbacks > MAX_ROLLBACKS:
            raise UserError(f"training keeps diverging ({divergence.terms} non-finite at step {divergence.step} after {MAX_ROLLBACKS} "
                            "rollbacks to ever lower learning rates); lower --lr, pass --grad-clip 1, or check the data, then run again")
        state = TrainingState(**{**restored.__dict__, "rollbacks": rollbacks,
                                 "learning_rate_scale": min(reached.learning_rate_scale, restored.learning_rate_scale) / 2})
        self.reached = None
        if self.writes:
            self.run.truncate_metrics_after(state.epoch)
        self.save(state, "last", "good")
        if self.writes:
            message = (f"step {divergence.step} (epoch {divergence.epoch + 1}): {divergence.terms} became non-finite; "
                       f"rolled back to step {state.step} and halved the learning rate (now ×{state.learning_rate_scale:.3g} of the schedule)")
            self.run.warn(message)
            self.say(f"warning: {message}")
        return state
