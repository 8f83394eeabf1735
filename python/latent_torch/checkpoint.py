"""src/Latent/Training/Checkpoint.cs: checkpoint/last.safetensors holds the weights under "model.", the optimiser
moments under "optimizer." and, as metadata, the TrainingState as JSON ("state") and the step count
("optimizer_steps"). Written atomically, so `latent train --resume` continues a run PyTorch trained."""
import json
import math
from dataclasses import asdict, dataclass, field

from . import safetensors
from .runs import UserError, load_weights

MODEL, OPTIMIZER = "model.", "optimizer."


@dataclass
class TrainingState:
    """Where training stands (Training/Checkpoint.cs TrainingState), with Latent's JSON names."""
    epoch: int = 0                  # 0-based epoch in progress (the epoch count when done)
    batch_in_epoch: int = 0
    step: int = 0                   # optimiser steps taken in all
    best_validation_loss: float = math.inf
    best_epoch: int = -1
    term_sums: dict = field(default_factory=dict)   # running sums of the terms over the epoch in progress
    examples_in_epoch: int = 0
    learning_rate_scale: float = 1.0                # halved at every rollback after a divergence
    rollbacks: int = 0

    def to_json(self):
        values = asdict(self)
        # System.Text.Json writes non-finite numbers as the named literals "Infinity", "NaN"
        values["best_validation_loss"] = number(values["best_validation_loss"])
        values["term_sums"] = {key: number(value) for key, value in values["term_sums"].items()}
        return json.dumps(values, separators=(",", ":"))

    @staticmethod
    def from_json(text):
        values = json.loads(text)
        known = TrainingState.__dataclass_fields__
        state = TrainingState(**{key: value for key, value in values.items() if key in known})
        state.best_validation_loss = float(state.best_validation_loss)
        state.term_sums = {key: float(value) for key, value in state.term_sums.items()}
        state.learning_rate_scale = float(state.learning_rate_scale)
        return state


def number(value):
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def save(path, model, optimizer, state):
    tensors = {MODEL + name: tensor for name, tensor in model.state_dict().items()}
    tensors.update({OPTIMIZER + name: tensor for name, tensor in optimizer.state().items()})
    safetensors.save(path, tensors, {"state": state.to_json(), "optimizer_steps": str(optimizer.step_count)})


def load(path, model, optimizer):
    """Restores weights and moments into model and optimizer; returns the TrainingState."""
    try:
        tensors, metadata = safetensors.load(path)
    except (OSError, ValueError) as error:
        raise UserError(f"'{path}' is not a readable checkpoint ({error}); restore it or train the run again")
    if "state" not in metadata or "optimizer_steps" not in metadata:
        raise UserError(f"'{path}' carries no training state; train the run again")
    load_weights(model, strip(tensors, MODEL), path)
    moments = strip(tensors, OPTIMIZER)
    missing = [name for name in optimizer.state() if name not in moments]
    if missing:
        raise UserError(f"'{path}' lacks optimiser state for this model ({missing[0]}); train the run again")
    optimizer.load(moments, int(metadata["optimizer_steps"]))
    try:
        return TrainingState.from_json(metadata["state"])
    except (ValueError, TypeError) as error:
        raise UserError(f"'{path}' has unreadable training state ({error}); train the run again")


def strip(tensors, prefix):
    return {name[len(prefix):]: tensor for name, tensor in tensors.items() if name.startswith(prefix)}
