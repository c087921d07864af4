"""A BERT encoder with a classification head, in plain PyTorch, and its WordPiece tokenizer.

The module names follow Hugging Face's BertModel state dict (embeddings.word_embeddings,
encoder.layer.N.attention.self.query, ...), so a model directory that holds a user's
`pytorch_model.bin` (a MiniLM, say) loads into it as it stands; without one the weights are
initialised here from the directory's config.json. Nothing is fetched from a hub.
"""
import json
import math
import os
import unicodedata

import torch
from torch import nn


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c.get("pad_token_id", 0))
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, input_ids, token_type_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embeddings(token_type_ids)
        return self.LayerNorm(x)


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.scale = 1.0 / math.sqrt(h // self.heads)
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)

    def forward(self, x, mask_bias):
        b, t, h = x.shape
        split = lambda y: y.view(b, t, self.heads, h // self.heads).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) * self.scale + mask_bias
        return (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, h)


class Dense(nn.Module):
    """A linear layer, then the residual and a LayerNorm (BERT's post-norm)."""

    def __init__(self, c, d_in):
        super().__init__()
        self.dense = nn.Linear(d_in, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c.get("layer_norm_eps", 1e-12))

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        setattr(self, "self", SelfAttention(c))
        self.output = Dense(c, c["hidden_size"])

    def forward(self, x, mask_bias):
        return self.output(getattr(self, "self")(x, mask_bias), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return nn.functional.gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = Dense(c, c["intermediate_size"])

    def forward(self, x, mask_bias):
        a = self.attention(x, mask_bias)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask_bias):
        for layer in self.layer:
            x = layer(x, mask_bias)
        return x


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)


class BertClassifier(nn.Module):
    """Encoder → [CLS] → dropout → linear: logits, as BertForSequenceClassification."""

    def __init__(self, c, num_labels):
        super().__init__()
        self.bert = Bert(c)
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.1))
        self.classifier = nn.Linear(c["hidden_size"], num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        # Padding positions get a large negative bias before the softmax.
        mask_bias = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        x = self.bert.encoder(self.bert.embeddings(input_ids, token_type_ids), mask_bias)
        return self.classifier(self.dropout(x[:, 0]))


def load_model_dir(model_dir, num_labels, seed):
    """The config (and weights, when the directory has a PyTorch state dict) of a local model."""
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    torch.manual_seed(seed)
    model = BertClassifier(config, num_labels)
    weights = os.path.join(model_dir, "pytorch_model.bin")
    loaded = False
    if os.path.exists(weights):
        state = torch.load(weights, map_location="cpu")
        state = {(k if k.startswith("bert.") else f"bert.{k}"): v for k, v in state.items()}
        model.load_state_dict(state, strict=False)
        loaded = True
    return config, model, loaded


class WordPiece:
    """BERT's tokenizer for a tokenizer.json with a WordPiece model (lowercasing, punctuation split)."""

    def __init__(self, model_dir, max_length):
        with open(os.path.join(model_dir, "tokenizer.json")) as f:
            spec = json.load(f)
        self.vocab = spec["model"]["vocab"]
        self.prefix = spec["model"].get("continuing_subword_prefix", "##")
        self.unk = self.vocab[spec["model"].get("unk_token", "[UNK]")]
        self.cls, self.sep, self.pad = self.vocab["[CLS]"], self.vocab["[SEP]"], self.vocab.get("[PAD]", 0)
        self.max_length = max_length

    def words(self, text):
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
        out, word = [], ""
        for ch in text:
            if ch.isspace() or unicodedata.category(ch).startswith("P") or (ch.isascii() and not ch.isalnum()):
                if word:
                    out.append(word)
                word = ""
                if not ch.isspace():
                    out.append(ch)
            else:
                word += ch
        return out + ([word] if word else [])

    def pieces(self, word):
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return ids

    def encode(self, texts):
        """input_ids, attention_mask, token_type_ids, padded to the longest text (at most max_length)."""
        rows = []
        for text in texts:
            ids = [i for w in self.words(text) for i in self.pieces(w)][: self.max_length - 2]
            rows.append([self.cls] + ids + [self.sep])
        width = max(len(r) for r in rows)
        ids = torch.tensor([r + [self.pad] * (width - len(r)) for r in rows], dtype=torch.long)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], dtype=torch.long)
        return ids, mask, torch.zeros_like(ids)
