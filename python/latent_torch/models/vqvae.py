"""Models/VectorQuantized (van den Oord, Vinyals & Kavukcuoglu 2017; EMA codebooks: Razavi et al. 2019, §3.1;
k-means initialisation and dead-code restarts after lucidrains/vector-quantize-pytorch):
z_e = φ(x) at every latent position, z_q = the nearest code of each head, x̂ = ψ(z_e + sg(z_q − z_e));
L = ‖x − x̂‖² + ‖z_q − sg(z_e)‖² + β‖z_e − sg(z_q)‖², each a mean per element (terms "recon",
"codebook" (not under EMA, where the codes follow moving averages instead), "commitment").

Codebook learning under DistributedDataParallel: every rank gathers the detached z_e vectors and their
codes of the whole global batch (LossContext.gather, in global order) and runs the same k-means
initialisation, EMA update and dead-code restarts on them, with the same seeded draws. So the codebook
buffers (embed, cluster_size, embed_avg, steps_unused) stay identical on every rank, equal to what one
process computes from the whole batch, without a separate all-reduce of the statistics; the trainer
re-broadcasts rank 0's buffers at every epoch end as a guard."""
import math

import torch
from torch import nn

from ..layers import ConvPadding, MlpDecoder, MlpEncoder, conv_down, conv_up, dimensions, transformer_blocks
from .autoencoder import Autoencoder, Diagnosis, LossTerms, per_example_mean

LAPLACE_EPSILON = 1e-5     # CodebookTraining.LaplaceEpsilon
KMEANS_ITERATIONS = 10     # CodebookTraining.KmeansIterations


def variance_preserving(network):
    """VqNetworks.VariancePreserving: He-normal weights N(0, 2/fan_in) and zero biases for every linear and conv layer."""
    with torch.no_grad():
        for child in network.modules():
            if isinstance(child, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(child.weight, mode="fan_in", nonlinearity="relu")
                if child.bias is not None:
                    nn.init.zeros_(child.bias)
    return network


def vq_conv_encoder(shape, channels, latent_dim):
    """VqNetworks.ConvEncoder: [B, C, H, W] → z_e [B, latentDim, h, w]; the stride-2 stack, a 3×3 conv, a 1×1 conv."""
    return variance_preserving(nn.Sequential(
        conv_down(shape["channels"], channels),
        nn.Conv2d(channels[-1], channels[-1], 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(channels[-1], latent_dim, 1)))


def vq_conv_decoder(latent_dim, channels, shape):
    """VqNetworks.ConvDecoder: z_q [B, latentDim, h, w] → [B, C, H, W] before the output activation."""
    return variance_preserving(nn.Sequential(
        nn.Conv2d(latent_dim, channels[-1], 3, padding=1),
        nn.ReLU(),
        conv_up(channels, shape["channels"])))


class Codebook(nn.Module):
    """Models/VectorQuantized/Codebook.cs: K codes embed [K, D] (a parameter, or a buffer under EMA), cluster_size [K],
    embed_avg [K, D] (EMA only), initted [1] and steps_unused [K] (int64), and how the codes learn."""

    def __init__(self, size, dimension, ema, kmeans_init, ema_decay=0.99, restart_after=0):
        super().__init__()
        self.size, self.ema, self.ema_decay, self.restart_after = size, ema, ema_decay, restart_after
        initial = torch.randn(size, dimension)
        if ema:
            self.register_buffer("embed", initial)
        else:
            self.embed = nn.Parameter(initial)
        # one pseudo-observation at the initial code, so that a code nobody picks keeps its place
        self.register_buffer("cluster_size", torch.ones(size))
        if ema:
            self.register_buffer("embed_avg", initial.clone())
        else:
            self.embed_avg = None
        self.register_buffer("initted", torch.full([1], 0.0 if kmeans_init else 1.0))
        self.register_buffer("steps_unused", torch.zeros(size, dtype=torch.int64))

    @staticmethod
    def nearest_in(codes, vectors):
        """argmin of ‖e‖² − 2 z·e over codes (‖z‖² is the same for every code), in one addmm, as Codebook.NearestIn.
        A search that sums in another order differs only in rounding, so only a near-tie could choose differently."""
        return torch.addmm(codes.square().sum(1), vectors, codes.t(), beta=1, alpha=-2).argmin(1)

    def nearest(self, vectors):
        """Vectors [N, D] → the index of the nearest code [N]."""
        with torch.no_grad():
            return self.nearest_in(self.embed, vectors)

    def lookup(self, indices):
        return self.embed.index_select(0, indices)

    @staticmethod
    def draw(vectors, count):
        """`count` rows of vectors at random: distinct when there are enough, with replacement otherwise."""
        available = vectors.shape[0]
        picks = torch.randperm(available)[:count] if available >= count else torch.randint(0, available, (count,))
        return vectors.index_select(0, picks)

    def initialise_if_needed(self, vectors):
        """k-means on the first training batch (all its vectors): K seeds drawn from it, then Lloyd iterations."""
        if self.initted.item() != 0:
            return
        with torch.no_grad():
            centroids = self.draw(vectors, self.size)
            counts = torch.zeros(self.size)
            for _ in range(KMEANS_ITERATIONS):
                assignment = self.nearest_in(centroids, vectors)
                counts = torch.bincount(assignment, minlength=self.size).float()
                sums = torch.zeros_like(centroids).index_add_(0, assignment, vectors)
                # an empty cluster keeps its centroid rather than collapsing to the origin
                centroids = torch.where(counts.eq(0).unsqueeze(1), centroids, sums / counts.clamp_min(1).unsqueeze(1))
            self.embed.copy_(centroids)
            self.cluster_size.copy_(counts.clamp_min(1))
            if self.embed_avg is not None:
                self.embed_avg.copy_(centroids * self.cluster_size.unsqueeze(1))  # m_i = e_i·N_i
            self.initted.fill_(1)

    def learn(self, vectors, indices):
        """Codebook.Learn after a training step: usage counts, EMA of sizes and sums (N_i, m_i), e_i = m_i / Ñ_i with
        Laplace smoothing Ñ_i = (N_i + ε) / (n + Kε) · n, then restarts of codes unused for restart_after steps."""
        with torch.no_grad():
            counts = torch.bincount(indices, minlength=self.size).float()          # n_i
            self.steps_unused.add_(1).masked_fill_(counts.gt(0), 0)
            decay = self.ema_decay
            self.cluster_size.mul_(decay).add_(counts, alpha=1 - decay)            # N_i ← γN_i + (1−γ)n_i
            if self.embed_avg is not None:
                sums = torch.zeros_like(self.embed_avg).index_add_(0, indices, vectors)
                self.embed_avg.mul_(decay).add_(sums, alpha=1 - decay)             # m_i ← γm_i + (1−γ)Σ z_j
                total = self.cluster_size.sum()
                smoothed = self.cluster_size.add(LAPLACE_EPSILON).div_(total.add(self.size * LAPLACE_EPSILON)).mul_(total)
                self.embed.copy_(self.embed_avg / smoothed.unsqueeze(1))
            if self.restart_after > 0:
                self.restart_dead_codes(vectors)

    def restart_dead_codes(self, vectors):
        dead = self.steps_unused.ge(self.restart_after).nonzero().squeeze(1)
        if dead.shape[0] == 0:
            return
        seeds = self.draw(vectors, int(dead.shape[0]))
        self.embed.index_copy_(0, dead, seeds)
        self.cluster_size.index_fill_(0, dead, 1)                                  # as if each had received its seed
        if self.embed_avg is not None:
            self.embed_avg.index_copy_(0, dead, seeds)
        self.steps_unused.index_fill_(0, dead, 0)


class VectorQuantizer(nn.Module):
    """Models/VectorQuantized/VectorQuantizer.cs: z [N, dim] → project_in (when L·D ≠ dim) → L heads of D, each
    replaced by the nearest code of its own codebook → project_out."""

    def __init__(self, dimension, heads, codebook_size, code_dimension, ema, kmeans_init, ema_decay=0.99, restart_after=0):
        super().__init__()
        self.heads, self.code_dimension = heads, code_dimension
        self.codebooks = nn.ModuleList(Codebook(codebook_size, code_dimension, ema, kmeans_init, ema_decay, restart_after)
                                       for _ in range(heads))
        projected = heads * code_dimension != dimension
        self.project_in = nn.Linear(dimension, heads * code_dimension) if projected else None
        self.project_out = nn.Linear(heads * code_dimension, dimension) if projected else None

    def parts(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        return projected.reshape(z.shape[0], self.heads, self.code_dimension)  # [N, L·D] -> [N, L, D]

    def unproject(self, parts):
        flat = parts.reshape(parts.shape[0], self.heads * self.code_dimension)  # [N, L, D] -> [N, L·D]
        return flat if self.project_out is None else self.project_out(flat)

    def lookup(self, codes):
        """Codes [N, L] → the code vectors [N, L, D]."""
        return torch.stack([codebook.lookup(codes[:, head]) for head, codebook in enumerate(self.codebooks)], 1)

    def nearest(self, parts):
        """Parts [N, L, D] → the nearest code of every head in its own codebook [N, L] (int64)."""
        return torch.stack([codebook.nearest(parts[:, head]) for head, codebook in enumerate(self.codebooks)], 1)

    def codes(self, z):
        """z [N, dim] → the code of every head [N, L]."""
        return self.nearest(self.parts(z))

    def embed(self, codes):
        """VectorQuantizer.Embed: codes [N, L] → the decoder's input [N, dim]."""
        return self.unproject(self.lookup(codes))

    def quantize(self, z, learn, context, positions):
        """VectorQuantizer.Quantize: (z_e + sg(z_q − z_e) [N, dim], codes [N, L], codebook and commitment losses).
        With learn (training steps), the codebooks first k-means-initialise if they have not, and afterwards learn
        from the whole global batch's vectors (gathered from every rank; `positions` vectors per example)."""
        parts = self.parts(z)                                                    # [N, L, D]
        codes, quantized = [], []
        for head, codebook in enumerate(self.codebooks):
            vectors = parts[:, head].detach()
            if learn:
                codebook.initialise_if_needed(context.gather(vectors, positions))
            codes.append(codebook.nearest(vectors))
            quantized.append(codebook.lookup(codes[head]))
        zq = torch.stack(quantized, 1)                                           # [N, L, D]
        # mse_loss per example: [N, L, D] -> [b, P·L·D], each example's elements
        per_example = (z.shape[0] // positions, positions * parts.shape[1] * parts.shape[2])
        codebook_loss = context.mean(per_example_mean((zq - parts.detach()).square().reshape(per_example)))
        commitment_loss = context.mean(per_example_mean((parts - zq.detach()).square().reshape(per_example)))
        passed = parts + (zq - parts).detach()                                   # straight-through
        if learn:
            for head, codebook in enumerate(self.codebooks):
                codebook.learn(context.gather(parts[:, head].detach().contiguous(), positions), context.gather(codes[head], positions))
        return self.unproject(passed), torch.stack(codes, 1), codebook_loss, commitment_loss

    def forward(self, z):
        """Quantize(learn: false).Output. The straight-through sum z_e + (z_q − z_e) is written out as Latent
        computes it: it equals z_q only up to rounding, and the comparison is finer than that."""
        parts = self.parts(z)
        quantized = self.lookup(self.nearest(parts))
        return self.unproject(parts + (quantized - parts))


# ---- Models/VectorQuantized: the other quantizers (FSQ, LFQ, residual VQ, cosine codes) ----
# Mirrors of FiniteScalarQuantizer.cs, LookupFreeQuantizer.cs, ResidualQuantizer.cs and the cosine option of
# VectorQuantizer.cs / Codebook.cs (issue 18). Each works on rows z [N, dim] like VectorQuantizer above and has
# forward (the decoder's input), codes [N, C] and embed; only what evaluation runs is mirrored (no losses, no
# learning: VqVae.loss refuses them). The rotation trick changes gradients only: its forward value is z_q, as the straight-through sum's.

class CosineVectorQuantizer(VectorQuantizer):
    """VectorQuantizer with --cosine: z_e's parts and the codes l2-normalised before the search and the lookup."""

    def parts(self, z):
        return nn.functional.normalize(super().parts(z), p=2, dim=2)

    def lookup(self, codes):
        return torch.stack([nn.functional.normalize(codebook.embed.index_select(0, codes[:, head]), p=2, dim=1)
                            for head, codebook in enumerate(self.codebooks)], 1)

    def nearest(self, parts):
        def one(codebook, vectors):
            codes = nn.functional.normalize(codebook.embed, p=2, dim=1)
            return torch.addmm(codes.square().sum(1), vectors, codes.t(), beta=1, alpha=-2).argmin(1)
        return torch.stack([one(codebook, parts[:, head]) for head, codebook in enumerate(self.codebooks)], 1)


class FiniteScalarQuantizer(nn.Module):
    """FiniteScalarQuantizer.cs (Mentzer et al. 2023, appendix A.1): project to L heads of d = len(levels) channels,
    f(z) = tanh(z + tan(o/h))·h − o with h = (L_i − 1)(1 − 1e-3)/2 and o = ½ for even L_i, round, divide by ⌊L_i/2⌋;
    the code is the mixed-radix integer of the digits round(f) + ⌊L_i/2⌋, first channel least significant."""

    EPSILON = 1e-3

    def __init__(self, dimension, heads, levels):
        super().__init__()
        self.heads, self.levels = heads, list(levels)
        d = len(self.levels)
        projected = heads * d != dimension
        self.project_in = nn.Linear(dimension, heads * d) if projected else None
        self.project_out = nn.Linear(heads * d, dimension) if projected else None
        half = [(level - 1) * (1 - self.EPSILON) / 2 for level in self.levels]
        offset = [0.5 if level % 2 == 0 else 0.0 for level in self.levels]
        # float64 arithmetic, float32 constants: as Latent computes them
        self.half = torch.tensor(half, dtype=torch.float32)
        self.offset = torch.tensor(offset, dtype=torch.float32)
        self.shift = torch.tensor([math.tan(o / h) for o, h in zip(offset, half)], dtype=torch.float32)
        self.width = torch.tensor([float(level // 2) for level in self.levels])
        self.basis = torch.tensor([math.prod(self.levels[:i]) for i in range(d)], dtype=torch.int64)

    def rounded(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        parts = projected.reshape(z.shape[0], self.heads, len(self.levels))  # [N, L·d] -> [N, L, d]
        return (torch.tanh(parts + self.shift) * self.half - self.offset).round()

    def unproject(self, parts):
        flat = parts.reshape(parts.shape[0], self.heads * len(self.levels))
        return flat if self.project_out is None else self.project_out(flat)

    def codes(self, z):
        digits = (self.rounded(z) + self.width).to(torch.int64)
        return (digits * self.basis).sum(-1)

    def embed(self, codes):
        levels = torch.tensor(self.levels, dtype=torch.int64)
        digits = torch.div(codes.unsqueeze(-1), self.basis, rounding_mode="floor").remainder(levels)
        return self.unproject((digits.to(torch.float32) - self.width) / self.width)

    def forward(self, z):
        return self.unproject(self.rounded(z) / self.width)


class LookupFreeQuantizer(nn.Module):
    """LookupFreeQuantizer.cs (Yu et al. 2023): project to L heads of d = log2 K channels, each replaced by its sign
    (0 counts as −1); the code is Σ_i 2^i·[z_i > 0]."""

    def __init__(self, dimension, heads, bits):
        super().__init__()
        self.heads, self.bits = heads, bits
        projected = heads * bits != dimension
        self.project_in = nn.Linear(dimension, heads * bits) if projected else None
        self.project_out = nn.Linear(heads * bits, dimension) if projected else None
        self.powers = torch.tensor([1 << bit for bit in range(bits)], dtype=torch.int64)

    def parts(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        return projected.reshape(z.shape[0], self.heads, self.bits)

    def unproject(self, parts):
        flat = parts.reshape(parts.shape[0], self.heads * self.bits)
        return flat if self.project_out is None else self.project_out(flat)

    def codes(self, z):
        return ((self.parts(z) > 0).to(torch.int64) * self.powers).sum(-1)

    def embed(self, codes):
        return self.unproject((codes.unsqueeze(-1).bitwise_and(self.powers) > 0).to(torch.float32) * 2 - 1)

    def forward(self, z):
        parts = self.parts(z)
        signs = (parts > 0).to(torch.float32) * 2 - 1
        return self.unproject(parts + (signs - parts))


class ResidualQuantizer(nn.Module):
    """ResidualQuantizer.cs (Zeghidour et al. 2021): N_q stages of learned codebooks on successive residuals, per head;
    codebooks.{s·L + h} (codebooks.{h} when shared); the codes of a row are stage by stage, head by head."""

    def __init__(self, dimension, heads, codebook_size, code_dimension, stages, shared, ema, kmeans_init):
        super().__init__()
        self.heads, self.code_dimension, self.stages, self.shared = heads, code_dimension, stages, shared
        self.codebooks = nn.ModuleList(Codebook(codebook_size, code_dimension, ema, kmeans_init)
                                       for _ in range((1 if shared else stages) * heads))
        projected = heads * code_dimension != dimension
        self.project_in = nn.Linear(dimension, heads * code_dimension) if projected else None
        self.project_out = nn.Linear(heads * code_dimension, dimension) if projected else None

    def codebook(self, stage, head):
        return self.codebooks[(0 if self.shared else stage) * self.heads + head]

    def unproject(self, parts):
        flat = parts.reshape(parts.shape[0], self.heads * self.code_dimension)
        return flat if self.project_out is None else self.project_out(flat)

    def codes(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        residual = projected.reshape(z.shape[0], self.heads, self.code_dimension)
        codes = []
        for stage in range(self.stages):
            chosen = [self.codebook(stage, head).nearest(residual[:, head]) for head in range(self.heads)]
            residual = residual - torch.stack([self.codebook(stage, h).lookup(c) for h, c in enumerate(chosen)], 1)
            codes.extend(chosen)
        return torch.stack(codes, 1)

    def summed(self, codes, stages):
        """The codes of the first `stages` stages → their sum per head [N, L, D], before project_out."""
        total = 0
        for stage in range(stages):
            total = total + torch.stack([self.codebook(stage, head).lookup(codes[:, stage * self.heads + head])
                                         for head in range(self.heads)], 1)
        return total

    def embed(self, codes, stages=None):
        return self.unproject(self.summed(codes, self.stages if stages is None else stages))

    def forward(self, z):
        projected = z if self.project_in is None else self.project_in(z)
        parts = projected.reshape(z.shape[0], self.heads, self.code_dimension)
        total = self.summed(self.codes(z), self.stages)
        return self.unproject(parts + (total - parts))


def build_quantizer(options, latent_dim, heads, code_dimension):
    """Quantizers.cs: --quantizer vq|fsq|lfq|rvq (manifests from before the option are vq)."""
    kind = options.get("quantizer", "vq")
    if kind == "fsq":
        levels = options.get("levels") or FSQ_DEFAULT_LEVELS[options["codebook_size"]]
        return FiniteScalarQuantizer(latent_dim, heads, levels)
    if kind == "lfq":
        return LookupFreeQuantizer(latent_dim, heads, options["codebook_size"].bit_length() - 1)
    if kind == "rvq":
        stages = options.get("stages") or 4
        return ResidualQuantizer(latent_dim, heads, options["codebook_size"], code_dimension, stages,
                                 options.get("shared_codebook", False), options["ema"], options["kmeans_init"])
    quantizer = CosineVectorQuantizer if options.get("cosine", False) else VectorQuantizer
    return quantizer(latent_dim, heads, options["codebook_size"], code_dimension, options["ema"], options["kmeans_init"])


def code_space(options, heads):
    """VqOptions.CodeSpace: (codes per position, K): heads × stages for rvq, Π levels for fsq."""
    kind = options.get("quantizer", "vq")
    if kind == "fsq":
        return heads, math.prod(options.get("levels") or FSQ_DEFAULT_LEVELS[options["codebook_size"]])
    return heads * ((options.get("stages") or 4) if kind == "rvq" else 1), options["codebook_size"]


# FiniteScalarQuantizer.DefaultLevels: the FSQ paper's Table 1, and 8,8,8 for 512
FSQ_DEFAULT_LEVELS = {256: [8, 6, 5], 512: [8, 8, 8], 1024: [8, 5, 5, 5], 4096: [7, 5, 5, 5, 5],
                      16384: [8, 8, 8, 6, 5], 65536: [8, 8, 8, 5, 5, 5]}

# ---- end of the other quantizers ----


class CodeTransformer(nn.Module):
    """Models/VectorQuantized/CodeTransformer.cs, nanoGPT's GPT around the shared causal blocks: tokens [B, t] → next-code logits [B, t, K].

    A sequence is the code grid position-major, the L heads of a position one after another; code c of head h
    is token h·K + c, and token L·K starts every sequence."""

    ATTENTION_HEADS = 4  # CodeTransformer.AttentionHeads

    def __init__(self, sequence_length, heads, codebook_size, width, layers):
        super().__init__()
        self.code_heads, self.codebook_size = heads, codebook_size
        self.wte = nn.Embedding(heads * codebook_size + 1, width)
        self.wpe = nn.Embedding(sequence_length, width)
        self.h = transformer_blocks(layers, width, self.ATTENTION_HEADS, causal=True)
        self.ln_f = nn.LayerNorm(width)
        self.lm_head = nn.Linear(width, codebook_size)
        with torch.no_grad():  # GPT-2's small embeddings
            nn.init.normal_(self.wte.weight, 0, 0.02)
            nn.init.normal_(self.wpe.weight, 0, 0.02)

    def forward(self, tokens):
        x = self.wte(tokens) + self.wpe(torch.arange(tokens.shape[1]))  # [B, t, E]
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    def inputs(self, codes):
        """CodeTransformer.Inputs: codes [B, T] (head-local) → the start token, then all codes but the last, as tokens [B, T]."""
        offsets = torch.arange(codes.shape[1]).remainder(self.code_heads).mul(self.codebook_size).unsqueeze(0)
        start = torch.full((codes.shape[0], 1), self.code_heads * self.codebook_size, dtype=torch.int64)
        return torch.cat([start, (codes + offsets)[:, :-1]], 1)


class CodePrior(nn.Module):
    """Models/VectorQuantized/CodePrior.cs: counts [P, L, K] (the empirical prior), trained_epochs [1] and, when
    prior_epochs > 0, the transformer; the VQ-VAE's prior.* entries."""

    def __init__(self, positions, heads, codebook_size, width, layers, autoregressive):
        super().__init__()
        self.register_buffer("counts", torch.zeros(positions, heads, codebook_size))
        self.register_buffer("trained_epochs", torch.zeros(1))
        self.transformer = CodeTransformer(positions * heads, heads, codebook_size, width, layers) if autoregressive else None


class VqVae(Autoencoder):
    untrained_prefixes = ("prior.",)  # the prior over codes is fitted after training (latent train --resume fits it)

    """Models/VectorQuantized/VqVae.cs: z_e = encoder(x) at P positions (a grid for conv, slots for mlp), each of
    latentDim channels, quantised by the quantizer; x̂ = decoder(z_q), through a sigmoid for [0, 1] data.

    encode: z_q flattened position-major, channels last [B, P·latentDim]. decode: z as it is, not re-quantised.
    codes and decode_codes give the discrete path; the prior plays no part in encode and reconstruct."""

    def __init__(self, options, shape):
        super().__init__()
        self.conv, self.latent_dim = options["arch"] == "conv", options["latent_dim"]
        self.unit_range = shape["kind"] == "image"
        if self.conv:
            self.padding = ConvPadding(shape, len(options["channels"]))
            self.grid = list(self.padding.grid)
            self.encoder = vq_conv_encoder(shape, options["channels"], self.latent_dim)
            self.decoder = vq_conv_decoder(self.latent_dim, options["channels"], shape)
        else:
            self.grid = [options["slots"]]
            features = math.prod(dimensions(shape))
            self.encoder = variance_preserving(MlpEncoder(features, options["hidden"], self.grid[0] * self.latent_dim))
            self.decoder = variance_preserving(MlpDecoder(self.grid[0] * self.latent_dim, options["hidden"], dimensions(shape)))
        self.positions, heads = math.prod(self.grid), options["heads"]
        # VqOptions.CodeDimension: code_dim, or z_e split evenly across the heads
        code_dimension = self.latent_dim // heads if options.get("code_dim") is None else options["code_dim"]
        self.learned = (options.get("quantizer", "vq") == "vq" and not options.get("cosine", False)
                        and options.get("gradient", "ste") == "ste")
        self.quantizer = (VectorQuantizer(self.latent_dim, heads, options["codebook_size"], code_dimension, options["ema"],
                                          options["kmeans_init"], options["ema_decay"], options["restart_after"])
                          if self.learned else build_quantizer(options, self.latent_dim, heads, code_dimension))
        self.options = options
        self.codes_per_position, codebook_size = code_space(options, heads)
        self.prior = CodePrior(self.positions, self.codes_per_position, codebook_size, options["prior_width"],
                               options["prior_layers"], autoregressive=options["prior_epochs"] > 0)

    def continuous(self, x):
        """x → z_e [B, P, latentDim]."""
        features = self.encoder(self.padding.pad(x) if self.conv else x)
        if self.conv:  # [B, C, h, w] -> [B, h, w, C] -> [B, h·w, C]
            return features.permute(0, 2, 3, 1).reshape(x.shape[0], self.positions, self.latent_dim)
        return features.reshape(x.shape[0], self.positions, self.latent_dim)  # [B, P·C] -> [B, P, C]

    def decode_positions(self, quantized):
        """z_q [B, P, latentDim] → x̂ in data units."""
        batch = quantized.shape[0]
        if self.conv:  # [B, h·w, C] -> [B, h, w, C] -> [B, C, h, w]
            features = quantized.reshape(batch, *self.grid, self.latent_dim).permute(0, 3, 1, 2)
        else:          # [B, P, C] -> [B, P·C]
            features = quantized.reshape(batch, self.positions * self.latent_dim)
        output = self.decoder(features)
        if self.conv:
            output = self.padding.crop(output)
        return torch.sigmoid(output) if self.unit_range else output

    def encode(self, x):
        quantized = self.quantizer(self.continuous(x).reshape(-1, self.latent_dim))
        return quantized.reshape(x.shape[0], self.positions * self.latent_dim)

    def decode(self, z):
        return self.decode_positions(z.reshape(z.shape[0], self.positions, self.latent_dim))

    def codes(self, x):
        """x → the code of every position and head [B, P, L] (int64)."""
        codes = self.quantizer.codes(self.continuous(x).reshape(-1, self.latent_dim))
        return codes.reshape(x.shape[0], self.positions, self.codes_per_position)

    def decode_codes(self, codes):
        """Codes [B, P, L] → x̂."""
        batch = codes.shape[0]
        embedded = self.quantizer.embed(codes.reshape(batch * self.positions, self.codes_per_position))
        return self.decode_positions(embedded.reshape(batch, self.positions, self.latent_dim))


    def loss(self, x, context):
        if not self.learned:
            raise ValueError(f"latent_torch trains the learned VQ only (--quantizer vq, no --cosine, --gradient ste); train this "
                             f"--quantizer {self.options.get('quantizer', 'vq')} run with Latent, whose runs latent_torch can evaluate")
        learn = self.training and not context.final            # codebooks learn on training steps only
        ze = self.continuous(x)                                  # [b, P, C]
        output, _, codebook_loss, commitment_loss = self.quantizer.quantize(ze.reshape(-1, self.latent_dim), learn, context, self.positions)
        reconstruction = self.decode_positions(output.reshape(ze.shape))
        recon = context.mean(per_example_mean((reconstruction - x).square()))
        commitment = commitment_loss * self.options["commitment"]
        if self.options["ema"]:
            return LossTerms(recon + commitment, [("recon", recon), ("commitment", commitment)])
        return LossTerms(recon + codebook_loss + commitment, [("recon", recon), ("codebook", codebook_loss), ("commitment", commitment)])

    def prepare_for_training(self):
        """The prior belongs to the weights it was fitted on: training changes them, so it goes back to unfitted
        (counts 0) as in Latent's checkpoints; 'latent train --resume' fits it again on the new weights."""
        with torch.no_grad():
            self.prior.counts.zero_()
            self.prior.trained_epochs.zero_()

    second_stage = "prior"  # VqVae.SecondStageName: its checkpoints and metrics belong to the weights it was fitted on

    def diagnose(self, validation):
        """Evaluator.EpochDiagnostics with CodebookEstimates: codebook_usage, codebook_perplexity and dead_codes
        of the validation split's codes."""
        if validation.count == 0:
            return Diagnosis()
        heads, size = self.quantizer.heads, self.options["codebook_size"]
        counts = torch.zeros(heads, size, dtype=torch.int64)
        with torch.no_grad():
            for batch in validation.batches(500):
                codes = self.codes(batch).reshape(-1, heads)                   # [B·P, L]
                for head in range(heads):
                    counts[head] += torch.bincount(codes[:, head], minlength=size)
        used = int((counts > 0).sum())
        perplexities = []
        for head in counts.double():
            total = head.sum()
            frequencies = head[head > 0] / total
            perplexities.append(0.0 if total == 0 else math.exp(float(-(frequencies * frequencies.log()).sum())))
        usage = used / (heads * size)
        figures = {"codebook_usage": usage, "codebook_perplexity": sum(perplexities) / heads, "dead_codes": float(heads * size - used)}
        warnings = []
        if usage < 0.5:
            warnings.append(f"only {usage:.0%} of the codes are used on the validation set ({heads * size - used} dead, "
                            f"perplexity {figures['codebook_perplexity']:.1f}); pass --restart-after 20 (or lower) to re-seed "
                            "unused codes, or a smaller --codebook-size")
        return Diagnosis(figures, warnings)

