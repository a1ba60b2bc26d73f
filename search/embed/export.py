"""Build time only: export the sentence-transformers model to ONNX for the torch-free query path.

One graph holds the transformer, the pooling and the L2 normalisation, so the served process
only tokenises and runs it (search/embed/onnx.py). The weights are then quantised to 8 bits,
and a quantised graph is kept only if every probe text's vector stays within cosine
MIN_COSINE of the sentence-transformers vector; otherwise the next, more exact one is tried,
and last the float32 graph. The float32 graph is kept beside it as onnx/build.onnx, for
builds to embed with (search/embed/batch.py), if it too agrees within MIN_COSINE.

Measured on all-MiniLM-L6-v2 (README, Performance): default dynamic quantisation drifts to
cosine 0.88 on short queries; per-channel uint8 weights reach 0.986. The FFN output
projections (the wide 1536 -> 384 matrices) are where it drifts: their GELU inputs have
outliers that one scale per input cannot hold. So those six get 8-bit weights with their
input quantised in blocks of BLOCK values per token instead (onnxruntime's MatMulNBits,
accuracy level 4), which drifts about as little as leaving them in float32 and runs them in
1.7 ms instead of 2.2 ms per query; float32 projections are the fallback.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from search.embed.onnx import ONNX_DIR, OnnxEmbedder
from search.errors import NotExportable
from search.model import QueryModel

RECIPE = "torchscript-opset17-fused-u8pc-ffnb8-2"
MIN_COSINE = 0.99
BLOCKWISE = "uint8-per-channel+blockwise-ffn"
PER_CHANNEL = "uint8-per-channel"
MODEL_FILE = "model.onnx"
BUILD_FILE = "build.onnx"  # the float32 graph, kept for build-time embedding
TOKENIZER_FILE = "tokenizer.json"
MAX_PROBES = 128
OPSET = 17
# Values of a wide projection's input quantised together; 32 drifted least of 16 to 128.
BLOCK = 32


def model_fingerprint(model_dir: Path) -> str:
    """sha256 over the model folder's files, so an export is reused only for the same weights."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(model_dir).as_posix().encode() + b"\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def probe_texts(texts: Sequence[str], limit: int = MAX_PROBES) -> list[str]:
    """Passages spread over the corpus, and their first words as short, query-like texts.

    Short texts are where 8-bit weights drift most, so they must be among the probes.
    """
    step = max(1, len(texts) // max(1, limit // 2))
    sample = [t for t in texts[::step] if t.strip()][: limit // 2]
    short = [" ".join(t.split()[:4]) for t in sample]
    return list(dict.fromkeys(sample + short))


def _pooling_of(st_model: Any) -> str:
    """The pooling mode, or NotExportable when the module chain is not transformer+pooling."""
    names = [type(m).__name__ for m in st_model]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise NotExportable(f"module chain {names} (only Transformer, Pooling[, Normalize])")
    mode = getattr(st_model[1], "pooling_mode", None)
    if mode is None:  # sentence-transformers < 6
        mode = st_model[1].get_pooling_mode_str()
    if mode not in ("mean", "cls"):
        raise NotExportable(f"pooling mode {mode!r} (only mean or cls)")
    return str(mode)


def _export_fp32(st_model: Any, pooling: str, path: Path) -> None:
    import torch

    transformer = st_model[0].auto_model
    token_types = "token_type_ids" in st_model.tokenizer.model_input_names

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            extra = {"token_type_ids": torch.zeros_like(input_ids)} if token_types else {}
            hidden = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, **extra
            ).last_hidden_state
            if pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    example = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    # Plain (eager) attention exports as MatMul/Softmax, a pattern onnxruntime fuses into
    # its Attention kernel; the SDPA export it does not recognise.
    attention = getattr(transformer.config, "_attn_implementation", None)
    if attention and hasattr(transformer, "set_attn_implementation"):
        transformer.set_attn_implementation("eager")
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter warns about tracing; the graph is checked numerically below.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled().eval(),
            (example, example),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,  # the dynamo exporter needs onnxscript; this one is in torch itself
        )
    if attention and hasattr(transformer, "set_attn_implementation"):
        transformer.set_attn_implementation(attention)
    _fuse(path, transformer.config)


def _fuse(path: Path, config: Any) -> None:
    """Fuse attention, layer norms and GELU into onnxruntime's transformer kernels, in place.

    A short query runs hundreds of tiny shape operators otherwise; fused, it is a third faster.
    """
    if getattr(config, "model_type", None) != "bert":
        return  # other architectures run unfused, still checked numerically
    from onnxruntime.transformers import optimizer

    with _quiet():
        fused = optimizer.optimize_model(
            str(path),
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=1,
        )
        fused.save_model_to_file(str(path))


def _wide_matmuls(path: Path) -> list[str]:
    """MatMul nodes whose constant weight narrows its input (the FFN output projections)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    shapes = {init.name: tuple(init.dims) for init in model.graph.initializer}
    wide = []
    for node in model.graph.node:
        dims = shapes.get(node.input[1]) if node.op_type == "MatMul" else None
        if dims is not None and len(dims) == 2 and dims[0] > dims[1]:
            wide.append(node.name)
    return wide


def _quantise(fp32: Path, out: Path) -> None:
    """8-bit weights and 8-bit inputs (one scale per input), except in the wide projections."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet():
        quantize_dynamic(
            str(fp32),
            str(out),
            per_channel=True,
            # uint8 weights: int8 ones saturate in the AVX2 kernels and drift further.
            weight_type=QuantType.QUInt8,
            nodes_to_exclude=_wide_matmuls(fp32),
            # Fused operators have no ONNX shape inference; their outputs are float32.
            extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def _quantise_blockwise(graph: Path, out: Path) -> None:
    """The MatMuls still in float32 (the wide projections) with blockwise 8-bit weights and
    their input quantised per token in blocks of BLOCK values (accuracy level 4)."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    config = DefaultWeightOnlyQuantConfig(
        block_size=BLOCK, is_symmetric=True, accuracy_level=4, bits=8
    )
    with _quiet():
        quantizer = MatMulNBitsQuantizer(onnx.load(str(graph)), algo_config=config)
        quantizer.process()
        quantizer.model.save_model_to_file(str(out), False)


@contextmanager
def _quiet() -> Iterator[None]:
    """onnxruntime's tools log generic advice at WARNING on the root logger; not for users."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def reuse_export(
    previous: tuple[Path, QueryModel],
    model_dir: Path,
    index_dir: Path,
    log: Callable[[str], None] | None = None,
) -> QueryModel | None:
    """Link the previous index's export into index_dir if it is of these weights and recipe.

    Needs no model: its agreement was measured when it was made, for the same weights.
    """
    old_dir, old = previous
    source = model_fingerprint(model_dir)
    files = [old.model_file, old.tokenizer_file] + ([old.build_file] if old.build_file else [])
    if not (
        old.source == source
        and old.recipe == RECIPE
        and all((old_dir / file).is_file() for file in files)
    ):
        return None
    (index_dir / ONNX_DIR).mkdir(parents=True, exist_ok=True)
    for file in dict.fromkeys(files):
        _link_or_copy(old_dir / file, index_dir / file)
    if log:
        log(f"ONNX query model reused from the previous index (cosine min {old.cosine_min})")
    return old


def export_query_model(
    st_model: Any,
    model_dir: Path,
    name: str,
    index_dir: Path,
    texts: Sequence[str],
    previous: tuple[Path, QueryModel] | None = None,
    log: Callable[[str], None] | None = None,
) -> QueryModel | None:
    """Write index_dir/onnx/ (model and tokenizer) and return its manifest record.

    `previous` is the index being replaced and its record: an export of the same weights by
    the same recipe is linked into the new folder as it is. None (and a log line) when the
    model is not one this exporter reproduces exactly.
    """
    say = log or (lambda _msg: None)
    if previous is not None:
        reused = reuse_export(previous, model_dir, index_dir, log)
        if reused is not None:
            return reused
    source = model_fingerprint(model_dir)
    dest = index_dir / ONNX_DIR
    dest.mkdir(parents=True, exist_ok=True)
    try:
        pooling = _pooling_of(st_model)
        _save_tokenizer(st_model, dest / TOKENIZER_FILE)
    except NotExportable as exc:
        shutil.rmtree(dest)
        say(f"no ONNX export ({exc}); queries will use sentence-transformers")
        return None
    probes = probe_texts(texts)
    reference = np.asarray(
        st_model.encode(list(probes), normalize_embeddings=True, convert_to_numpy=True),
        dtype=np.float32,
    )

    def measured(quantisation: str) -> QueryModel:
        record = QueryModel(
            runtime="onnxruntime",
            model_file=f"{ONNX_DIR}/{MODEL_FILE}",
            tokenizer_file=f"{ONNX_DIR}/{TOKENIZER_FILE}",
            max_length=int(st_model.max_seq_length),
            pooling=pooling,
            quantisation=quantisation,
            cosine_min=1.0,
            cosine_mean=1.0,
            probes=len(probes),
            source=source,
            recipe=RECIPE,
        )
        vectors = OnnxEmbedder(index_dir, record, name).embed(probes)
        cosines = np.sum(vectors * reference, axis=1)
        return replace(
            record,
            cosine_min=round(float(cosines.min()), 5),
            cosine_mean=round(float(cosines.mean()), 5),
        )

    say("exporting the model to ONNX for queries (once per model)")
    fp32 = dest / "model.fp32.onnx"
    mixed = dest / "model.u8.onnx"  # the wide projections still in float32
    _export_fp32(st_model, pooling, fp32)
    _quantise(fp32, mixed)
    # Fastest first; one is kept only if every probe stays within MIN_COSINE.
    candidates: list[tuple[str, Callable[[], None]]] = [
        (BLOCKWISE, lambda: _quantise_blockwise(mixed, dest / MODEL_FILE)),
        (PER_CHANNEL, lambda: os.replace(mixed, dest / MODEL_FILE)),
    ]
    for quantisation, write in candidates:
        try:
            write()
            chosen = measured(quantisation)
        except Exception as exc:  # onnxruntime's tools and kernels raise untyped errors
            say(f"no {quantisation} ONNX model ({exc}); trying the next")
            continue
        say(f"8-bit ONNX model ({quantisation}): cosine to sentence-transformers "
            f"min {chosen.cosine_min}")  # fmt: skip
        if chosen.cosine_min >= MIN_COSINE:
            mixed.unlink(missing_ok=True)
            os.replace(fp32, dest / BUILD_FILE)
            return _with_build_model(chosen, index_dir, probes, reference, name, say)
    mixed.unlink(missing_ok=True)
    os.replace(fp32, dest / MODEL_FILE)
    chosen = measured("none")
    say(f"kept the float32 ONNX model instead (cosine min {chosen.cosine_min})")
    return _with_build_model(chosen, index_dir, probes, reference, name, say)


def _with_build_model(
    record: QueryModel,
    index_dir: Path,
    probes: Sequence[str],
    reference: np.ndarray,
    name: str,
    say: Callable[[str], None],
) -> QueryModel:
    """The record with the float32 graph that builds embed with, if it agrees with
    sentence-transformers on every probe (MIN_COSINE); without it (and the file) if not."""
    from search.embed.batch import OnnxBatchEmbedder

    build_file = f"{ONNX_DIR}/{BUILD_FILE}"
    if not (index_dir / build_file).exists():  # the float32 graph is the query model
        build_file = record.model_file
    try:
        embedder = OnnxBatchEmbedder(
            index_dir / build_file, index_dir / record.tokenizer_file, name, record.max_length
        )
        try:
            cosines = np.sum(embedder.embed(probes) * reference, axis=1)
        finally:
            embedder.close()
    except Exception as exc:  # onnxruntime's kernels raise untyped errors
        say(f"no ONNX build model ({exc}); builds embed with sentence-transformers")
        cosines = np.zeros(1, dtype=np.float32)
    low = round(float(cosines.min()), 5)
    if low < MIN_COSINE:
        if build_file != record.model_file:
            (index_dir / build_file).unlink(missing_ok=True)
        say(f"the float32 ONNX graph drifts (cosine min {low}); builds embed with torch")
        return replace(record, build_file=None, build_cosine_min=None)
    return replace(record, build_file=build_file, build_cosine_min=low)


def _save_tokenizer(st_model: Any, path: Path) -> None:
    """The fast tokenizer with the model's truncation and padding baked in."""
    from tokenizers import Tokenizer

    hf = st_model.tokenizer
    if not getattr(hf, "is_fast", False):
        raise NotExportable("the model has no fast (tokenizers) tokenizer")
    tokenizer = Tokenizer.from_str(hf.backend_tokenizer.to_str())
    tokenizer.enable_truncation(int(st_model.max_seq_length))
    tokenizer.enable_padding(pad_id=int(hf.pad_token_id or 0), pad_token=str(hf.pad_token))
    tokenizer.save(str(path))


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)  # survives the old index folder's removal
    except OSError:
        shutil.copy2(src, dst)
