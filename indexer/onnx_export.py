"""Export a packaged model to ONNX, once: fp32 (fused) and int8 (quantised).

This is the only module that needs torch; queries and builds run the exported files on
onnxruntime (indexer.onnx_embed). The files go in a folder named after the packaged
weights' sha256 (indexer.onnx_embed.model_dir), beside a JSON record of each file's
sha256, so a changed package exports afresh and a changed file is noticed.

Steps (`python -m indexer.onnx_export [--model mpnet|minilm]`, run by `make install`, or
on the first index):
1. the transformers model with eager attention, traced by torch.onnx (TorchScript
   exporter, opset 17), inputs input_ids / attention_mask (and token_type_ids for BERT)
   with dynamic batch and sequence axes, output the last hidden state (pooling stays in
   numpy);
2. onnxruntime's BERT optimiser fuses layer norm and GELU (and, for MiniLM, attention; it
   does not recognise MPNet's relative position bias): `model-fp32.onnx`;
3. dynamic int8 quantisation of that fused graph, per channel with reduced range:
   `model-int8.onnx`. Per-tensor scales lose about 0.04 nDCG@10 on our questions. Reduced
   (7-bit) range because CPUs without VNNI can overflow the 16-bit accumulators of the
   int8 kernels. Only the attention and feed-forward matrix products are quantised, and
   not the ones that read GELU's output: that activation's wide range, scaled to 8 bits
   per tensor at run time, was the largest error (quantising them too is 1.5x faster
   again but moved hybrid nDCG@10 on the shared dev set by 0.011; without them every seed
   passage keeps cosine >= 0.99 to torch and nDCG@10 moves by at most 0.001). The
   embedding table stays float: quantising a lookup saves memory, not time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import warnings
from importlib import metadata
from pathlib import Path

from indexer.embed import EmbeddingModel, model_choice, model_source
from indexer.errors import ScrutinyError
from indexer.onnx_embed import (
    META_FILE,
    MODEL_FILES,
    TOKENIZER_FILE,
    input_names,
    model_dir,
    read_meta,
    source_weights_sha256,
)

OPSET = 17


def _export_fp32_raw(model_spec: EmbeddingModel, source: Path, target: Path) -> None:
    """The plain graph, before fusion."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ScrutinyError(
            "Exporting the embedding model to ONNX needs torch and transformers: run `make install`"
        ) from exc

    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # one line says what is happening; no bars
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager", local_files_only=True)
    model.eval()

    class LastHidden(torch.nn.Module):
        """The encoder's last hidden state only: a single named output."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    names = input_names(model_spec)
    dummy = torch.ones((2, 16), dtype=torch.int64)
    dummies = (dummy, dummy, torch.zeros_like(dummy))[: len(names)]
    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notes
        torch.onnx.export(
            LastHidden(model), dummies, str(target),
            input_names=list(names), output_names=["last_hidden_state"],
            dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )


def _fuse(model: EmbeddingModel, raw: Path, target: Path) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    fused = optimize_model(str(raw), model_type="bert", num_heads=model.heads, hidden_size=model.dim, opt_level=1)
    fused.save_model_to_file(str(target))


GELU_OPS = frozenset({"Gelu", "BiasGelu", "FastGelu"})


def after_gelu(graph: object) -> list[str]:
    """Names of the nodes that read a GELU's output (the feed-forward down-projections)."""
    nodes = list(graph.node)  # type: ignore[attr-defined]
    gelu_outputs = {out for node in nodes if node.op_type in GELU_OPS for out in node.output}
    return [node.name for node in nodes if gelu_outputs.intersection(node.input)]


def _quantise(fp32: Path, target: Path) -> None:
    import onnx
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep_float = after_gelu(onnx.load(str(fp32)).graph)
    if not keep_float:
        raise ScrutinyError(f"The fused graph {fp32} has no GELU: the BERT optimiser did not fuse it")

    # The quantiser logs advice (pre-processing) meant for static image models at WARNING.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        # Shape inference cannot type the outputs of the fused (com.microsoft) operators;
        # everything in this graph is float32.
        quantize_dynamic(
            str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
            op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=keep_float,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def export(model: EmbeddingModel | None = None, force: bool = False, echo: object = None) -> Path:
    """Export `model` (the chosen one by default; if not already there) and return its folder.

    Written into a temporary folder and renamed into place, so a killed export leaves
    nothing half-written where the embedder looks.
    """
    from indexer.embed import file_sha256

    model = model or model_choice()
    source = model_source(model)
    target = model_dir(model)
    if not force and read_meta(target) is not None:
        return target
    say = echo if callable(echo) else (lambda line: print(line, file=sys.stderr))
    say(f"Exporting the embedding model {model.name} to ONNX in {target} (once; a minute or two)")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(work, 0o755)  # mkdtemp makes it private; the models are not secret
    try:
        raw = work / "raw.onnx"
        _export_fp32_raw(model, source, raw)
        _fuse(model, raw, work / MODEL_FILES["onnx-fp32"])
        _quantise(work / MODEL_FILES["onnx-fp32"], work / MODEL_FILES["onnx-int8"])
        raw.unlink()
        shutil.copyfile(source / "tokenizer.json", work / TOKENIZER_FILE)
        meta = {
            "source": str(source),
            "model": model.name,
            "source_sha256": source_weights_sha256(model),
            "opset": OPSET,
            "packages": {name: _version(name) for name in ("torch", "transformers", "onnx", "onnxruntime")},
            "files": {
                name: file_sha256(work / name)
                for name in (*MODEL_FILES.values(), TOKENIZER_FILE)
            },
        }
        (work / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.rename(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    key = args[args.index("--model") + 1] if "--model" in args[:-1] else None
    try:
        folder = export(model_choice(key), force="--force" in args)
    except ScrutinyError as exc:
        print(f"Error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    print(folder)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
