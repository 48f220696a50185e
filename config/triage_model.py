"""The triage model's files: the shipped default (config/data/triage/model.json), versioned
models trained into the data dir (``<data dir>/triage/model-<version>.json``), the written
corpus (config/data/triage/corpus.tsv, heldout.tsv and heldout_style.tsv) and the Sastrawi stemmer.

A model file is JSON: weights scored in plain Python by normalizer/triage.py, so a default
install needs no scikit-learn (only ``satupintu triage train`` does). This module reads and
writes the files; the normalizer builds the model from what they hold.
"""

from __future__ import annotations

import csv
import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "triage"
DEFAULT_MODEL = DATA / "model.json"
CORPUS = DATA / "corpus.tsv"
HELDOUT = DATA / "heldout.tsv"
# A second held-out set written later in other styles (letters, X posts, regional words,
# English, typos, landmarks only): never trained or tuned on either.
HELDOUT_STYLE = DATA / "heldout_style.tsv"
HELDOUT_SETS = {"heldout": HELDOUT, "heldout_style": HELDOUT_STYLE}
FORMAT = "satupintu-triage/1"


@dataclass(frozen=True)
class CorpusRow:
    """One labelled text: ``kind`` is complaint or a junk kind; a complaint has a category
    and, where it names one, the kecamatan code."""

    kind: str
    category: str
    kecamatan_code: str
    text: str


def read_corpus(path: Path) -> list[CorpusRow]:
    """The rows of a corpus file (tab separated, a '#' comment line first)."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            CorpusRow(r["kind"], r["category"] or "", r["kecamatan_code"] or "", r["text"])
            for r in reader
        ]


@functools.lru_cache(maxsize=1)
def stemmer() -> Callable[[str], str]:
    """Sastrawi's Indonesian stemmer, built once per process, remembering its answers."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    engine = StemmerFactory().create_stemmer()
    # Sastrawi keeps its 30,000 root words in a list and asks it dozens of times per word
    # (a linear scan each: about 200 ms of CPU per new word); the same words as a set.
    dictionary = engine.delegatedStemmer.dictionary
    dictionary.words = frozenset(dictionary.words)
    return functools.lru_cache(maxsize=100_000)(engine.stem)


# --- model files ------------------------------------------------------------------------


def model_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "triage"


def trained_models(data_dir: Path) -> list[Path]:
    """Models ``satupintu triage train`` wrote, oldest first (versions sort by time)."""
    folder = model_dir(data_dir)
    return sorted(folder.glob("model-*.json")) if folder.is_dir() else []


def model_path(data_dir: Path, chosen: str = "") -> Path:
    """The model in use: ``chosen`` (SATUPINTU_TRIAGE_MODEL), else the newest trained one in
    the data dir, else the shipped default."""
    if chosen:
        return Path(chosen)
    trained = trained_models(data_dir)
    return trained[-1] if trained else DEFAULT_MODEL


def read_model(path: Path | str) -> dict[str, Any]:
    """A model file's data (normalizer.triage.model_from_dict builds the model from it)."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise ValueError(f"{path}: not a triage model file (format {found!r})")
    return data


def write_model(data: dict[str, Any], path: Path) -> Path:
    """Write a model file atomically, readable by its owner only (it holds training words)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
    os.replace(temporary, path)
    return path
