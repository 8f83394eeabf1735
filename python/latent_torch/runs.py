"""A Latent run directory (src/Latent/Runs/RunDirectory.cs): manifest.json, model.safetensors,
checkpoint/last.safetensors, metrics.jsonl and train.log, read and written as Latent does."""
import json
import math
import os
import time

from . import safetensors
from .options import completed


class UserError(Exception):
    """A problem the user can fix: printed as one line, exit code 2, nothing half-written."""


class Run:
    def __init__(self, path):
        self.path = os.path.abspath(path)

    def file(self, name):
        return os.path.join(self.path, name)

    manifest_path = property(lambda self: self.file("manifest.json"))
    model_path = property(lambda self: self.file("model.safetensors"))
    checkpoint_path = property(lambda self: self.checkpoint("last"))

    def checkpoint(self, kind, stage=None):
        """checkpoint/[STAGE-]last.safetensors (where a resume starts) or …good.safetensors (where a rollback goes)."""
        return os.path.join(self.path, "checkpoint", f"{stage + '-' if stage else ''}{kind}.safetensors")

    def clear_stage(self, stage):
        """RunTrainingStore.Clear: a later stage's checkpoints and metrics, which belong to weights that changed."""
        for path in (self.checkpoint("last", stage), self.checkpoint("good", stage), self.file(f"{stage}-metrics.jsonl")):
            if os.path.isfile(path):
                os.remove(path)
    metrics_path = property(lambda self: self.file("metrics.jsonl"))
    log_path = property(lambda self: self.file("train.log"))

    def read_manifest(self):
        """manifest.json as Latent reads it: model, training and data sections over their defaults."""
        if not os.path.isfile(self.manifest_path):
            raise UserError(f"'{self.path}' is not a run (it has no manifest.json); pass the --out folder of a 'latent train' run or a folder with a manifest template")
        try:
            with open(self.manifest_path, encoding="utf-8") as file:
                manifest = json.load(file)
            family = manifest["family"]
            for section in ("model", "training", "data"):
                manifest[section] = completed(family, section, manifest.get(section))
        except (ValueError, KeyError, TypeError) as error:
            raise UserError(f"'{self.manifest_path}' is not a valid run manifest ({error}); restore it or train the run again")
        return manifest

    def write_manifest(self, manifest):
        """Writes the manifest as Latent does (indented, snake_case), atomically."""
        safetensors.write_atomically(self.manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False))

    def append_metrics(self, epoch, step, values):
        """One metrics.jsonl line: epoch, step, then the values (null where not finite), flushed to disk."""
        line = {"epoch": epoch, "step": step}
        line.update({key: value if math.isfinite(value) else None for key, value in values.items()})
        with open(self.metrics_path, "a", encoding="utf-8") as file:
            file.write(json.dumps(line, separators=(",", ":")) + "\n")
            file.flush()
            os.fsync(file.fileno())

    def read_metrics(self):
        """MetricsLog.Read: every complete metrics.jsonl line as a dict; a torn last line is skipped."""
        rows = []
        if os.path.isfile(self.metrics_path):
            with open(self.metrics_path, encoding="utf-8") as file:
                for text in file:
                    try:
                        row = json.loads(text)
                    except ValueError:
                        continue
                    if isinstance(row, dict) and "epoch" in row:
                        rows.append(row)
        return rows

    def truncate_metrics_after(self, epochs_done):
        """MetricsLog.TruncateAfter: keeps the complete lines of epochs ≤ epochs_done."""
        if os.path.isfile(self.metrics_path):
            kept = [json.dumps(row, separators=(",", ":")) + "\n" for row in self.read_metrics() if row["epoch"] <= epochs_done]
            safetensors.write_atomically(self.metrics_path, "".join(kept))

    def warn(self, message):
        with open(self.log_path, "a", encoding="utf-8") as file:
            file.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} warning: {message}\n")


def load_weights(model, tensors, source):
    """RunDirectory.LoadWeights: every state-dict entry must be present with its shape; copied in place."""
    import torch
    state = model.state_dict()
    with torch.no_grad():
        for name, target in state.items():
            if name not in tensors:
                raise UserError(f"'{source}' has no tensor '{name}' for this model; the weights do not belong to the manifest's model")
            value = tensors[name]
            if tuple(value.shape) != tuple(target.shape):
                raise UserError(f"'{source}' stores '{name}' as {list(value.shape)} where the model needs {list(target.shape)}; the weights do not belong to the manifest's model")
            target.copy_(value)


def save_model(path, model):
    """model.safetensors: the state dict, every key and dtype as Latent writes it."""
    safetensors.save(path, dict(model.state_dict()))
