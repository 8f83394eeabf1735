"""Denoising autoencoder (Latent: --model dae, mlp 784-512-256 and mirror, --noise mask:0.25 with mask
value 0, loss on all pixels): each pixel is blacked out with probability 0.25 (a fresh draw every
step), the sigmoid output is compared with the clean image. Headlines: the squared error on the
hidden pixels of the test images (masks at the training rate, seeded) and the linear probe on the
256-wide code of the clean image."""
import torch
import torch.nn as nn

import common
import networks


def run(args, data):
    train, train_labels, test, test_labels = data
    shape = tuple(train.shape[1:])
    hidden = (512,)
    model = nn.Sequential(networks.mlp_encoder(shape, hidden, args.latent_dim), networks.mlp_decoder(args.latent_dim, hidden, shape), nn.Sigmoid())
    encoder = model[0]

    def loss(x):
        hidden_pixels = torch.rand_like(x) < args.mask
        return nn.functional.mse_loss(model(x.masked_fill(hidden_pixels, 0.0)), x)

    seconds = common.fit(model, loss, train, args.epochs, args.lr, args.batch_size, args.log)
    model.eval()
    generator = torch.Generator().manual_seed(0x5EED)
    error = hidden_count = 0.0
    with torch.no_grad():
        for start in range(0, len(test), 500):
            x = test[start:start + 500]
            hidden_pixels = torch.rand(x.shape, generator=generator) < args.mask
            restored = model(x.masked_fill(hidden_pixels, 0.0))
            error += ((restored - x).square() * hidden_pixels).sum().item()
            hidden_count += hidden_pixels.sum().item()
    figures = {"train_seconds": round(seconds, 1), "masked_mse": error / hidden_count, "test_mse": common.reconstruction_mse(model, test)}
    figures["linear_probe_accuracy"] = common.probe_accuracy(common.encode_all(encoder, train), train_labels,
                                                              common.encode_all(encoder, test), test_labels)
    return figures
