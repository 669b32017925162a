"""Model code: ONNX Runtime sessions for CLIP (and later faces, aesthetics), bundles, fetch and export.

Nothing here imports onnxruntime, tokenizers, Pillow or torch at module level: the sidecar and the
CLI import these modules at start-up and load a model only on first use.
"""
