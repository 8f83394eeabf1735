using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Training;

/// <summary>
/// Adam and AdamW, as torch.optim implements them (Kingma &amp; Ba 2015, Algorithm 1, with the bias
/// corrections folded into the step size). Written here rather than taken from TorchSharp so that
/// the state (first and second moments, step count) is plain named tensors that a checkpoint saves
/// and restores exactly, which makes a resumed run bit-identical to an uninterrupted one.
/// </summary>
public sealed class Adam : IDisposable
{
    readonly (string Name, Parameter Parameter, Tensor FirstMoment, Tensor SecondMoment)[] _slots;
    readonly double _beta1, _beta2, _epsilon, _weightDecay;
    readonly bool _decoupled;

    /// <summary>An optimiser over the trainable parameters of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">Named parameters (the names are the keys of the saved state); frozen ones are skipped.</param>
    /// <param name="weightDecay">λ: added to the gradient as λ·θ (Adam), or subtracted from θ as lr·λ·θ (AdamW).</param>
    /// <param name="decoupled">AdamW's decoupled decay (Loshchilov &amp; Hutter 2019) instead of L2.</param>
    /// <param name="beta1">β₁, the decay of the first moment.</param>
    /// <param name="beta2">β₂, the decay of the second moment.</param>
    /// <param name="epsilon">ε in the denominator √v̂ + ε.</param>
    public Adam(IEnumerable<(string Name, Parameter Parameter)> parameters, double weightDecay = 0, bool decoupled = false,
                double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _slots = parameters.Where(p => p.Parameter.requires_grad)
            .Select(p => (p.Name, p.Parameter, zeros_like(p.Parameter), zeros_like(p.Parameter))).ToArray();
        (_beta1, _beta2, _epsilon, _weightDecay, _decoupled) = (beta1, beta2, epsilon, weightDecay, decoupled);
    }

    /// <summary>Steps taken so far (t in the paper).</summary>
    public long StepCount { get; private set; }

    /// <summary>The parameters it updates, in order.</summary>
    public IEnumerable<Parameter> Parameters => _slots.Select(slot => slot.Parameter);

    /// <summary>Whether every gradient is finite (no NaN, no ±∞): checked before every step.</summary>
    public bool GradientsFinite() => _slots.All(slot => slot.Parameter.grad is not { } gradient || Finite.All(gradient));

    /// <summary>Sets every gradient to zero before the next backward pass.</summary>
    public void ZeroGrad()
    {
        foreach (var slot in _slots) slot.Parameter.grad?.zero_();
    }

    /// <summary>One update with the given learning rate.</summary>
    public void Step(double learningRate)
    {
        StepCount++;
        double correction1 = 1 - Math.Pow(_beta1, StepCount), correction2 = 1 - Math.Pow(_beta2, StepCount);
        double stepSize = learningRate / correction1, sqrtCorrection2 = Math.Sqrt(correction2);
        using var noGrad = no_grad();
        foreach (var (_, parameter, m, v) in _slots)
        {
            var gradient = parameter.grad;
            if (gradient is null) continue;
            if (FusedAdam.Applies(parameter, gradient))
            {
                FusedAdam.Step(parameter, gradient, m, v, new FusedAdam.Coefficients(
                    (float)_beta1, (float)_beta2, (float)_epsilon, (float)stepSize, (float)sqrtCorrection2,
                    (float)_weightDecay, _decoupled, (float)learningRate));
                continue;
            }
            using var scope = NewDisposeScope();
            if (_weightDecay != 0)
            {
                if (_decoupled) parameter.mul_(1 - learningRate * _weightDecay);
                else gradient = gradient.add(parameter, alpha: _weightDecay);
            }
            m.mul_(_beta1).add_(gradient, alpha: 1 - _beta1);               // m ← β₁m + (1−β₁)g
            v.mul_(_beta2).addcmul_(gradient, gradient, value: 1 - _beta2);  // v ← β₂v + (1−β₂)g²
            var denominator = v.sqrt().div_(sqrtCorrection2).add_(_epsilon); // √v̂ + ε
            parameter.addcdiv_(m, denominator, value: -stepSize);            // θ ← θ − α m̂ / (√v̂ + ε)
        }
    }

    /// <summary>The moments by parameter name, for a checkpoint.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State() =>
        _slots.SelectMany(slot => new[] { ($"exp_avg.{slot.Name}", slot.FirstMoment), ($"exp_avg_sq.{slot.Name}", slot.SecondMoment) });

    /// <summary>Restores what <see cref="State"/> saved.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        using var noGrad = no_grad();
        foreach (var (name, _, m, v) in _slots)
        {
            m.copy_(state[$"exp_avg.{name}"]);
            v.copy_(state[$"exp_avg_sq.{name}"]);
        }
        StepCount = stepCount;
    }

    /// <summary>Frees the moment tensors.</summary>
    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.FirstMoment.Dispose();
            slot.SecondMoment.Dispose();
        }
    }
}
