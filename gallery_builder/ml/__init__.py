"""Machine-learning models (ONNX Runtime on the CPU): CLIP bundles in Immich's layout, the text side
(`clip_text`, all the sidecar loads) and the image side (`clip_image`, with Pillow preprocessing),
shared sessions (`clip_onnx`), `gallery models fetch` and `export`; face backends (`faces`: dlib,
and InsightFace's buffalo_l) behind one interface.

Nothing here imports onnxruntime, tokenizers, Pillow, torch, dlib or insightface at module level:
the sidecar and the CLI import these modules at start-up and load a model only on first use.
"""
