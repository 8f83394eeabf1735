"""Variational autoencoder (Latent: --model vae, --arch mlp 784-512-256-(2×32) or conv, D = 32): diagonal
Gaussian posterior, Bernoulli likelihood (binary cross-entropy of the logits summed over pixels), KL to
N(0, I) in closed form; loss = batch mean of recon + KL. Headline: test −ELBO (one draw per image) and
the importance-weighted bound with K draws, in nats per image (bench/vae_reference.py's estimator)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import common
import networks


class Vae(nn.Module):
    def __init__(self, arch, shape, latent):
        super().__init__()
        self.latent = latent
        self.encoder = networks.encoder(arch, shape, 2 * latent)
        self.decoder = networks.decoder(arch, latent, shape)

    def posterior(self, x):
        mean, log_variance = self.encoder(x).chunk(2, dim=1)
        return mean, log_variance

    def log_likelihood(self, logits, x):
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)

    def terms(self, x):
        mean, log_variance = self.posterior(x)
        z = mean + (0.5 * log_variance).exp() * torch.randn_like(mean)
        recon = -self.log_likelihood(self.decoder(z), x)
        kl = 0.5 * (log_variance.exp() + mean.square() - log_variance - 1).sum(1)
        return recon, kl

    @torch.no_grad()
    def iwae(self, x, samples, rows_per_pass=8192):
        mean, log_variance = self.posterior(x)
        batch, d = mean.shape
        chunk = max(1, min(samples, rows_per_pass // batch))
        running = torch.full((batch,), -math.inf, dtype=torch.float64)
        for done in range(0, samples, chunk):
            s = min(chunk, samples - done)
            eps = torch.randn(s, batch, d)
            z = mean + (0.5 * log_variance).exp() * eps
            log_q = -0.5 * (d * math.log(2 * math.pi) + log_variance.sum(-1) + eps.square().sum(-1))
            log_p = -0.5 * (d * math.log(2 * math.pi) + z.square().sum(-1))
            logits = self.decoder(z.reshape(s * batch, d))
            targets = x.unsqueeze(0).expand(s, *x.shape).reshape(s * batch, *x.shape[1:])
            log_px = self.log_likelihood(logits, targets).reshape(s, batch)
            running = torch.logaddexp(running, (log_px + log_p - log_q).double().logsumexp(0))
        return running - math.log(samples)


def run(args, data):
    train, _, test, _ = data
    model = Vae(args.arch, tuple(train.shape[1:]), args.latent_dim)

    def loss(x):
        recon, kl = model.terms(x)
        return (recon + kl).mean()

    seconds = common.fit(model, loss, train, args.epochs, args.lr, args.batch_size, args.log)
    model.eval()
    torch.manual_seed(0x5EED)
    figures = {"train_seconds": round(seconds, 1), "test_neg_elbo_nats": common.mean_over(test, lambda x: sum(t.sum() for t in model.terms(x))),
               "test_mse": common.reconstruction_mse(lambda x: torch.sigmoid(model.decoder(model.posterior(x)[0])), test)}
    if args.iwae_samples > 0:
        figures["iwae_nll_nats"] = -common.mean_over(test, lambda x: model.iwae(x, args.iwae_samples).sum())
        figures["iwae_samples"] = args.iwae_samples
    return figures
