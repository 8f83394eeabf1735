"""Independent PyTorch references for the quantizers' gradients and penalties (issue 18), written from the papers,
not from Latent's code:

  rotation trick (Fifty et al. 2024, §4): the output λ·R·e with the rotation R = I − 2rrᵀ + 2q̂êᵀ formed as a matrix,
      λ and R detached, and its gradient by autograd;
  FSQ (Mentzer et al. 2023, appendix A.1 listing): bound, round with the straight-through estimator, normalise;
  LFQ entropy penalty (Yu et al. 2023, §3.1): the soft assignment softmax(−‖z − c‖²/τ) over all 2^d codes, by brute force.

Usage: quantizer_reference.py IN.safetensors OUT.safetensors (Debian's python3-torch and numpy only). IN holds
rotation_e, rotation_q, rotation_w [N, D]; fsq_z [N, d], fsq_levels [d] (int64), fsq_w [N, d]; lfq_z [N, d] and
lfq_settings [3] = (w_s, w_b, τ). OUT gets rotation_output, rotation_grad, fsq_output, fsq_grad, lfq_sample_entropy,
lfq_batch_entropy, lfq_grad (of w_s·E[H] − w_b·H(E[p]) with respect to z).
"""

import json
import math
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def load(path):
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        header = json.loads(file.read(length))
        data = file.read()
    return {name: torch.from_numpy(np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]], dtype=DTYPES[e["dtype"]])
                                   .reshape(e["shape"]).copy())
            for name, e in header.items() if name != "__metadata__"}


def save(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        array = tensors[name].detach().contiguous().numpy().astype(np.float32)
        blob = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def rotation(e, q, w):
    e = e.double().requires_grad_()
    q = q.double()
    outputs = []
    for row in range(e.shape[0]):
        with torch.no_grad():
            e_hat, q_hat = e[row] / e[row].norm(), q[row] / q[row].norm()
            r = (e_hat + q_hat) / (e_hat + q_hat).norm()
            R = torch.eye(e.shape[1], dtype=torch.float64) - 2 * torch.outer(r, r) + 2 * torch.outer(q_hat, e_hat)
            scale = q[row].norm() / e[row].norm()
        outputs.append(scale * (R @ e[row]))
    output = torch.stack(outputs)
    (output * w.double()).sum().backward()
    return output, e.grad


def fsq(z, levels, w):
    z = z.double().requires_grad_()
    levels = levels.double()
    eps = 1e-3
    half_l = (levels - 1) * (1 - eps) / 2
    offset = torch.where(levels % 2 == 1, torch.zeros_like(levels), torch.full_like(levels, 0.5))
    shift = torch.tan(offset / half_l)
    bounded = torch.tanh(z + shift) * half_l - offset
    quantized = bounded + (bounded.round() - bounded).detach()  # round_ste
    output = quantized / torch.div(levels, 2, rounding_mode="floor")
    (output * w.double()).sum().backward()
    return output, z.grad


def lfq(z, settings):
    sample_weight, batch_weight, temperature = settings.double().tolist()
    z = z.double().requires_grad_()
    d = z.shape[1]
    codes = torch.tensor([[1.0 if (index >> bit) & 1 else -1.0 for bit in range(d)] for index in range(1 << d)], dtype=torch.float64)
    distances = (z.unsqueeze(1) - codes.unsqueeze(0)).square().sum(2)  # [N, 2^d]
    p = torch.softmax(-distances / temperature, 1)
    sample = -(p * torch.log(p.clamp_min(1e-300))).sum(1).mean()
    average = p.mean(0)
    batch = -(average * torch.log(average.clamp_min(1e-300))).sum()
    (sample_weight * sample - batch_weight * batch).backward()
    return sample, batch, z.grad


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(1)
    given = load(sys.argv[1])
    rotation_output, rotation_grad = rotation(given["rotation_e"], given["rotation_q"], given["rotation_w"])
    fsq_output, fsq_grad = fsq(given["fsq_z"], given["fsq_levels"], given["fsq_w"])
    sample, batch, lfq_grad = lfq(given["lfq_z"], given["lfq_settings"])
    save(sys.argv[2], {
        "rotation_output": rotation_output, "rotation_grad": rotation_grad,
        "fsq_output": fsq_output, "fsq_grad": fsq_grad,
        "lfq_sample_entropy": sample.reshape(1), "lfq_batch_entropy": batch.reshape(1), "lfq_grad": lfq_grad,
    })


if __name__ == "__main__":
    main()
