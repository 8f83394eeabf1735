namespace Latent.Models.Plain;

/// <summary>Options of the plain autoencoder: only the shared ones (architecture, D, widths).</summary>
public sealed record PlainOptions : ModelOptions;
