// Lowering of Latent's network building blocks (src/Latent/Nn and the TorchSharp layers they are made
// of) to ONNX operators, by module type. Each case mirrors the module's forward pass step by step, so
// that ONNX Runtime computes the same function as TorchSharp up to float rounding:
//   Linear            y = x Wᵀ + b                        MatMul(x, Transpose(W)) + b
//   Conv2d            cross-correlation, zero padding     Conv
//   ConvTranspose2d   its adjoint                         ConvTranspose
//   LayerNorm         (x − E x)/√(Var x + ε)·γ + β        LayerNormalization (opset 17)
//   GELU (exact)      x·Φ(x) = ½x(1 + erf(x/√2))           Erf and arithmetic (Gelu itself is opset 20)
//   attention         softmax(QKᵀ/√d)V (Vaswani et al. 2017, eq. 1), causal by a lower-triangular mask
//   Embedding         a row lookup                        Gather

using Latent.Nn;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>Lowers a module's forward pass into an <see cref="OnnxGraph"/>; a layer it does not know is a one-line <see cref="UserInputException"/>.</summary>
internal static class NnLowering
{
    /// <summary>
    /// Appends <paramref name="module"/>(<paramref name="input"/>) to the graph and returns the output's name.
    /// <paramref name="path"/> is the module's state-dict prefix (<c>encoder.layers.0</c>), which names its initializers.
    /// </summary>
    public static string Lower(OnnxGraph graph, nn.Module module, string input, string path) => module switch
    {
        Sequential sequential => sequential.named_children().Aggregate(input, (x, child) => Lower(graph, child.module, x, Join(path, child.name))),
        TorchSharp.Modules.Linear linear => Linear(graph, linear, input, path),
        ReLU => graph.Node("Relu", [input], path),
        Sigmoid => graph.Node("Sigmoid", [input], path),
        Tanh => graph.Node("Tanh", [input], path),
        GELU gelu => Gelu(graph, gelu, input, path),
        Conv2d conv => Convolution(graph, "Conv", conv, input, path),
        ConvTranspose2d conv => Convolution(graph, "ConvTranspose", conv, input, path),
        LayerNorm norm => LayerNorm(graph, norm, input, path),
        Embedding embedding => graph.Node("Gather", [graph.Initializer(Join(path, "weight"), embedding.weight!), input], path, OnnxGraph.Int("axis", 0)),
        MlpEncoder => Lower(graph, Child(module, "layers"), graph.Node("Flatten", [input], Join(path, "flat"), OnnxGraph.Int("axis", 1)), Join(path, "layers")),
        MlpDecoder decoder => Reshape(graph, Lower(graph, Child(module, "layers"), input, Join(path, "layers")), decoder.Dimensions, path),
        Nn.ConvEncoder => ConvEncoder(graph, module, input, path),
        ConvDecoder decoder => ConvDecoder(graph, decoder, input, path),
        Nn.PatchEmbedding => PatchEmbedding(graph, module, input, path),
        FeedForward => Lower(graph, Child(module, "fc2"), Lower(graph, Child(module, "act"), Lower(graph, Child(module, "fc1"), input, Join(path, "fc1")), Join(path, "act")), Join(path, "fc2")),
        SelfAttention attention => Attention(graph, attention, input, path, keyMask: null),
        TransformerBlock block => Block(graph, block, input, path, keyMask: null),
        ModuleList<TransformerBlock> blocks => Blocks(graph, blocks, input, path, keyMask: null),
        _ => throw Unsupported(module, path),
    };

    /// <summary>
    /// Transformer blocks in turn (as <see cref="Transformers.Apply"/>). With <paramref name="keyMask"/>
    /// (bool, broadcastable to the attention scores [B, H, N, N], true = may be attended to), every
    /// attention ignores the masked positions, so that the unmasked ones are computed exactly as if the
    /// sequence held only them (attention is the only place where positions meet).
    /// </summary>
    public static string Blocks(OnnxGraph graph, ModuleList<TransformerBlock> blocks, string input, string path, string? keyMask)
    {
        int index = 0;
        foreach (var block in blocks) input = Block(graph, block, input, Join(path, (index++).ToString(System.Globalization.CultureInfo.InvariantCulture)), keyMask);
        return input;
    }

    /// <summary>The one-line error for a layer (or a layer setting) that has no lowering yet.</summary>
    public static UserInputException Unsupported(nn.Module module, string path, string? why = null) =>
        new($"cannot export layer '{path}' ({module.GetType().Name}{(why is null ? "" : ", " + why)}) to ONNX yet; only MLP, conv and transformer layers are covered");

    /// <summary>The child module called <paramref name="name"/> (its field name, which is its state-dict key).</summary>
    public static nn.Module Child(nn.Module module, string name) =>
        module.named_children().FirstOrDefault(child => child.name == name).module
        ?? throw new InvalidOperationException($"{module.GetType().Name} has no submodule '{name}'");

    /// <summary>The parameter or buffer of <paramref name="module"/> itself called <paramref name="name"/>.</summary>
    public static Tensor Own(nn.Module module, string name) =>
        module.state_dict().TryGetValue(name, out var tensor) ? tensor : throw new InvalidOperationException($"{module.GetType().Name} has no tensor '{name}'");

    /// <summary><c>prefix.name</c>, or <c>name</c> at the root.</summary>
    public static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    /// <summary>[B, ...] → [B, ...dimensions], the batch axis kept dynamic.</summary>
    public static string Reshape(OnnxGraph graph, string input, IEnumerable<long> dimensions, string output) =>
        graph.Node("Reshape", [input, graph.Longs([-1, .. dimensions])], output);

    /// <summary>x Wᵀ + b for inputs of any rank (W is stored as the state dict has it, [out, in]).</summary>
    static string Linear(OnnxGraph graph, TorchSharp.Modules.Linear linear, string input, string path)
    {
        var weight = graph.Initializer(Join(path, "weight"), linear.weight!);
        var transposed = graph.Node("Transpose", [weight], Join(path, "weight_t"), OnnxGraph.Ints("perm", 1, 0));
        if (linear.bias is null) return graph.Node("MatMul", [input, transposed], path);
        var product = graph.Node("MatMul", [input, transposed], Join(path, "matmul"));
        return graph.Node("Add", [product, graph.Initializer(Join(path, "bias"), linear.bias)], path);
    }

    /// <summary>GELU: the exact form ½x(1 + erf(x/√2)); the tanh approximation as ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    static string Gelu(OnnxGraph graph, GELU gelu, string input, string path)
    {
        string inner;
        if (gelu.approximate == GELU.Approximate.none)
            inner = graph.Node("Erf", [graph.Node("Mul", [input, graph.Scalar((float)(1 / Math.Sqrt(2)))], Join(path, "scaled"))], Join(path, "erf"));
        else
        {
            var cube = graph.Node("Mul", [graph.Node("Mul", [input, input], Join(path, "square")), input], Join(path, "cube"));
            var sum = graph.Node("Add", [input, graph.Node("Mul", [cube, graph.Scalar(0.044715f)], Join(path, "cubic"))], Join(path, "sum"));
            inner = graph.Node("Tanh", [graph.Node("Mul", [sum, graph.Scalar((float)Math.Sqrt(2 / Math.PI))], Join(path, "scaled"))], Join(path, "tanh"));
        }
        var half = graph.Node("Mul", [input, graph.Scalar(0.5f)], Join(path, "half"));
        return graph.Node("Mul", [half, graph.Node("Add", [inner, graph.Scalar(1f)], Join(path, "one_plus"))], path);
    }

    /// <summary>Conv or ConvTranspose with the module's kernel, strides, zero padding, dilations, groups (and output padding).</summary>
    static string Convolution(OnnxGraph graph, string op, Convolution conv, string input, string path)
    {
        if (conv.padding_mode != TorchSharp.PaddingModes.Zeros) throw Unsupported(conv, path, $"padding mode {conv.padding_mode}");
        if (conv.padding_type is not null) throw Unsupported(conv, path, $"padding '{conv.padding_type}'");
        var padding = conv.padding ?? throw Unsupported(conv, path, "no explicit padding");
        var inputs = new List<string> { input, graph.Initializer(Join(path, "weight"), conv.weight!) };
        if (conv.bias is not null) inputs.Add(graph.Initializer(Join(path, "bias"), conv.bias));
        var attributes = new List<Onnx.AttributeProto>
        {
            OnnxGraph.Ints("kernel_shape", conv.kernel_size!),
            OnnxGraph.Ints("strides", conv.stride),
            OnnxGraph.Ints("pads", [.. padding, .. padding]),   // [begin h, begin w, end h, end w]
            OnnxGraph.Ints("dilations", conv.dilation),
            OnnxGraph.Int("group", conv.groups),
        };
        if (conv.transposed && conv.output_padding.Any(padding => padding != 0)) attributes.Add(OnnxGraph.Ints("output_padding", conv.output_padding));
        return graph.Node(op, inputs, path, [.. attributes]);
    }

    /// <summary>LayerNormalization over the trailing normalised axes; a norm without affine parameters gets γ = 1, β = 0.</summary>
    static string LayerNorm(OnnxGraph graph, LayerNorm norm, string input, string path)
    {
        var shape = norm.normalized_shape;
        var scale = norm.weight is null ? graph.Initializer(Join(path, "weight"), ones(shape)) : graph.Initializer(Join(path, "weight"), norm.weight);
        var bias = norm.bias is null ? graph.Initializer(Join(path, "bias"), zeros(shape)) : graph.Initializer(Join(path, "bias"), norm.bias);
        return graph.Node("LayerNormalization", [input, scale, bias], path,
            OnnxGraph.Int("axis", -shape.Length), OnnxGraph.Float("epsilon", (float)norm.eps));
    }

    // [B, C, H, W] -> [B, c, h, w] -> [B, c·h·w] -> [B, output]
    static string ConvEncoder(OnnxGraph graph, nn.Module module, string input, string path)
    {
        var features = Lower(graph, Child(module, "features"), input, Join(path, "features"));
        var flat = graph.Node("Flatten", [features], Join(path, "flat"), OnnxGraph.Int("axis", 1));
        return Lower(graph, Child(module, "head"), flat, Join(path, "head"));
    }

    // [B, input] -> [B, c·h·w] -> [B, c, h, w] -> [B, C, H, W]
    static string ConvDecoder(OnnxGraph graph, ConvDecoder decoder, string input, string path)
    {
        var head = graph.Node("Relu", [Lower(graph, Child(decoder, "head"), input, Join(path, "head"))], Join(path, "head_relu"));
        return Lower(graph, Child(decoder, "features"), Reshape(graph, head, decoder.Grid, Join(path, "grid")), Join(path, "features"));
    }

    // [B, C, H, W] -> [B, E, h, w] -> [B, E, h·w] -> [B, h·w, E]
    static string PatchEmbedding(OnnxGraph graph, nn.Module module, string input, string path)
    {
        var projected = Lower(graph, Child(module, "proj"), input, Join(path, "proj"));
        var flat = graph.Node("Reshape", [projected, graph.Longs(0, 0, -1)], Join(path, "flat"));
        return graph.Node("Transpose", [flat], path, OnnxGraph.Ints("perm", 0, 2, 1));
    }

    /// <summary>x ← x + Attention(LN₁(x)); x ← x + MLP(LN₂(x)).</summary>
    static string Block(OnnxGraph graph, TransformerBlock block, string input, string path, string? keyMask)
    {
        var normed = Lower(graph, Child(block, "norm1"), input, Join(path, "norm1"));
        var attended = Attention(graph, (SelfAttention)Child(block, "attn"), normed, Join(path, "attn"), keyMask);
        var middle = graph.Node("Add", [input, attended], Join(path, "residual1"));
        var fed = Lower(graph, Child(block, "mlp"), Lower(graph, Child(block, "norm2"), middle, Join(path, "norm2")), Join(path, "mlp"));
        return graph.Node("Add", [middle, fed], path);
    }

    /// <summary>
    /// Multi-head self-attention: one qkv projection, softmax(QKᵀ/√d)V per head, the output projection.
    /// Masked scores (later positions when causal, <paramref name="keyMask"/> false) become −∞ before
    /// the softmax, so that they get exactly zero weight.
    /// </summary>
    static string Attention(OnnxGraph graph, SelfAttention attention, string input, string path, string? keyMask)
    {
        var qkvLinear = (TorchSharp.Modules.Linear)Child(attention, "qkv");
        long width = qkvLinear.in_features, heads = attention.Heads, headWidth = width / heads;
        var qkv = Lower(graph, qkvLinear, input, Join(path, "qkv"));
        // [B, N, 3E] -> [B, N, 3, H, E/H] -> [3, B, H, N, E/H]
        var split = graph.Node("Reshape", [qkv, graph.Longs(0, 0, 3, heads, headWidth)], Join(path, "qkv_heads"));
        var stacked = graph.Node("Transpose", [split], Join(path, "qkv_stacked"), OnnxGraph.Ints("perm", 2, 0, 3, 1, 4));
        var parts = graph.Node("Split", [stacked], [Join(path, "q3"), Join(path, "k3"), Join(path, "v3")], OnnxGraph.Int("axis", 0));
        var axes = graph.Longs(0);
        var query = graph.Node("Squeeze", [parts[0], axes], Join(path, "query"));
        var key = graph.Node("Squeeze", [parts[1], axes], Join(path, "key"));
        var value = graph.Node("Squeeze", [parts[2], axes], Join(path, "value"));
        // Q Kᵀ / √d, [B, H, N, N]
        var keyT = graph.Node("Transpose", [key], Join(path, "key_t"), OnnxGraph.Ints("perm", 0, 1, 3, 2));
        var scores = graph.Node("Mul", [graph.Node("MatMul", [query, keyT], Join(path, "dot")), graph.Scalar((float)(1 / Math.Sqrt(headWidth)))], Join(path, "scores"));
        var negativeInfinity = graph.Scalar(float.NegativeInfinity);
        if (attention.Causal)
        {
            // ones [N, N], lower triangle kept: position i may attend to j ≤ i
            var length = graph.Node("Shape", [input], Join(path, "length"), OnnxGraph.Int("start", 1), OnnxGraph.Int("end", 2));
            var square = graph.Node("Concat", [length, length], Join(path, "square"), OnnxGraph.Int("axis", 0));
            var ones = graph.Node("ConstantOfShape", [square], Join(path, "ones"), OnnxGraph.TensorValue("value", 1f));
            var lower = graph.Node("Trilu", [ones], Join(path, "lower"), OnnxGraph.Int("upper", 0));
            var allowed = graph.Node("Cast", [lower], Join(path, "causal"), OnnxGraph.Int("to", (long)ElementType.Bool));
            scores = graph.Node("Where", [allowed, scores, negativeInfinity], Join(path, "scores_causal"));
        }
        if (keyMask is not null) scores = graph.Node("Where", [keyMask, scores, negativeInfinity], Join(path, "scores_masked"));
        var weights = graph.Node("Softmax", [scores], Join(path, "weights"), OnnxGraph.Int("axis", -1));
        var attended = graph.Node("MatMul", [weights, value], Join(path, "attended"));
        // [B, H, N, E/H] -> [B, N, H, E/H] -> [B, N, E]
        var merged = graph.Node("Transpose", [attended], Join(path, "merged_heads"), OnnxGraph.Ints("perm", 0, 2, 1, 3));
        var flat = graph.Node("Reshape", [merged, graph.Longs(0, 0, width)], Join(path, "merged"));
        return Lower(graph, Child(attention, "proj"), flat, Join(path, "proj"));
    }
}
