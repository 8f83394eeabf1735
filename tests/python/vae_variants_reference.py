"""Reference computations for the VAE variants, in PyTorch, written from the papers' formulas.

    /usr/bin/python3 tests/python/vae_variants_reference.py INPUT.json

INPUT.json holds float lists: "mean", "log_variance", "z" ([M, D]: a minibatch's diagonal posteriors and
their draws), "dataset_size" (N), and "component_mean", "component_log_variance" ([K, D]: the VampPrior's
pseudo-input posteriors). Prints JSON with
  - the β-TCVAE split by minibatch-weighted sampling exactly as Chen et al. (2018) code it (rtqichen/beta-tcvae,
    normalising by log(N·M)): "chen_mi", "chen_tc", "chen_dim_kl";
  - the VampPrior log-density log (1/K) Σₖ N(z; μₖ, σₖ²) of each row of z, by torch.distributions: "vamp_log_prior".
"""
import json
import math
import sys

import torch
from torch.distributions import Normal

data = json.load(open(sys.argv[1]))
mean = torch.tensor(data["mean"], dtype=torch.float64)
log_variance = torch.tensor(data["log_variance"], dtype=torch.float64)
z = torch.tensor(data["z"], dtype=torch.float64)
n = data["dataset_size"]
m = z.shape[0]

# log q(z_i | x_j) per dimension: [M, M, D]
pairs = Normal(mean.unsqueeze(0), (0.5 * log_variance).exp().unsqueeze(0)).log_prob(z.unsqueeze(1))
log_q_given_x = Normal(mean, (0.5 * log_variance).exp()).log_prob(z).sum(1)
log_q = torch.logsumexp(pairs.sum(2), dim=1) - math.log(n * m)
log_prod_marginals = (torch.logsumexp(pairs, dim=1) - math.log(n * m)).sum(1)
log_prior = Normal(0.0, 1.0).log_prob(z).sum(1)

component_mean = torch.tensor(data["component_mean"], dtype=torch.float64)
component_scale = (0.5 * torch.tensor(data["component_log_variance"], dtype=torch.float64)).exp()
k = component_mean.shape[0]
per_component = Normal(component_mean.unsqueeze(0), component_scale.unsqueeze(0)).log_prob(z.unsqueeze(1)).sum(2)  # [M, K]
vamp = torch.logsumexp(per_component, dim=1) - math.log(k)

print(json.dumps({
    "chen_mi": (log_q_given_x - log_q).mean().item(),
    "chen_tc": (log_q - log_prod_marginals).mean().item(),
    "chen_dim_kl": (log_prod_marginals - log_prior).mean().item(),
    "vamp_log_prior": vamp.tolist(),
}))
