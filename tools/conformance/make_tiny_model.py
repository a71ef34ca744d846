"""Builds a real, tiny transformers model for the conformance run (issue #15).

    python make_tiny_model.py OUT_DIR

A GPT-2 with 2 layers, 2 heads and 32-wide embeddings from a config, with random weights from a
fixed seed, written by transformers' own save_pretrained (config.json, generation_config.json,
model.safetensors), plus a README.md model card that transformers never downloads (so a cache the
official client fills holds a partial snapshot). Prints one JSON line: the files written.
"""

import json
import os
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: make_tiny_model.py OUT_DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=256,
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=0,
        eos_token_id=0,
    )
    model = GPT2LMHeadModel(config)
    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(
            "---\nlibrary_name: transformers\nlicense: mit\n---\n"
            "# tiny-gpt2\n\nRandom weights, built by modelvet's conformance script.\n"
        )
    files = sorted(
        os.path.relpath(os.path.join(root, name), out)
        for root, _dirs, names in os.walk(out)
        for name in names
    )
    print(json.dumps({"files": files}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
