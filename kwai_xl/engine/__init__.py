"""The model's arithmetic, once: pure numpy, no Excel, no files (MODEL.md §1–5)."""
