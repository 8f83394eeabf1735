"""src/Latent/Training/Adam.cs: Adam and AdamW as torch.optim implements them (Kingma & Ba 2015, Algorithm 1,
bias corrections folded into the step size), with the state as plain named tensors so that a checkpoint
holds it exactly: exp_avg.NAME (m), exp_avg_sq.NAME (v) and the step count t.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
Weight decay is added to the gradient (adam, L2) or shrinks θ by (1 − lr·λ) first (adamw, decoupled)."""
import math

import torch


class Adam:
    def __init__(self, named_parameters, weight_decay=0.0, decoupled=False, beta1=0.9, beta2=0.999, epsilon=1e-8):
        # every parameter has a slot, as in Latent (whose parameters all require gradients), even those
        # frozen for distributed training: their moments stay as the checkpoint has them
        self.slots = [(name, parameter, torch.zeros_like(parameter), torch.zeros_like(parameter))
                      for name, parameter in named_parameters]
        self.weight_decay, self.decoupled = weight_decay, decoupled
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.step_count = 0

    @property
    def parameters(self):
        return [parameter for _, parameter, _, _ in self.slots]

    def zero_grad(self):
        for _, parameter, _, _ in self.slots:
            if parameter.grad is not None:
                parameter.grad.zero_()

    @torch.no_grad()
    def step(self, learning_rate):
        self.step_count += 1
        correction1, correction2 = 1 - self.beta1 ** self.step_count, 1 - self.beta2 ** self.step_count
        step_size, sqrt_correction2 = learning_rate / correction1, math.sqrt(correction2)
        for _, parameter, first, second in self.slots:
            gradient = parameter.grad
            if gradient is None:
                continue
            if self.weight_decay != 0:
                if self.decoupled:
                    parameter.mul_(1 - learning_rate * self.weight_decay)
                else:
                    gradient = gradient.add(parameter, alpha=self.weight_decay)
            first.mul_(self.beta1).add_(gradient, alpha=1 - self.beta1)
            second.mul_(self.beta2).addcmul_(gradient, gradient, value=1 - self.beta2)
            denominator = second.sqrt().div_(sqrt_correction2).add_(self.epsilon)
            parameter.addcdiv_(first, denominator, value=-step_size)

    def state(self):
        """The moments by parameter name, for a checkpoint."""
        tensors = {}
        for name, _, first, second in self.slots:
            tensors[f"exp_avg.{name}"] = first
            tensors[f"exp_avg_sq.{name}"] = second
        return tensors

    @torch.no_grad()
    def load(self, state, step_count):
        for name, _, first, second in self.slots:
            first.copy_(state[f"exp_avg.{name}"])
            second.copy_(state[f"exp_avg_sq.{name}"])
        self.step_count = step_count
