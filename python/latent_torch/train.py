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
one process's up to float rounding. Rank 0 alone reads the weights (and shares them), holds the run's
lock and writes model.safetensors, checkpoint/last.safetensors and good.safetensors, metrics.jsonl,
train.log and the manifest, as Latent does, atomically; `latent eval`, `report`, `encode` and
`train --resume` read them (--resume with no epochs left fits a VQ-VAE's prior and redraws the figures).
(Debian's torchrun 1.13 on Python 3.11 needs --redirects 1 --tee 1: its default of 0 hits a bug.)
Covered: ae, linear, dae, mae, vae, vqvae on shapes, fashion-mnist, idx:DIR, csv:FILE and text:FILE data.
Exit codes: 0 done, 2 a problem with the run or the options (one line on stderr), 1 anything else.
"""
import argparse
import ctypes
import datetime
import fcntl
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
from .trainer import Trainer, share_from_rank_zero

COVERED = ("ae", "linear", "dae", "mae", "vae", "vqvae")
RUN_FILES = ("manifest.json", "model.safetensors", "metrics.jsonl", "train.log",
             os.path.join("checkpoint", "last.safetensors"), os.path.join("checkpoint", "good.safetensors"))
LOCK_FILES = (".lock", ".lock.pid")  # RunLock.FileNames: never a run's content


def arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m latent_torch.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="the run directory to continue (or a folder with a manifest.json template)")
    parser.add_argument("--epochs", type=int, help="total epochs of the run (default: the manifest's)")
    parser.add_argument("--out", help="copy the run here first and train the copy")
    parser.add_argument("--threads", type=int, help="torch threads per process (default: cores / processes on this machine)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser.parse_args(argv)


def copy_run(source, target):
    if os.path.isdir(target) and set(os.listdir(target)) - set(LOCK_FILES):
        raise UserError(f"'{target}' already exists and is not empty; pass a new or empty --out folder")
    if not os.path.isfile(os.path.join(source, "manifest.json")):
        raise UserError(f"'{source}' is not a run (it has no manifest.json); pass the --out folder of a 'latent train' run")
    for name in RUN_FILES:
        if os.path.isfile(os.path.join(source, name)):
            os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
            shutil.copy2(os.path.join(source, name), os.path.join(target, name))


def prepared_manifest(manifest, splits, epochs):
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
    """A family (or data) latent_torch does not train."""


def start_state(run, model, optimizer, steps_per_epoch):
    """The checkpoint's state; else model.safetensors with fresh moments (after the epochs metrics.jsonl
    records); else the seeded initialisation. Returns (state, where it came from)."""
    if os.path.isfile(run.checkpoint_path):
        state = checkpoint.load(run.checkpoint_path, model, optimizer)
        return state, "its checkpoint"
    if os.path.isfile(run.model_path):
        tensors, _ = safetensors.load(run.model_path)
        load_weights(model, tensors, run.model_path)
        done = max([int(row["epoch"]) for row in run.read_metrics()] or [0])
        state = TrainingState(epoch=done, step=done * steps_per_epoch)
        return state, "model.safetensors with fresh optimiser moments (no checkpoint)"
    return TrainingState(), "a new PyTorch initialisation (seeded; not Latent's own draws)"


def lock(run, command):
    """Runs/RunLock.cs: an exclusive flock on DIR/.lock (the kernel releases it however the process ends), the holder
    in DIR/.lock.pid; Latent's writers (train, eval, report, …) take the same lock, so none writes meanwhile."""
    os.makedirs(run.path, exist_ok=True)
    handle = open(run.file(".lock"), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        try:
            with open(run.file(".lock.pid"), encoding="utf-8") as file:
                holder = f"process {file.read().strip()}" or "another process"
        except OSError:
            holder = "another process"
        raise UserError(f"'{run.path}' is being written by {holder}; wait for it to finish (or stop it), then try again")
    try:
        with open(run.file(".lock.pid"), "w", encoding="utf-8") as file:
            file.write(f"{os.getpid()} ({command})\n")
    except OSError:
        pass  # the lock holds without the note
    return handle


def set_threads(threads):
    """torch's intra-op threads, and OpenBLAS's: Debian's torch calls the system libblas.so.3 (OpenBLAS when
    libopenblas0 is installed), whose own thread pool would otherwise take every core in every process."""
    torch.set_num_threads(threads)
    try:
        ctypes.CDLL("libblas.so.3").openblas_set_num_threads(threads)
    except (OSError, AttributeError):
        pass  # the reference BLAS, single-threaded


def on_rank_zero(rank, world, action):
    """action() on rank 0 alone; a failure there is raised on every rank, so that none waits for one that gave up."""
    result, failure = None, None
    if rank == 0:
        try:
            result = action()
        except UserError as error:
            failure = str(error)
        except OSError as error:
            failure = f"cannot read or write the run ({error}); check the folder and its permissions"
    if world > 1:
        message = [failure]
        dist.broadcast_object_list(message, 0)
        failure = message[0]
    if failure is not None:
        raise UserError(failure)
    return result


def main(argv=None):
    options = arguments(argv if argv is not None else sys.argv[1:])
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    if world > 1:
        dist.init_process_group("gloo")
    set_threads(options.threads or max(1, (os.cpu_count() or 1) // local_world))
    say = (lambda message: None) if options.quiet or rank != 0 else (lambda message: print(message, flush=True))
    try:
        # Every rank reads the manifest and the data; only rank 0 reads the weights and writes, and shares the
        # state with the others, so no file system needs to be shared between machines.
        source_run = Run(options.run)
        manifest = source_run.read_manifest()
        check_options(manifest)
        if options.out:
            on_rank_zero(rank, world, lambda: copy_run(options.run, options.out))
        run = Run(options.out or options.run)
        held = on_rank_zero(rank, world, lambda: lock(run, "python -m latent_torch.train"))  # rank 0 writes: it holds the lock
        splits = data.load(manifest["data"], manifest["training"]["seed"])
        manifest = prepared_manifest(manifest, splits, options.epochs)
        torch.manual_seed(manifest["training"]["seed"])
        model = build(manifest)
        training = manifest["training"]
        optimizer = Adam(model.named_parameters(), training["weight_decay"], training["optimizer"] == "adamw")
        trainer = Trainer(run, manifest, model, None, optimizer, splits, rank, world, say)
        state, source = on_rank_zero(rank, world, lambda: start_state(run, model, optimizer, trainer.steps_per_epoch)) or (None, None)
        state, source = share_from_rank_zero(model, optimizer, (state, source), world)
        model.prepare_for_training()
        for name, parameter in model.named_parameters():
            if name.startswith(model.untrained_prefixes):
                parameter.requires_grad_(False)
        # DDP starts from the (shared) rank 0 parameters and buffers; buffers are not re-broadcast at every
        # forward pass (broadcast_buffers=False): each family updates them identically on every rank
        trainer.wrapped = torch.nn.parallel.DistributedDataParallel(model, broadcast_buffers=False) if world > 1 else model

        def prepare_run():
            run.write_manifest(manifest)
            run.truncate_metrics_after(state.epoch)
            for kind in ("last", "good"):                                          # resumable from its first moment
                if not os.path.isfile(run.checkpoint(kind)):
                    checkpoint.save(run.checkpoint(kind), model, optimizer, state)
            if model.second_stage and state.epoch < training["epochs"]:
                # the first stage changes: a later stage (a VQ-VAE's prior) must start again, as Latent's Finish does
                run.clear_stage(model.second_stage)
        on_rank_zero(rank, world, prepare_run)
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
        if held is not None:
            held.close()
    except UserError as error:
        print(f"latent_torch: error: {error}", file=sys.stderr)
        code = 2
    return code


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Every file is written and flushed. Skip the interpreter's teardown: in PyTorch 1.13 destroying the DDP
    # reducer and the gloo process group at exit can deadlock (a gloo thread waits for the GIL the
    # destructor holds), which would leave torchrun waiting for a process that never ends.
    os._exit(code)
