// An ONNX graph under construction (ONNX IR, docs/IR.md): named values, initializers holding the
// trained weights, nodes of the default operator set at OnnxGraph.Opset, and typed graph inputs and
// outputs whose first axis is the symbolic "batch".

using System.Runtime.InteropServices;
using Google.Protobuf;
using Latent.Export.Onnx;
using static TorchSharp.torch;

namespace Latent.Export;

/// <summary>The element types Latent's graphs use, with ONNX's numbers (TensorProto.DataType).</summary>
public enum ElementType
{
    /// <summary>float32.</summary>
    Float32 = 1,
    /// <summary>int64 (codes, token ids, shapes).</summary>
    Int64 = 7,
    /// <summary>bool (masks).</summary>
    Bool = 9,
}

/// <summary>A graph input or output as export.json describes it: name, element type, shape with "batch" for the dynamic axis, and what it is.</summary>
/// <param name="Name">The value's name in the graph.</param>
/// <param name="Type">Its element type.</param>
/// <param name="Shape">Dimensions: numbers, or the symbol <see cref="OnnxGraph.Batch"/>.</param>
/// <param name="Meaning">One line saying what the values are, in which units.</param>
public sealed record TensorSpec(string Name, ElementType Type, IReadOnlyList<object> Shape, string Meaning)
{
    /// <summary>The dtype as export.json and numpy spell it.</summary>
    public string DType => Type switch { ElementType.Float32 => "float32", ElementType.Int64 => "int64", _ => "bool" };

    /// <summary>[batch, ...dimensions].</summary>
    public static IReadOnlyList<object> Batched(IEnumerable<long> dimensions) => [OnnxGraph.Batch, .. dimensions.Cast<object>()];
}

/// <summary>
/// Builds one ONNX graph. Values are referred to by name; each Node call appends an operator and
/// returns the name of its output, so that lowering code reads like the forward pass it mirrors.
/// Names are made unique by a numeric suffix where a prefix repeats.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>The ONNX operator set: 17 has LayerNormalization and is the newest that Debian's onnx 1.12 checker knows; ONNX Runtime 1.31 runs it.</summary>
    public const int Opset = 17;

    /// <summary>ONNX IR version 8 (ONNX 1.10–1.12), the one that goes with opset 17.</summary>
    public const int IrVersion = 8;

    /// <summary>The symbol of the dynamic batch axis.</summary>
    public const string Batch = "batch";

    readonly GraphProto _graph;
    readonly HashSet<string> _names = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _initializers = new(StringComparer.Ordinal);
    readonly List<TensorSpec> _inputs = [], _outputs = [];

    /// <summary>An empty graph called <paramref name="name"/>.</summary>
    public OnnxGraph(string name, string description)
    {
        _graph = new GraphProto { Name = name, DocString = description };
        Description = description;
    }

    /// <summary>What the graph computes, in one line.</summary>
    public string Description { get; }

    /// <summary>The graph's inputs, as declared.</summary>
    public IReadOnlyList<TensorSpec> Inputs => _inputs;

    /// <summary>The graph's outputs, as declared.</summary>
    public IReadOnlyList<TensorSpec> Outputs => _outputs;

    /// <summary>Declares a graph input; returns its name.</summary>
    public string Input(TensorSpec spec)
    {
        Claim(spec.Name);
        _inputs.Add(spec);
        _graph.Input.Add(ValueInfo(spec));
        return spec.Name;
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="spec"/> (renamed by an Identity node when the names differ).</summary>
    public void Output(string value, TensorSpec spec)
    {
        if (value != spec.Name)
        {
            Claim(spec.Name);
            _graph.Node.Add(NodeProto("Identity", [value], [spec.Name], []));
        }
        _outputs.Add(spec);
        _graph.Output.Add(ValueInfo(spec));
    }

    /// <summary>
    /// A trained tensor stored in the graph under <paramref name="name"/> (a state-dict key where it
    /// is one): float32, int64 or bool, copied to the CPU. Returns its value name. A name asked for
    /// again returns the first initializer of that name: one name, one tensor (a state-dict key).
    /// </summary>
    public string Initializer(string name, Tensor tensor)
    {
        if (_initializers.TryGetValue(name, out var existing)) return existing;
        var requested = name;
        using var scope = NewDisposeScope();
        var contiguous = tensor.detach().cpu().contiguous();
        var (type, bytes) = contiguous.dtype switch
        {
            ScalarType.Float32 => (ElementType.Float32, MemoryMarshal.AsBytes<float>(contiguous.data<float>().ToArray()).ToArray()),
            ScalarType.Float64 => (ElementType.Float32, MemoryMarshal.AsBytes<float>(contiguous.to(ScalarType.Float32).data<float>().ToArray()).ToArray()),
            ScalarType.Int64 => (ElementType.Int64, MemoryMarshal.AsBytes<long>(contiguous.data<long>().ToArray()).ToArray()),
            ScalarType.Bool => (ElementType.Bool, contiguous.data<bool>().ToArray().Select(b => b ? (byte)1 : (byte)0).ToArray()),
            var other => throw new InvalidOperationException($"no ONNX initializer for {other} tensors"),
        };
        name = Unique(name);
        var proto = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        proto.Dims.AddRange(contiguous.shape);
        _graph.Initializer.Add(proto);
        return _initializers[requested] = name;
    }

    /// <summary>An int64 constant (a shape, axes, indices), shared by every node that needs the same values.</summary>
    public string Longs(params long[] values) =>
        Constant($"i64_{string.Join("_", values).Replace('-', 'm')}", () => tensor(values, ScalarType.Int64));

    /// <summary>A float32 scalar constant, shared like <see cref="Longs"/>.</summary>
    public string Scalar(float value) =>
        Constant($"f32_{value.ToString("R", System.Globalization.CultureInfo.InvariantCulture).Replace('-', 'm').Replace('.', 'p').Replace('+', '_')}", () => tensor(value));

    string Constant(string key, Func<Tensor> make)
    {
        if (_constants.TryGetValue(key, out var name)) return name;
        using var value = make();
        return _constants[key] = Initializer(key, value);
    }

    /// <summary>Appends one operator of one output; returns the output's name (<paramref name="output"/>, made unique).</summary>
    public string Node(string op, IReadOnlyList<string> inputs, string output, params AttributeProto[] attributes) =>
        Node(op, inputs, [output], attributes)[0];

    /// <summary>Appends one operator with several outputs; returns their names.</summary>
    public string[] Node(string op, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params AttributeProto[] attributes)
    {
        var names = outputs.Select(Unique).ToArray();
        _graph.Node.Add(NodeProto(op, inputs, names, attributes));
        return names;
    }

    /// <summary>The finished model: IR version, opset, producer, and the graph.</summary>
    public ModelProto ToModel(string producerVersion)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Latent",
            ProducerVersion = producerVersion,
            ModelVersion = 1,
            Graph = _graph.Clone(),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A list-of-integers attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A tensor attribute (ConstantOfShape's value).</summary>
    public static AttributeProto TensorValue(string name, float value)
    {
        var proto = new TensorProto { DataType = (int)ElementType.Float32, RawData = ByteString.CopyFrom(BitConverter.GetBytes(value)) };
        proto.Dims.Add(1);
        return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = proto };
    }

    NodeProto NodeProto(string op, IEnumerable<string> inputs, IEnumerable<string> outputs, IEnumerable<AttributeProto> attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{_graph.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    static ValueInfoProto ValueInfo(TensorSpec spec)
    {
        var shape = new TensorShapeProto();
        foreach (var dimension in spec.Shape)
            shape.Dim.Add(dimension is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dimension, System.Globalization.CultureInfo.InvariantCulture) });
        return new ValueInfoProto
        {
            Name = spec.Name,
            DocString = spec.Meaning,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)spec.Type, Shape = shape } },
        };
    }

    void Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"the graph already has a value named '{name}'");
    }

    string Unique(string name)
    {
        if (_names.Add(name)) return name;
        for (int suffix = 1; ; suffix++)
            if (_names.Add($"{name}_{suffix}")) return $"{name}_{suffix}";
    }
}
