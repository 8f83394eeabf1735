"""Plain autoencoder (Latent: --model ae, --arch mlp 784-512-256-32 or conv 32,64 channels, D = 32):
sigmoid output, mean squared error per pixel. Headline: test MSE."""
import torch
import torch.nn as nn

import common
import networks


def run(args, data):
    train, _, test, _ = data
    shape = tuple(train.shape[1:])
    model = nn.Sequential(networks.encoder(args.arch, shape, args.latent_dim), networks.decoder(args.arch, args.latent_dim, shape), nn.Sigmoid())
    loss = lambda x: nn.functional.mse_loss(model(x), x)
    seconds = common.fit(model, loss, train, args.epochs, args.lr, args.batch_size, args.log)
    model.eval()
    return {"train_seconds": round(seconds, 1), "test_mse": common.reconstruction_mse(model, test)}
