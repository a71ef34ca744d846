#!/usr/bin/env python3
"""A real-world benign corpus: files written by the libraries people use every day, through their
ordinary save calls, from small configs with random weights (nothing is downloaded).

    python tools/corpus/generate.py OUT_DIR [--only NAME ...]

Run it with a venv built from the local wheelhouse (see tools/corpus/README.md). Each entry writes
one folder or file under OUT_DIR/<entry>/ and the run writes OUT_DIR/manifest.json: for every file,
the library and version, the call that wrote it and its sha256. An entry that fails is recorded
with its error (never skipped silently). Every file here is benign: modelvet must call it clean.
"""

import hashlib
import importlib
import json
import os
import sys
import traceback

ENTRIES = []


def entry(library, call):
    def register(fn):
        ENTRIES.append((fn.__name__, library, call, fn))
        return fn

    return register


def version(module):
    try:
        return importlib.import_module(module).__version__
    except Exception:
        return "unknown"


# --------------------------------------------------------------------------- transformers


def _tiny_config(kind):
    import transformers as T

    small = dict(num_hidden_layers=2, num_attention_heads=2, hidden_size=32, intermediate_size=64)
    if kind == "bert":
        return T.BertConfig(vocab_size=128, max_position_embeddings=64, **small), T.BertModel
    if kind == "gpt2":
        return T.GPT2Config(vocab_size=128, n_positions=64, n_embd=32, n_layer=2, n_head=2), T.GPT2LMHeadModel
    if kind == "llama":
        return (
            T.LlamaConfig(vocab_size=128, max_position_embeddings=64, num_key_value_heads=1, **small),
            T.LlamaForCausalLM,
        )
    if kind == "t5":
        return T.T5Config(vocab_size=128, d_model=32, d_ff=64, num_layers=2, num_heads=2, d_kv=16), T.T5ForConditionalGeneration
    if kind == "vit":
        return T.ViTConfig(image_size=32, patch_size=8, **small), T.ViTForImageClassification
    if kind == "distilbert-seqcls":
        return T.DistilBertConfig(vocab_size=128, dim=32, hidden_dim=64, n_layers=2, n_heads=2), T.DistilBertForSequenceClassification
    raise ValueError(kind)


def _save_pretrained(out, kind, safe):
    import torch

    torch.manual_seed(0)
    config, cls = _tiny_config(kind)
    model = cls(config)
    model.save_pretrained(out, safe_serialization=safe)


for _kind in ["bert", "gpt2", "llama", "t5", "vit", "distilbert-seqcls"]:
    for _safe in [True, False]:

        def _make(out, kind=_kind, safe=_safe):
            _save_pretrained(out, kind, safe)

        _make.__name__ = f"transformers-{_kind}-{'safetensors' if _safe else 'bin'}"
        entry("transformers", f"{_kind} model.save_pretrained(safe_serialization={_safe})")(_make)


@entry("transformers", "Trainer(...).train() with save_steps: checkpoint folders (training_args.bin, optimizer.pt, scheduler.pt, rng_state.pth)")
def transformers_trainer_checkpoints(out):
    import torch
    import transformers as T

    torch.manual_seed(0)
    config, cls = _tiny_config("distilbert-seqcls")
    model = cls(config)

    class DS(torch.utils.data.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return {"input_ids": torch.tensor([1, 2, 3, 4]), "attention_mask": torch.ones(4, dtype=torch.long), "labels": torch.tensor(i % 2)}

    args = T.TrainingArguments(
        output_dir=out, max_steps=4, save_steps=2, per_device_train_batch_size=4, report_to=[], use_cpu=True, logging_steps=1
    )
    T.Trainer(model=model, args=args, train_dataset=DS()).train()


@entry("transformers", "AutoTokenizer-free: PreTrainedTokenizerFast(tokenizer_object=...).save_pretrained")
def transformers_tokenizer(out):
    from tokenizers import Tokenizer, models, pre_tokenizers
    import transformers as T

    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "[PAD]": 1, "hello": 2, "world": 3}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = T.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]")
    fast.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    fast.save_pretrained(out)


@entry("peft", "get_peft_model(LoraConfig).save_pretrained (safetensors and bin)")
def peft_lora(out):
    import torch
    import peft

    torch.manual_seed(0)
    config, cls = _tiny_config("gpt2")
    model = peft.get_peft_model(cls(config), peft.LoraConfig(r=2, target_modules=["c_attn"], task_type="CAUSAL_LM"))
    model.save_pretrained(os.path.join(out, "safetensors"))
    model.save_pretrained(os.path.join(out, "bin"), safe_serialization=False)


@entry("sentence-transformers", "SentenceTransformer(modules=[Transformer, Pooling]).save")
def sentence_transformers_save(out):
    import tempfile

    import torch
    from sentence_transformers import SentenceTransformer, models

    torch.manual_seed(0)
    base = tempfile.mkdtemp()
    _save_pretrained(base, "bert", True)
    transformers_tokenizer(base)
    st = SentenceTransformer(modules=[models.Transformer(base), models.Pooling(32)])
    st.save(out)


# --------------------------------------------------------------------------- torch


@entry("torch", "torch.save of state_dicts, optimizer state, quantized tensors, argparse.Namespace, plain containers")
def torch_saves(out):
    import argparse
    import collections

    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    torch.save(net.state_dict(), os.path.join(out, "state_dict.pt"))
    torch.save(net.state_dict(), os.path.join(out, "state_dict_legacy.pt"), _use_new_zipfile_serialization=False)
    opt = torch.optim.AdamW(net.parameters())
    net(torch.randn(3, 4)).sum().backward()
    opt.step()
    torch.save(opt.state_dict(), os.path.join(out, "optimizer.pt"))
    sched = torch.optim.lr_scheduler.StepLR(opt, 1)
    torch.save(sched.state_dict(), os.path.join(out, "scheduler.pt"))
    torch.save(
        {"epoch": 3, "args": argparse.Namespace(lr=0.1, name="run"), "model": net.state_dict(), "hist": collections.OrderedDict(a=1)},
        os.path.join(out, "checkpoint_namespace.pt"),
    )
    for dtype in [torch.bfloat16, torch.float16, torch.int8, torch.bool, torch.complex64]:
        torch.save({"t": torch.zeros(3, dtype=dtype)}, os.path.join(out, f"dtype_{str(dtype).split('.')[-1]}.pt"))
    torch.save({"rng": torch.get_rng_state()}, os.path.join(out, "rng_state.pth"))


@entry("lightning", "Trainer(max_epochs=2, callbacks=[ModelCheckpoint, EarlyStopping]).fit(LightningModule with save_hyperparameters()) -> .ckpt, and trainer.save_checkpoint(weights_only=True)")
def lightning_checkpoints(out):
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    torch.manual_seed(0)

    class Tiny(L.LightningModule):
        def __init__(self, hidden=8, lr=0.01, name="tiny", layers=(4, 8)):
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

        def training_step(self, batch, _):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def validation_step(self, batch, _):
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self):
            opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)
            return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.StepLR(opt, 1)}

    data = torch.utils.data.TensorDataset(torch.randn(16, 4), torch.randn(16, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    trainer = L.Trainer(
        max_epochs=2,
        default_root_dir=out,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[
            ModelCheckpoint(dirpath=os.path.join(out, "checkpoints"), monitor="val_loss", save_top_k=2, save_last=True),
            EarlyStopping(monitor="val_loss", patience=3),
        ],
    )
    trainer.fit(Tiny(), loader, loader)
    trainer.save_checkpoint(os.path.join(out, "weights_only.ckpt"), weights_only=True)

    # hyperparameters handed over as an argparse.Namespace (older training scripts do this)
    import argparse

    class FromArgs(Tiny):
        def __init__(self, args):
            L.LightningModule.__init__(self)
            self.save_hyperparameters(args)
            self.net = torch.nn.Sequential(torch.nn.Linear(4, args.hidden), torch.nn.ReLU(), torch.nn.Linear(args.hidden, 1))

    args = argparse.Namespace(hidden=8, lr=0.01, name="from-args", layers=[4, 8])
    again = L.Trainer(max_epochs=1, default_root_dir=out, logger=False, enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    again.fit(FromArgs(args), loader)
    again.save_checkpoint(os.path.join(out, "namespace_hparams.ckpt"))


@entry("torch", "torch.save of a quantized tensor (torch.quantize_per_tensor, quint8)")
def torch_quantized(out):
    import torch

    q = torch.quantize_per_tensor(torch.randn(4, 4), 0.1, 10, torch.quint8)
    torch.save({"q": q}, os.path.join(out, "quantized.pt"))


@entry(
    "torch",
    "torch.save of quantized tensors (per-channel qint8, qint32, quint4x2) and of dynamically and "
    "statically quantized models (torch.ao.quantization), no torchvision needed",
)
def torch_quantized_more(out):
    import torch

    torch.manual_seed(0)
    w = torch.randn(4, 3)
    torch.save(
        {
            "per_channel": torch.quantize_per_channel(w, torch.rand(4) + 0.1, torch.zeros(4, dtype=torch.long), 0, torch.qint8),
            "qint32": torch.quantize_per_tensor(w, 0.05, 0, torch.qint32),
            "quint4x2": torch.quantize_per_tensor(torch.rand(4, 4), 0.1, 0, torch.quint4x2),
        },
        os.path.join(out, "quantized_tensors.pt"),
    )
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    dyn = torch.ao.quantization.quantize_dynamic(net, {torch.nn.Linear}, dtype=torch.qint8)
    torch.save(dyn.state_dict(), os.path.join(out, "dynamic_quantized_state_dict.pt"))

    class Static(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.quant = torch.ao.quantization.QuantStub()
            self.fc = torch.nn.Linear(4, 4)
            self.dequant = torch.ao.quantization.DeQuantStub()

        def forward(self, x):
            return self.dequant(self.fc(self.quant(x)))

    model = Static().eval()
    model.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")
    prepared = torch.ao.quantization.prepare(model)
    prepared(torch.randn(8, 4))
    static = torch.ao.quantization.convert(prepared)
    torch.save(static.state_dict(), os.path.join(out, "static_quantized_state_dict.pt"))


@entry("torch", "torch.export.save(torch.export.export(module, args)) -> .pt2")
def torch_export(out):
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU())
    ep = torch.export.export(net, (torch.randn(2, 4),))
    torch.export.save(ep, os.path.join(out, "model.pt2"))


@entry(
    "torch",
    "torch.export.save of programs with dynamic shapes (Dim, guards, symbolic sizes), torch.cond, "
    "a small attention block, multiple outputs and buffers",
)
def torch_export_more(out):
    import torch

    torch.manual_seed(0)

    class Dynamic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 4)
            self.register_buffer("scale", torch.ones(4))

        def forward(self, x):
            y = self.lin(x) * self.scale
            values, indices = y.max(dim=-1)
            return y.reshape(x.shape[0] * 2, 2), values, indices

    batch = torch.export.Dim("batch", min=2, max=64)
    ep = torch.export.export(Dynamic(), (torch.randn(3, 4),), dynamic_shapes={"x": {0: batch}})
    torch.export.save(ep, os.path.join(out, "dynamic.pt2"))

    class Branch(torch.nn.Module):
        def forward(self, x):
            return torch.cond(x.sum() > 0, lambda t: t.sin(), lambda t: t.cos(), (x,))

    ep = torch.export.export(Branch(), (torch.randn(3),))
    torch.export.save(ep, os.path.join(out, "cond.pt2"))

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(16, 8)
            self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
            self.norm = torch.nn.LayerNorm(8)

        def forward(self, ids):
            h = self.emb(ids)
            a, _ = self.attn(h, h, h)
            return torch.nn.functional.gelu(self.norm(h + a))

    ep = torch.export.export(Block().eval(), (torch.randint(0, 16, (2, 5)),))
    torch.export.save(ep, os.path.join(out, "attention.pt2"))


@entry("torch", "torch.jit.save(torch.jit.script(module))")
def torch_jit(out):
    import torch

    net = torch.jit.script(torch.nn.Linear(4, 2))
    torch.jit.save(net, os.path.join(out, "scripted.pt"))


@entry("torch/onnx", "torch.onnx.export(dynamo=False), and onnx.save with external data")
def onnx_export(out):
    import onnx
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    path = os.path.join(out, "model.onnx")
    try:
        torch.onnx.export(net, (torch.randn(1, 4),), path, dynamo=False)
    except TypeError:  # torch before 2.5 has no dynamo argument and exports with TorchScript
        torch.onnx.export(net, (torch.randn(1, 4),), path)
    model = onnx.load(path)
    ext = os.path.join(out, "external")
    os.makedirs(ext, exist_ok=True)
    onnx.save_model(model, os.path.join(ext, "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=0)


# --------------------------------------------------------------------------- scikit-learn, pandas, numpy


def _sk_models():
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] > 0).astype(int)
    df = pd.DataFrame({"num": rng.normal(size=40), "cat": rng.choice(["a", "b", "c"], size=40)})
    out = {
        "logreg": LogisticRegression().fit(X, y),
        "forest": RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y),
        "gboost": GradientBoostingClassifier(n_estimators=3, random_state=0).fit(X, y),
        "svc": SVC(probability=True, random_state=0).fit(X, y),
        "kmeans": KMeans(n_clusters=2, n_init=1, random_state=0).fit(X),
        "pca": PCA(n_components=2).fit(X),
        "pipeline": Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y),
        "dataframe-pipeline": Pipeline(
            [
                ("prep", ColumnTransformer([("num", StandardScaler(), ["num"]), ("cat", OneHotEncoder(), ["cat"])])),
                ("clf", LogisticRegression()),
            ]
        ).fit(df, y),
        "tfidf": TfidfVectorizer().fit(["hello world", "hello there", "general kenobi"]),
        "rng-state": {"generator": np.random.default_rng(1), "legacy": np.random.RandomState(2), "scalar": np.float64(1.5), "int": np.int32(3)},
    }
    return out


@entry("scikit-learn", "pickle.dump(estimator) at protocols 2..5")
def sklearn_pickle(out):
    import pickle

    for name, model in _sk_models().items():
        for proto in [2, 4, 5]:
            with open(os.path.join(out, f"{name}-p{proto}.pkl"), "wb") as f:
                pickle.dump(model, f, protocol=proto)


@entry("joblib", "joblib.dump(estimator, compress=...) for every compression joblib offers")
def sklearn_joblib(out):
    import joblib

    models = _sk_models()
    for name in ["forest", "dataframe-pipeline", "tfidf", "rng-state"]:
        joblib.dump(models[name], os.path.join(out, f"{name}.joblib"))
        for method in ["zlib", "gzip", "bz2", "lzma", "xz"]:
            joblib.dump(models[name], os.path.join(out, f"{name}.{method}.joblib"), compress=(method, 3))


@entry("pandas", "DataFrame.to_pickle with datetime, categorical, nullable, tz-aware, period, interval columns")
def pandas_pickles(out):
    import numpy as np
    import pandas as pd

    df = pd.DataFrame(
        {
            "i": pd.array([1, None, 3], dtype="Int64"),
            "f": [1.0, np.nan, 3.0],
            "s": pd.array(["a", None, "c"], dtype="string"),
            "b": pd.array([True, None, False], dtype="boolean"),
            "cat": pd.Categorical(["x", "y", "x"]),
            "dt": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "tz": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).tz_localize("Europe/Berlin"),
            "td": pd.to_timedelta([1, 2, 3], unit="s"),
            "period": pd.period_range("2024-01", periods=3, freq="M"),
            "interval": pd.interval_range(0, 3),
        }
    )
    df.to_pickle(os.path.join(out, "frame.pkl"))
    df.set_index("dt").to_pickle(os.path.join(out, "frame-dt-index.pkl"))
    pd.Series([1, 2, 3], index=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)])).to_pickle(os.path.join(out, "series-multiindex.pkl"))
    df.to_pickle(os.path.join(out, "frame.pkl.gz"))


@entry("scikit-learn", "pickle.dump and joblib.dump of more estimators and transformers (trees, boosting, neighbours, MLP, imputers, encoders, FunctionTransformer, sparse output)")
def sklearn_more(out):
    import pickle

    import joblib
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.decomposition import TruncatedSVD
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        HistGradientBoostingClassifier,
        IsolationForest,
        RandomForestRegressor,
    )
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge, SGDClassifier
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import FunctionTransformer, LabelEncoder, MinMaxScaler
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    models = {
        "hgb": HistGradientBoostingClassifier(max_iter=3).fit(X, y),
        "extra-trees": ExtraTreesClassifier(n_estimators=3, random_state=0).fit(X, y),
        "forest-regressor": RandomForestRegressor(n_estimators=3, random_state=0).fit(X, X[:, 1]),
        "isolation-forest": IsolationForest(n_estimators=3, random_state=0).fit(X),
        "knn": KNeighborsClassifier(n_neighbors=3).fit(X, y),
        "mlp": MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y),
        "sgd": SGDClassifier(max_iter=5, random_state=0).fit(X, y),
        "ridge": Ridge().fit(X, X[:, 1]),
        "naive-bayes": GaussianNB().fit(X, y),
        "tree": DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y),
        "calibrated": CalibratedClassifierCV(GaussianNB(), cv=2).fit(X, y),
        "imputer": SimpleImputer().fit(X),
        "minmax": MinMaxScaler().fit(X),
        "label-encoder": LabelEncoder().fit(["a", "b", "c"]),
        "function-transformer": FunctionTransformer(np.log1p).fit(np.abs(X)),
        "count-vectorizer": CountVectorizer().fit(["hello world", "hello there"]),
        "svd": TruncatedSVD(n_components=2, random_state=0).fit(X),
        "sparse-output": CountVectorizer().fit_transform(["ab cd", "cd ef", "ef ab"]),
    }
    for name, model in models.items():
        with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
            pickle.dump(model, f, protocol=5)
        joblib.dump(model, os.path.join(out, f"{name}.joblib"), compress=3)


@entry("pandas", "to_pickle of Series and frame variants (tz-aware Series, ordered categoricals, MultiIndex columns, sparse, nested object columns) with every compression")
def pandas_more(out):
    import numpy as np
    import pandas as pd

    s = pd.Series(pd.date_range("2024-01-01", periods=3, tz="UTC"), name="when")
    s.to_pickle(os.path.join(out, "series-tz.pkl"))
    pd.Series(pd.Categorical(["lo", "hi", "lo"], categories=["lo", "hi"], ordered=True)).to_pickle(os.path.join(out, "series-ordered-cat.pkl"))
    cols = pd.MultiIndex.from_product([["a", "b"], ["x", "y"]])
    pd.DataFrame(np.arange(8).reshape(2, 4), columns=cols).to_pickle(os.path.join(out, "frame-multi-columns.pkl"))
    pd.DataFrame({"sp": pd.arrays.SparseArray([0, 0, 1, 0])}).to_pickle(os.path.join(out, "frame-sparse.pkl"))
    pd.DataFrame({"obj": [[1, 2], {"k": "v"}, None], "u": ["é", "ü", "ß"]}).to_pickle(os.path.join(out, "frame-objects.pkl"))
    frame = pd.DataFrame({"x": range(5), "y": list("abcde")})
    for ext in ["bz2", "xz", "zip", "zst", "tar"]:
        try:
            frame.to_pickle(os.path.join(out, f"frame.pkl.{ext}"))
        except Exception:  # zstandard may be missing; the others are stdlib
            if ext != "zst":
                raise


@entry("huggingface_hub", "model cards (README.md) with code examples: ModelCard.from_template, hand-written cards without front matter")
def model_cards(out):
    from huggingface_hub import ModelCard, ModelCardData

    card = ModelCard.from_template(
        ModelCardData(language="en", license="mit", library_name="transformers", tags=["tiny"]),
        model_id="acme/tiny",
        model_description="A tiny model.\n\n```python\nfrom transformers import AutoModel\nmodel = AutoModel.from_pretrained('acme/tiny')\n```",
    )
    card.save(os.path.join(out, "README.md"))
    os.makedirs(os.path.join(out, "plain"), exist_ok=True)
    with open(os.path.join(out, "plain", "README.md"), "w") as f:
        f.write(
            "# Tiny classifier\n\nThis model classifies short texts.\n\n## Usage\n\n"
            "```python\nimport torch\nfrom transformers import pipeline\n\nclf = pipeline('text-classification', model='acme/tiny')\n```\n\n"
            "## Training\n\nTrained with `Trainer` for 3 epochs.\n"
        )


@entry("numpy", "np.save / np.savez / np.savez_compressed of numeric, string and structured arrays")
def numpy_saves(out):
    import numpy as np

    rng = np.random.default_rng(0)
    np.save(os.path.join(out, "float.npy"), rng.normal(size=(3, 3)))
    np.save(os.path.join(out, "strings.npy"), np.array(["a", "bc"]))
    np.save(os.path.join(out, "structured.npy"), np.zeros(2, dtype=[("x", "<f4"), ("y", "<i8")]))
    np.savez(os.path.join(out, "arrays.npz"), a=np.arange(3), b=np.ones(2))
    np.savez_compressed(os.path.join(out, "arrays-compressed.npz"), a=np.arange(3))


@entry("lightgbm", "Booster.save_model (text) and pickle/joblib of LGBMClassifier")
def lightgbm_models(out):
    import pickle

    import joblib
    import lightgbm as lgb
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    clf.booster_.save_model(os.path.join(out, "model.txt"))
    with open(os.path.join(out, "classifier.pkl"), "wb") as f:
        pickle.dump(clf, f)
    joblib.dump(clf, os.path.join(out, "classifier.joblib"))


@entry(
    "lightgbm",
    "Booster.save_model and pickle/joblib of Booster, LGBMRegressor, LGBMRanker, LGBMModel, LGBMClassifier "
    "(multiclass, categorical and pandas-category features, linear trees, random forest with monotone constraints, ranking)",
)
def lightgbm_more(out):
    import pickle

    import joblib
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 5))
    quiet = {"verbose": -1}

    def dump(obj, name, **kw):
        if name.endswith(".pkl"):
            with open(os.path.join(out, name), "wb") as f:
                pickle.dump(obj, f)
        else:
            joblib.dump(obj, os.path.join(out, name), **kw)

    multi = lgb.train({"objective": "multiclass", "num_class": 3, **quiet}, lgb.Dataset(X, rng.integers(0, 3, 200)), 4)
    multi.save_model(os.path.join(out, "multiclass.txt"))
    dump(multi, "booster_multiclass.pkl")
    Xc = X.copy()
    Xc[:, 2] = rng.integers(0, 6, 200)
    cat = lgb.train(
        {"objective": "binary", "min_data_per_group": 5, "cat_smooth": 1, **quiet},
        lgb.Dataset(Xc, (Xc[:, 2] % 2 == 0).astype(int), categorical_feature=[2]),
        4,
    )
    cat.save_model(os.path.join(out, "categorical.txt"))
    linear = lgb.train({"objective": "regression", "linear_tree": True, **quiet}, lgb.Dataset(X, X[:, 0] * 2.0 + X[:, 1]), 4)
    linear.save_model(os.path.join(out, "linear_tree.txt"))
    dump(linear, "booster_linear.joblib")
    rf = lgb.train(
        {"objective": "regression", "boosting": "rf", "bagging_freq": 1, "bagging_fraction": 0.5, "monotone_constraints": [1, 0, 0, 0, -1], **quiet},
        lgb.Dataset(X, X[:, 0]),
        4,
    )
    rf.save_model(os.path.join(out, "random_forest.txt"))
    reg = lgb.LGBMRegressor(n_estimators=4, **quiet).fit(X, X[:, 0])
    dump(reg, "regressor.pkl")
    dump(reg, "regressor_zlib.joblib", compress=3)
    rank = lgb.LGBMRanker(n_estimators=4, **quiet).fit(X, rng.integers(0, 3, 200), group=[20] * 10)
    dump(rank, "ranker.joblib")
    rank.booster_.save_model(os.path.join(out, "ranker.txt"))
    model = lgb.LGBMModel(objective="regression", n_estimators=3, **quiet).fit(X, X[:, 1])
    dump(model, "model.pkl")
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "colour": pd.Categorical(rng.choice(["red", "green", "blue"], 200))})
    clf = lgb.LGBMClassifier(n_estimators=4, min_data_per_group=5, **quiet).fit(frame, (frame["colour"] == "red").astype(int))
    dump(clf, "classifier_pandas_category.pkl")
    clf.booster_.save_model(os.path.join(out, "pandas_category.txt"))


# --------------------------------------------------------------------------- keras / tensorflow


def _keras_models():
    import keras

    keras.utils.set_random_seed(0)
    seq = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
    inp = keras.Input((8,))
    x = keras.layers.Dense(4)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(0.1)(x)
    func = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x))
    inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8)])
    inp2 = keras.Input((8,))
    nested = keras.Model(inp2, keras.layers.Dense(1)(inner(inp2)))
    tokens = keras.Input((5,), dtype="int32")
    emb = keras.layers.Embedding(50, 8)(tokens)
    rnn = keras.Model(tokens, keras.layers.Dense(1)(keras.layers.Bidirectional(keras.layers.LSTM(4))(emb)))
    conv = keras.applications.MobileNetV2(input_shape=(32, 32, 3), weights=None, classes=3, alpha=0.35)
    return {"sequential": seq, "functional": func, "nested": nested, "rnn": rnn, "mobilenetv2": conv}


@entry("keras", "model.save('x.keras') and model.save('x.h5') (legacy HDF5) and save_weights")
def keras_saves(out):
    for name, model in _keras_models().items():
        model.save(os.path.join(out, f"{name}.keras"))
        model.save(os.path.join(out, f"{name}.h5"))
        model.save_weights(os.path.join(out, f"{name}.weights.h5"))


@entry("tensorflow", "model.export(dir) SavedModel, tf.saved_model.save of a tf.Module, TFLite converter, tf.train.Checkpoint")
def tensorflow_saves(out):
    import tensorflow as tf

    models = _keras_models()
    models["functional"].export(os.path.join(out, "savedmodel-export"))

    class Adder(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            return x + self.v

    module = Adder()
    tf.saved_model.save(module, os.path.join(out, "savedmodel-module"))
    converter = tf.lite.TFLiteConverter.from_saved_model(os.path.join(out, "savedmodel-module"))
    with open(os.path.join(out, "adder.tflite"), "wb") as f:
        f.write(converter.convert())
    ckpt = tf.train.Checkpoint(v=module.v)
    ckpt.save(os.path.join(out, "ckpt", "model"))


# --------------------------------------------------------------------------- gguf, safetensors


@entry("gguf", "gguf.GGUFWriter with llama metadata, a chat template and f32/f16 tensors")
def gguf_writer(out):
    import gguf
    import numpy as np

    w = gguf.GGUFWriter(os.path.join(out, "tiny.gguf"), "llama")
    w.add_context_length(64)
    w.add_embedding_length(8)
    w.add_block_count(1)
    w.add_chat_template("{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] }}{% endfor %}")
    w.add_tokenizer_model("llama")
    w.add_token_list(["<unk>", "<s>", "</s>", "a"])
    w.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    w.add_tensor("output.weight", np.zeros((4, 8), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


@entry("safetensors", "safetensors.torch.save_file and safetensors.numpy.save_file with metadata")
def safetensors_files(out):
    import numpy as np
    import torch
    from safetensors.numpy import save_file as save_np
    from safetensors.torch import save_file as save_pt

    save_pt({"w": torch.zeros(2, 3, dtype=torch.bfloat16), "b": torch.ones(3)}, os.path.join(out, "torch.safetensors"), metadata={"format": "pt"})
    save_np({"x": np.arange(6, dtype=np.int64).reshape(2, 3)}, os.path.join(out, "numpy.safetensors"))


# --------------------------------------------------------------------------- driver


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


LIBRARY_MODULES = {
    "lightning": "lightning",
    "transformers": "transformers",
    "peft": "peft",
    "sentence-transformers": "sentence_transformers",
    "torch": "torch",
    "torch/onnx": "onnx",
    "scikit-learn": "sklearn",
    "joblib": "joblib",
    "pandas": "pandas",
    "numpy": "numpy",
    "lightgbm": "lightgbm",
    "keras": "keras",
    "tensorflow": "tensorflow",
    "gguf": "gguf",
    "safetensors": "safetensors",
    "huggingface_hub": "huggingface_hub",
}


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = os.path.abspath(argv[0])
    only = set(argv[2:]) if len(argv) > 2 and argv[1] == "--only" else None
    os.makedirs(out_dir, exist_ok=True)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    manifest = {"python": sys.version.split()[0], "entries": []}
    failed = 0
    for name, library, call, fn in ENTRIES:
        if only is not None and name not in only:
            continue
        target = os.path.join(out_dir, name)
        os.makedirs(target, exist_ok=True)
        record = {"entry": name, "library": library, "version": version(LIBRARY_MODULES[library]), "call": call}
        try:
            fn(target)
        except Exception as error:  # recorded, never hidden
            failed += 1
            record["error"] = f"{type(error).__name__}: {error}"
            record["traceback"] = traceback.format_exc(limit=3)
            print(f"FAILED {name}: {record['error']}", file=sys.stderr)
        files = []
        for root, _dirs, names in os.walk(target):
            for n in sorted(names):
                p = os.path.join(root, n)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                files.append({"path": os.path.relpath(p, out_dir), "size": os.path.getsize(p), "sha256": sha256(p)})
        record["files"] = sorted(files, key=lambda f: f["path"])
        manifest["entries"].append(record)
        print(f"{name}: {len(files)} file(s)", file=sys.stderr)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
