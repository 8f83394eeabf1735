namespace Latent.Training;

/// <summary>Where training stands; with the weights and optimiser moments, enough to resume exactly.</summary>
public sealed record TrainingState
{
    /// <summary>0-based epoch in progress (equal to the epoch count when training is done).</summary>
    public int Epoch { get; init; }
    /// <summary>Batches of <see cref="Epoch"/> already done.</summary>
    public int BatchInEpoch { get; init; }
    /// <summary>Optimiser steps taken in all.</summary>
    public long Step { get; init; }
    /// <summary>The lowest validation loss (the training loss without a validation split) of a finished epoch.</summary>
    public double BestValidationLoss { get; init; } = double.PositiveInfinity;
    /// <summary>The 1-based epoch whose weights were selected, or -1 before the first epoch ends.</summary>
    public int BestEpoch { get; init; } = -1;
    /// <summary>Running sums of the loss terms over the epoch in progress (weighted by batch size).</summary>
    public Dictionary<string, double> TermSums { get; init; } = [];
    /// <summary>Examples seen in the epoch in progress.</summary>
    public long ExamplesInEpoch { get; init; }
    /// <summary>Factor on the scheduled learning rate: halved at every rollback after a divergence.</summary>
    public double LearningRateScale { get; init; } = 1;
    /// <summary>Rollbacks after divergences so far.</summary>
    public int Rollbacks { get; init; }
}
