"""Models/Variational/VariationalAutoencoder.cs (Kingma & Welling 2014): q(z|x) = N(μ(x), Σ(x)), z = μ + Σ^½ε,
loss per example recon + λ·KL = −E_q[log p(x|z)] + λ·KL(q(z|x) ‖ N(0, I)) in nats (terms "recon", "kl").

The encoder outputs [μ (D) | log-variance (D) | the D(D−1)/2 strictly-lower entries of the Cholesky factor
L, for a full Σ]. KL warm-up (Bowman et al. 2016) ramps λ over the first kl_warmup epochs; free bits
(Kingma et al. 2016, eq. 15) floor each dimension's batch-averaged KL, both in training only.
GaussianKl.cs: diagonal ½[σ² + μ² − log σ² − 1]; full, by the chain rule, ½[Σₖ Lⱼₖ² + μⱼ² − log Lⱼⱼ² − 1]."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import decoder, encoder
from .autoencoder import Autoencoder, Diagnosis, LossTerms

LOG_TWO_PI = math.log(2 * math.pi)
ACTIVE_UNIT_THRESHOLD = 0.01  # VariationalMeasurements.ActiveUnitThreshold (Burda et al. 2016, §5.2)


class VariationalAutoencoder(Autoencoder):
    def __init__(self, options, shape):
        super().__init__()
        self.options = options
        self.latent_dim, self.full_covariance = options["latent_dim"], options["covariance"] == "full"
        self.unit_range = shape["kind"] == "image"
        dimension = self.latent_dim
        outputs = 2 * dimension + (dimension * (dimension - 1) // 2 if self.full_covariance else 0)
        self.encoder = encoder(options, shape, outputs)
        self.decoder = decoder(options, shape, dimension)
        if options["learn_variance"]:  # VaeOptions.Validate allows it with the gaussian likelihood only
            self.outputLogVariance = nn.Parameter(torch.full([1], math.log(options["variance"])))
        else:
            self.outputLogVariance = None
        self._collapsed_at_last_warning = 0

    def infer(self, x):
        """q(z|x): μ [B, D], log-variance [B, D] (log Σⱼⱼ, or log Lⱼⱼ² for a full Σ), and L [B, D, D] or None."""
        dimension = self.latent_dim
        outputs = self.encoder(x)
        mean, log_variance = outputs[:, :dimension], outputs[:, dimension:2 * dimension]
        if not self.full_covariance:
            return mean, log_variance, None
        # the strictly-lower entries in row-major order (torch.tril_indices, offset −1), as Infer's index_copy:
        # [B, D(D−1)/2] -> [B, D, D] with zeros on and above the diagonal, plus the positive diagonal exp(½ log Lⱼⱼ²)
        rows, columns = torch.tril_indices(dimension, dimension, offset=-1)
        flat = outputs.new_zeros(outputs.shape[0], dimension * dimension).index_copy(1, rows * dimension + columns, outputs[:, 2 * dimension:])
        return mean, log_variance, flat.reshape(-1, dimension, dimension) + torch.diag_embed((0.5 * log_variance).exp())

    @staticmethod
    def draw(mean, log_variance, cholesky, noise):
        """z = μ + Σ^½ε."""
        if cholesky is None:
            return mean + (0.5 * log_variance).exp() * noise
        return mean + torch.einsum("bjk,...bk->...bj", cholesky, noise)

    @staticmethod
    def kl_per_dimension(mean, log_variance, cholesky):
        """KL(q(z|x) ‖ N(0, I)) split over the latent dimensions [B, D]."""
        if cholesky is None:
            return 0.5 * (log_variance.exp() + mean.square() - log_variance - 1)
        return 0.5 * (cholesky.square().sum(-1) + mean.square() - log_variance - 1)

    def log_likelihood(self, decoder_output, x):
        """log p(x|z) summed over each example's elements, with every constant: [B]."""
        if self.options["likelihood"] == "bernoulli":
            cross_entropy = F.binary_cross_entropy_with_logits(decoder_output, x.expand_as(decoder_output), reduction="none")
            return -cross_entropy.flatten(1).sum(1)
        mean = torch.sigmoid(decoder_output) if self.unit_range else decoder_output
        squared_error = (x - mean).square()
        if self.outputLogVariance is None:
            variance = self.options["variance"]
            per_element = squared_error / variance + (math.log(variance) + LOG_TWO_PI)
        else:
            per_element = squared_error * (-self.outputLogVariance).exp() + self.outputLogVariance + LOG_TWO_PI
        return -0.5 * per_element.flatten(1).sum(1)

    def encode(self, x):
        return self.infer(x)[0]

    def decode(self, z):
        output = self.decoder(z)
        return torch.sigmoid(output) if self.unit_range else output

    def kl_weight(self, context):
        """λ, ramped linearly from 0 over the first kl_warmup epochs; λ itself for the final objective."""
        warmup, beta = self.options["kl_warmup"], self.options["beta"]
        if warmup <= 0 or context.final:
            return beta
        return beta * min(1.0, context.position.epoch_progress / warmup)

    def loss(self, x, context):
        mean, log_variance, cholesky = self.infer(x)
        noise = context.randn(self.latent_dim, dtype=mean.dtype)             # randn_like(μ) for the global batch
        z = self.draw(mean, log_variance, cholesky, noise)
        reconstruction = context.mean(-self.log_likelihood(self.decoder(z), x))
        kl_per_dimension = context.mean(self.kl_per_dimension(mean, log_variance, cholesky))   # [D], batch-averaged
        kl = kl_per_dimension.sum()
        free_bits = self.options["free_bits"]
        if free_bits > 0 and not context.final:
            # max(floor, KLⱼ) of the global batch average: below the floor a dimension gets no gradient
            average = context.total(kl_per_dimension) / context.shard.world
            regulariser = torch.where(average > free_bits, kl_per_dimension, torch.full_like(kl_per_dimension, free_bits)).sum()
        else:
            regulariser = kl
        total = reconstruction + self.kl_weight(context) * regulariser
        return LossTerms(total, [("recon", reconstruction), ("kl", kl)])

    def diagnose(self, validation):
        """Evaluator.EpochDiagnostics with VariationalEstimates: active_units (activity Cov_x(E_q[z_j]) > 0.01,
        Burda et al. 2016), collapsed_units (the others), kl_dim_j and activity_dim_j on the validation split."""
        if validation.count == 0:
            return Diagnosis()
        kl_sum = torch.zeros(self.latent_dim, dtype=torch.float64)
        means = []
        with torch.no_grad():
            for batch in validation.batches(500):
                mean, log_variance, cholesky = self.infer(batch)
                kl_sum += self.kl_per_dimension(mean, log_variance, cholesky).sum(0).double()
                means.append(mean.double())
        kl = (kl_sum / max(1, validation.count)).tolist()
        every = torch.cat(means, 0)
        activity = (every.var(0, unbiased=False) if validation.count > 1 else torch.zeros(self.latent_dim, dtype=torch.float64)).tolist()
        collapsed = [j for j, value in enumerate(activity) if not value > ACTIVE_UNIT_THRESHOLD]
        active = len(activity) - len(collapsed)
        figures = {"active_units": float(active), "collapsed_units": float(len(collapsed))}
        for j in range(self.latent_dim):
            figures[f"kl_dim_{j}"] = kl[j]
            figures[f"activity_dim_{j}"] = activity[j]
        warnings = []
        if collapsed and len(collapsed) != self._collapsed_at_last_warning:
            which = ", ".join(map(str, collapsed[:8])) + (", …" if len(collapsed) > 8 else "")
            what = (f"posterior collapse: the posterior means of all {len(kl)} latent dimensions ignore the input, so the decoder ignores z"
                    if len(collapsed) == len(kl) else f"posterior collapse in {len(collapsed)} of {len(kl)} latent dimensions ({which})")
            warnings.append(f"{what}; {active} active units; to cure it pass --kl-warmup 10 or --free-bits 0.25 (or a lower --beta or --latent-dim)")
        self._collapsed_at_last_warning = len(collapsed)
        return Diagnosis(figures, warnings)
