"""VQ-VAE (Latent: --model vqvae --arch conv, channels 32, 64, D = 32 on a 7×7 grid, K = 512), the
textbook way: the EMA quantiser of the paper's appendix (van den Oord et al. 2017, A.1) as Sonnet's
VectorQuantizerEMA and its PyTorch ports write it: codes drawn from N(0, 1), decay γ = 0.99, Laplace-
smoothed cluster sizes (ε = 1e-5), commitment β = 0.25, straight-through gradient; no k-means
initialisation and no restarts of dead codes. The network is Latent's (Models/VectorQuantized/
VqNetworks.cs), He-initialised as Latent does. With --plain the codes learn by the codebook loss
instead (‖sg(z_e) − e‖², uniform(−1/K, 1/K) initial codes). Headlines: test MSE and the share of the
K codes the test images use."""
import torch
import torch.nn as nn
import torch.nn.functional as F


import common


def he_initialised(network):
    for module in network.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return network


class Quantizer(nn.Module):
    def __init__(self, codes, dimension, ema, decay=0.99, epsilon=1e-5):
        super().__init__()
        self.ema, self.decay, self.epsilon = ema, decay, epsilon
        if ema:
            self.register_buffer("embedding", torch.randn(codes, dimension))
            self.register_buffer("cluster_size", torch.zeros(codes))
            self.register_buffer("embedding_sum", torch.randn(codes, dimension))
        else:
            self.embedding = nn.Parameter(torch.empty(codes, dimension).uniform_(-1 / codes, 1 / codes))

    def codes(self, z):
        """z [N, D] → the index of the nearest code [N]."""
        distances = z.square().sum(1, keepdim=True) - 2 * z @ self.embedding.t() + self.embedding.square().sum(1)
        return distances.argmin(1)

    def forward(self, z):
        index = self.codes(z.detach())
        quantized = self.embedding[index]
        if self.training and self.ema:
            with torch.no_grad():
                one_hot = F.one_hot(index, self.embedding.shape[0]).type(z.dtype)
                self.cluster_size.mul_(self.decay).add_(one_hot.sum(0), alpha=1 - self.decay)
                total = self.cluster_size.sum()
                smoothed = (self.cluster_size + self.epsilon) / (total + len(self.cluster_size) * self.epsilon) * total
                self.embedding_sum.mul_(self.decay).add_(one_hot.t() @ z.detach(), alpha=1 - self.decay)
                self.embedding.copy_(self.embedding_sum / smoothed.unsqueeze(1))
        commitment = F.mse_loss(z, quantized.detach())
        codebook = torch.zeros(()) if self.ema else F.mse_loss(quantized, z.detach())
        return z + (quantized - z).detach(), index, commitment, codebook


class VqVae(nn.Module):
    def __init__(self, channels=1, latent=32, codes=512, ema=True):
        super().__init__()
        self.latent = latent
        self.encoder = he_initialised(nn.Sequential(
            nn.Conv2d(channels, 32, 4, stride=2, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, latent, 1)))
        self.decoder = he_initialised(nn.Sequential(
            nn.Conv2d(latent, 64, 3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(), nn.ConvTranspose2d(32, channels, 4, stride=2, padding=1)))
        self.quantizer = Quantizer(codes, latent, ema)

    def forward(self, x):
        ze = self.encoder(x)                                          # [B, D, h, w]
        b, d, h, w = ze.shape
        flat = ze.permute(0, 2, 3, 1).reshape(-1, d)                  # [B·h·w, D]
        zq, index, commitment, codebook = self.quantizer(flat)
        zq = zq.reshape(b, h, w, d).permute(0, 3, 1, 2)               # [B, D, h, w]
        return torch.sigmoid(self.decoder(zq)), index, commitment, codebook


def run(args, data):
    train, _, test, _ = data
    model = VqVae(train.shape[1], args.latent_dim, args.codebook_size, ema=not args.plain)

    def loss(x):
        restored, _, commitment, codebook = model(x)
        return F.mse_loss(restored, x) + codebook + 0.25 * commitment

    seconds = common.fit(model, loss, train, args.epochs, args.lr, args.batch_size, args.log)
    model.eval()
    used = torch.zeros(args.codebook_size, dtype=torch.bool)
    with torch.no_grad():
        for start in range(0, len(test), 500):
            used[model(test[start:start + 500])[1]] = True
    return {"train_seconds": round(seconds, 1), "test_mse": common.reconstruction_mse(lambda x: model(x)[0], test), "codebook_usage": used.double().mean().item()}
