"""Models/Autoencoder.cs: the contract every family mirrors. encode x → z, decode z → x̂ in data units,
reconstruct x → x̂, and the training objective loss(x, context) broken into named terms.

forward(x, context) is the loss, so that DistributedDataParallel, which synchronises gradients for
what goes through forward, wraps the objective itself."""
from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class LossTerms:
    """Models/LossTerms.cs: total is what the optimiser minimises; terms name its parts (each a batch mean)."""
    total: torch.Tensor
    terms: list = field(default_factory=list)  # [(name, scalar tensor)]


@dataclass
class Diagnosis:
    """Per-epoch figures on the validation split (metrics.jsonl keys) and warnings for train.log."""
    figures: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)


class Autoencoder(nn.Module):
    fixed_buffers = ()      # buffers computed from the options (not learned, not drawn): checked, never re-drawn
    untrained_prefixes = ()  # parameters the training loss never reaches (a VQ-VAE's prior, fitted afterwards)
    trainable = True        # False for a closed-form fit (PCA)
    second_stage = None     # ISecondStage.SecondStageName: a stage Latent trains after this one (a VQ-VAE's prior)

    def encode(self, x):
        raise NotImplementedError

    def decode(self, z):
        raise NotImplementedError

    def reconstruct(self, x):
        return self.decode(self.encode(x))

    def loss(self, x, context):
        raise NotImplementedError

    def forward(self, x, context):
        return self.loss(x, context)

    def diagnose(self, validation):
        """Autoencoder.Diagnose: nothing by default."""
        return Diagnosis()

    def prepare_for_training(self):
        """Called once the weights are loaded, before training: puts state that belongs to finished weights aside."""


def per_example_mean(values):
    """[b, ...] → the mean over each example's elements [b]."""
    return values.flatten(1).mean(1)


def squared_error(reconstruction, x):
    """mse_loss(x̂, x) per example: the mean over its elements [b]."""
    return per_example_mean((reconstruction - x).square())
