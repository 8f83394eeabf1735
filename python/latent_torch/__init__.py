"""latent_torch: Latent's models, data and trainer in PyTorch (Debian's python3-torch and numpy only), to read
a run Latent wrote, train it further on one process or under torchrun with DistributedDataParallel, and
write back what Latent reads. See latent_torch.train and the README's "Scale: beyond one machine".
"""
import os

# As Latent's command line does on a busy machine: OpenMP threads that spin between operations stall
# each other whenever another process holds a core (one process with 2 threads took 85–118 s an epoch
# where 1 thread took 4.6 s, on the shared development machine). libgomp reads this when torch loads,
# so it only takes effect when latent_torch is imported first; OMP_WAIT_POLICY=ACTIVE overrides it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
