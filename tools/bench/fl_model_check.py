"""Loads the devnet training job's model with Python's `safetensors` (numpy) and scores it
on the requester's held-out digits split: the model file is usable outside Arcanum.

Usage: fl_model_check.py target/devnet-report.json -> `fl_model_python_accuracy: X` (the
report names the model file and the held-out CSV)."""
import csv
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file


def main(model_path, test_path):
    tensors = load_file(model_path)
    with safe_open(model_path, "np") as f:
        layers = [int(w) for w in f.metadata()["arcanum.layers"].split(",")]
    with open(test_path, newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    label = header.index("label")
    x = np.array([[float(v) for i, v in enumerate(r) if i != label] for r in rows])
    y = np.array([int(r[label]) for r in rows])
    h = x
    for l in range(len(layers) - 1):
        h = h @ tensors[f"layers.{l}.weight"].T + tensors[f"layers.{l}.bias"]
        if l + 2 < len(layers):
            h = np.maximum(h, 0.0)
    print(f"fl_model_python_accuracy: {(h.argmax(axis=1) == y).mean():.4f}")


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        fl = json.load(f)["fl"]
    main(fl["model_file"], fl["test_csv"])
