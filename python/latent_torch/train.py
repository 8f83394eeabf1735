"""Continues (or starts) a Latent run with PyTorch, on one process or many under torchrun.

    PYTHONPATH=python /usr/bin/python3 -m latent_torch.train --run DIR [--epochs N] [--out NEW_DIR] [--threads T]
    PYTHONPATH=python torchrun --nproc_per_node 2 --redirects 1 --tee 1 -m latent_torch.train --run DIR --epochs N

DIR is a run Latent wrote (`latent train … --out DIR`): training continues from checkpoint/last.safetensors
(weights, Adam moments, data position), or from model.safetensors with fresh moments when there is no
checkpoint. A folder holding only a manifest.json template (family, and whatever model, data and
training options differ from Latent's defaults) starts a new run, initialised by PyTorch with the seed.
--epochs sets the run's total epoch count (recorded in its manifest, as `latent train --resume --epochs`);
--out first copies the run to a new folder and trains that one, leaving DIR as it was.

Under torchrun every process joins a gloo process group (CPU); the run's batch size is the global batch,
cut into one slice per process, and DistributedDataParallel averages the gradients, so the loss curve is
one process's up to float rounding. Rank 0 writes model.safetensors, checkpoint/last.safetensors,
metrics.jsonl and the manifest, as Latent does, atomically; `latent eval`, `report`, `encode` and
`train --resume` read them (--resume with no epochs left fits a VQ-VAE's prior and redraws the figures).
(Debian's torchrun 1.13 on Python 3.11 needs --redirects 1 --tee 1: its default of 0 hits a bug.)
Covered: ae, linear, dae, mae, vae, vqvae on shapes, fashion-mnist, idx:DIR, csv:FILE and text:FILE data.
Exit codes: 0 done, 2 a problem with the run or the options (one line on stderr), 1 anything else.
"""
import argparse
import datetime
import os
import shutil
import sys

import torch
import torch.distributed as dist

from . import checkpoint, data
from .adam import Adam
from .checkpoint import TrainingState
from . import safetensors
from .models import build
from .runs import Run, UserError, load_weights
from .trainer import Trainer

COVERED = ("ae", "linear", "dae", "mae", "vae", "vqvae")
RUN_FILES = ("manifest.json", "model.safetensors", "metrics.jsonl", "train.log", os.path.join("checkpoint", "last.safetensors"))


def arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m latent_torch.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="the run directory to continue (or a folder with a manifest.json template)")
    parser.add_argument("--epochs", type=int, help="total epochs of the run (default: the manifest's)")
    parser.add_argument("--out", help="copy the run here first and train the copy")
    parser.add_argument("--threads", type=int, help="torch threads per process (default: cores / processes on this machine)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser.parse_args(argv)


def copy_run(source, target):
    if os.path.isdir(target) and os.listdir(target):
        raise UserError(f"'{target}' already exists and is not empty; pass a new or empty --out folder")
    if not os.path.isfile(os.path.join(source, "manifest.json")):
        raise UserError(f"'{source}' is not a run (it has no manifest.json); pass the --out folder of a 'latent train' run")
    for name in RUN_FILES:
        if os.path.isfile(os.path.join(source, name)):
            os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
            shutil.copy2(os.path.join(source, name), os.path.join(target, name))


def prepared_manifest(run, manifest, splits, epochs):
    """The manifest as it will be trained: the epoch count, and for a template the data shape, labels and versions."""
    if epochs is not None:
        if epochs <= 0:
            raise UserError(f"--epochs {epochs} must be positive; pass e.g. --epochs 10")
        manifest["training"]["epochs"] = epochs
    if splits.shape != manifest.get("shape", splits.shape):
        raise UserError(f"{manifest['data']['data']} holds {splits.shape} but the run was trained on {manifest['shape']}; the data changed")
    manifest["shape"] = splits.shape
    if splits.vocabulary is not None:
        manifest["data"]["vocabulary"] = splits.vocabulary
    manifest.setdefault("label_names", splits.label_names)
    manifest.setdefault("versions", {"latent": "latent_torch", "torchsharp": "none", "libtorch": torch.__version__})
    manifest.setdefault("created", datetime.datetime.now(datetime.timezone.utc).isoformat())
    manifest.setdefault("command", "python -m latent_torch.train " + " ".join(sys.argv[1:]))
    return manifest


def check_options(manifest):
    family = manifest["family"]
    if family not in COVERED:
        reason = "it is fitted in closed form by 'latent pca'" if family == "pca" else "it has no PyTorch trainer yet"
        raise NotCovered(f"latent_torch.train does not cover --model {family}: {reason}; train it with 'latent'")
    if manifest["training"]["device"] != "cpu":
        raise UserError(f"the run's device is {manifest['training']['device']}; latent_torch.train runs on CPU processes (gloo), so set \"device\": \"cpu\"")
    for key in ("epochs", "batch_size"):
        if manifest["training"][key] <= 0:
            raise UserError(f"the manifest's training {key} {manifest['training'][key]} must be positive")


class NotCovered(UserError):
    pass


def start_state(run, model, optimizer, trainer, say):
    """The checkpoint's state; else model.safetensors with fresh moments; else the seeded initialisation."""
    if os.path.isfile(run.checkpoint_path):
        state = checkpoint.load(run.checkpoint_path, model, optimizer)
        return state, "its checkpoint"
    if os.path.isfile(run.model_path):
        tensors, _ = safetensors.load(run.model_path)
        load_weights(model, tensors, run.model_path)
        done = 0
        if os.path.isfile(run.metrics_path):
            from json import loads
            with open(run.metrics_path, encoding="utf-8") as file:
                done = max([int(loads(line)["epoch"]) for line in file if line.strip()] or [0])
        state = TrainingState(epoch=done, step=done * trainer.steps_per_epoch)
        return state, "model.safetensors with fresh optimiser moments (no checkpoint)"
    return TrainingState(), "a new PyTorch initialisation (seeded; not Latent's own draws)"


def agreed_failure(failure, world):
    """Whether rank 0 failed, told to every rank (so that none waits for a rank that gave up)."""
    if world == 1:
        return failure is not None
    flag = torch.tensor([0 if failure is None else 1])
    dist.broadcast(flag, 0)
    return bool(flag.item())


def main(argv=None):
    options = arguments(argv if argv is not None else sys.argv[1:])
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    if world > 1:
        dist.init_process_group("gloo")
    torch.set_num_threads(options.threads or max(1, (os.cpu_count() or 1) // local_world))
    say = (lambda message: None) if options.quiet or rank != 0 else (lambda message: print(message, flush=True))
    try:
        run_path = options.run
        if options.out:
            failure = None
            if rank == 0:
                try:
                    copy_run(options.run, options.out)
                except (UserError, OSError) as error:
                    failure = error
            if agreed_failure(failure, world):
                raise failure if isinstance(failure, UserError) else UserError(f"cannot copy the run to '{options.out}' ({failure or 'on rank 0'})")
            run_path = options.out
        run = Run(run_path)
        manifest = run.read_manifest()
        check_options(manifest)
        splits = data.load(manifest["data"], manifest["training"]["seed"])
        manifest = prepared_manifest(run, manifest, splits, options.epochs)
        torch.manual_seed(manifest["training"]["seed"])
        model = build(manifest)
        training = manifest["training"]
        optimizer = Adam(model.named_parameters(), training["weight_decay"], training["optimizer"] == "adamw")
        trainer = Trainer(run, manifest, model, None, optimizer, splits, rank, world, say)
        state, source = start_state(run, model, optimizer, trainer, say)
        model.prepare_for_training()
        for name, parameter in model.named_parameters():
            if name.startswith(model.untrained_prefixes):
                parameter.requires_grad_(False)
        # DDP starts every rank from rank 0's parameters and buffers; buffers are not re-broadcast at every
        # forward pass (broadcast_buffers=False): each family updates them identically on every rank
        trainer.wrapped = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False) if world > 1 else model
        if rank == 0:
            run.write_manifest(manifest)
            run.truncate_metrics_after(state.epoch)
            if source.startswith("a new"):
                checkpoint.save(run.checkpoint_path, model, optimizer, state)    # resumable from its first moment
        say(f"{manifest['family']} run {run.path}: from {source}, epoch {state.epoch} of {training['epochs']}, "
            f"{world} process{'es' if world > 1 else ''} × {torch.get_num_threads()} thread{'s' if torch.get_num_threads() > 1 else ''}, "
            f"global batch {training['batch_size']}")
        first_epoch = state.epoch
        state = trainer.fit(state)
        if rank == 0 and state.epoch > first_epoch:
            with open(run.log_path, "a", encoding="utf-8") as file:
                file.write(f"{datetime.datetime.now().astimezone().isoformat()} info: epochs {first_epoch + 1}–{state.epoch} trained by "
                           f"latent_torch (PyTorch {torch.__version__}) on {world} process{'es' if world > 1 else ''}\n")
        if trainer.epoch_seconds:
            say(f"run written to {run.path} ({sum(trainer.epoch_seconds) / len(trainer.epoch_seconds):.2f} s per epoch)")
        code = 0
    except UserError as error:
        print(f"latent_torch: error: {error}", file=sys.stderr)
        code = 2
    if world > 1 and dist.is_initialized():
        dist.destroy_process_group()
    return code


if __name__ == "__main__":
    sys.exit(main())
