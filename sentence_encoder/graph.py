"""The six transformer layers of all-MiniLM-L6-v2 as an ONNX graph, built from the verified weights.

onnxruntime runs the layers (its MLAS kernels fuse what numpy would run as separate passes: about
4x faster than numpy with OpenBLAS on this project's 2-core machines, with the same numbers to
float32 precision). No exported model is downloaded or stored: the graph is built in memory each
time the encoder loads (~0.5 s), from the weights whose sha256 was just checked, so there is no
second model file to pin. Plain BERT, written with standard opset-18 operators; onnxruntime's
optimiser fuses LayerNormalization and the erf GELU itself.

Inputs: `x` [B, T, 384], the embedding output (word + position + type, LayerNorm'ed);
`key_bias` [B, 1, 1, T], 0 for tokens and a large negative number for padding.
Output: `hidden` [B, T, 384], the last layer's states.
"""
from __future__ import annotations

from typing import Dict, List

import numpy as np

# Architecture of all-MiniLM-L6-v2 (its config.json); the weights' sha256 pins it.
NUM_LAYERS = 6
NUM_HEADS = 12
HIDDEN = 384
HEAD_DIM = HIDDEN // NUM_HEADS
LAYER_NORM_EPS = 1e-12
OPSET = 18


def build_layers_graph(tensors: Dict[str, np.ndarray], layers: int = NUM_LAYERS) -> bytes:
    """A serialised ONNX model of the encoder layers, from the safetensors of all-MiniLM-L6-v2.
    `layers`: the first n layers only (a test checks one layer against BERT's arithmetic)."""
    from onnx import TensorProto, checker, helper, numpy_helper

    nodes: List = []
    initialisers: List = []

    def const(name: str, value: np.ndarray) -> str:
        initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, inputs: List[str], output: str, **attributes) -> str:
        nodes.append(helper.make_node(kind, inputs, [output], name=output, **attributes))
        return output

    def dense(h: str, prefix: str, name: str) -> str:
        weight = const(name + "_w", tensors[prefix + ".weight"].T)  # torch stores [out, in]
        return op("Add", [op("MatMul", [h, weight], name + "_mm"), const(name + "_b", tensors[prefix + ".bias"])],
                  name)

    def dense_residual_norm(h: str, residual: str, prefix: str, name: str) -> str:
        summed = op("Add", [dense(h, prefix + "dense", name), residual], name + "_res")
        return op("LayerNormalization", [summed, const(name + "_ln_g", tensors[prefix + "LayerNorm.weight"]),
                                         const(name + "_ln_b", tensors[prefix + "LayerNorm.bias"])],
                  name + "_ln", axis=-1, epsilon=LAYER_NORM_EPS)

    const("split_heads", np.array([0, 0, 3, NUM_HEADS, HEAD_DIM], dtype=np.int64))
    const("join_heads", np.array([0, 0, HIDDEN], dtype=np.int64))
    const("first_axis", np.array([0], dtype=np.int64))
    const("half", np.array(0.5, dtype=np.float32))
    const("one", np.array(1.0, dtype=np.float32))
    const("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))
    scale = np.float32(1.0 / np.sqrt(HEAD_DIM))

    x = "x"
    for i in range(layers):
        p, n = f"encoder.layer.{i}.", f"l{i}_"
        att = p + "attention.self."
        # One [384, 1152] matmul for query, key and value; the softmax scale folded into the query.
        w_qkv = np.concatenate([tensors[att + "query.weight"] * scale, tensors[att + "key.weight"],
                                tensors[att + "value.weight"]]).T
        b_qkv = np.concatenate([tensors[att + "query.bias"] * scale, tensors[att + "key.bias"],
                                tensors[att + "value.bias"]])
        qkv = op("Add", [op("MatMul", [x, const(n + "w_qkv", w_qkv)], n + "qkv_mm"), const(n + "b_qkv", b_qkv)],
                 n + "qkv")
        # [B, T, 3H] -> [3, B, heads, T, head_dim] -> q, k, v
        heads = op("Transpose", [op("Reshape", [qkv, "split_heads"], n + "qkv_5d")], n + "qkv_heads",
                   perm=[2, 0, 3, 1, 4])
        nodes.append(helper.make_node("Split", [heads], [n + "q3", n + "k3", n + "v3"], axis=0, num_outputs=3,
                                      name=n + "split"))
        q, k, v = (op("Squeeze", [n + part + "3", "first_axis"], n + part) for part in "qkv")
        k_t = op("Transpose", [k], n + "k_t", perm=[0, 1, 3, 2])
        scores = op("Add", [op("MatMul", [q, k_t], n + "scores_mm"), "key_bias"], n + "scores")
        probs = op("Softmax", [scores], n + "probs", axis=-1)
        context = op("Transpose", [op("MatMul", [probs, v], n + "ctx_heads")], n + "ctx_t", perm=[0, 2, 1, 3])
        context = op("Reshape", [context, "join_heads"], n + "ctx")
        x = dense_residual_norm(context, x, p + "attention.output.", n + "attn")
        inner = dense(x, p + "intermediate.dense", n + "inner")
        # exact GELU, as BERT uses: 0.5 * x * (1 + erf(x / sqrt 2))
        erf = op("Erf", [op("Mul", [inner, "inv_sqrt2"], n + "gelu_scaled")], n + "gelu_erf")
        gelu = op("Mul", [inner, op("Add", [erf, "one"], n + "gelu_1p")], n + "gelu_x")
        gelu = op("Mul", [gelu, "half"], n + "gelu")
        x = dense_residual_norm(gelu, x, p + "output.", n + "out")
    nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))

    graph = helper.make_graph(
        nodes, "all_minilm_l6_v2_layers",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", HIDDEN]),
         helper.make_tensor_value_info("key_bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", HIDDEN])],
        initialisers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what onnxruntime 1.16 reads
    checker.check_model(model)
    return model.SerializeToString()
