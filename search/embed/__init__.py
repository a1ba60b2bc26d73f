"""Text to vectors: the Embedder protocol, the sentence-transformers model (build time),
its ONNX export and the onnxruntime embedder that serves queries."""
