"""Models/Plain/PlainAutoencoder.cs: z = encoder(x), x̂ = decoder(z) through a sigmoid for [0, 1] data;
loss the ℓ2 reconstruction error E‖ψ(φ(x)) − x‖² averaged per element (term "recon")."""
import torch

from ..layers import decoder, encoder
from .autoencoder import Autoencoder, LossTerms, squared_error


class PlainAutoencoder(Autoencoder):
    def __init__(self, options, shape):
        super().__init__()
        self.unit_range = shape["kind"] == "image"
        self.encoder = encoder(options, shape, options["latent_dim"])
        self.decoder = decoder(options, shape, options["latent_dim"])

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        output = self.decoder(z)
        return torch.sigmoid(output) if self.unit_range else output

    def loss(self, x, context):
        reconstruction = context.mean(squared_error(self.reconstruct(x), x))
        return LossTerms(reconstruction, [("recon", reconstruction)])
