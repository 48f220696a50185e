"""`satupintu triage train | evaluate | show`: the triage model (docs/triage.md).

``train`` fits a new model on the written corpus, the categories' keywords and every
decision the coordinator made (casestore/training.py) and writes it, versioned, into
<data dir>/triage/ (the newest one there is used from the next message on). ``evaluate``
scores a model on the held-out corpus the way intake would and prints the figures the
issue asks for. ``show`` says which model is in use and what it was trained on.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from gateway.cli.context import shell_runtime

console = Console()


@click.group()
def triage() -> None:
    """Triage: is it a complaint, and whose."""


def _operator_examples(runtime) -> list:
    """The coordinator's decisions as training examples (empty when the store is new)."""
    from casestore.training import labelled_examples
    from dispatcher.triage_train import Example, category_for_unit

    with runtime.sessions() as session:
        decided = labelled_examples(session)
    latest: dict[str, Example] = {}
    for example in decided:  # oldest first: a later decision about the same text wins
        category = category_for_unit(example.category, example.unit, runtime)
        latest[example.text] = Example(example.text, example.kind, category, example.source)
    return list(latest.values())


@triage.command("train")
@click.option("--output", type=click.Path(path_type=Path), help="Write here instead.")
@click.option(
    "--corpus-only", is_flag=True, help="Leave the coordinator's decisions out (the shipped model)."
)
def train_model(output: Path | None, corpus_only: bool) -> None:
    """Train a model on the corpus and the coordinator's decisions; write it, versioned."""
    try:
        from dispatcher.triage_train import Example, keyword_examples, train
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise click.ClickException(
            "scikit-learn is needed to train: pip install 'satupintu[triage]'"
        ) from exc
    from config.triage_model import CORPUS, model_dir, read_corpus, stemmer, write_model

    runtime = shell_runtime()
    examples = [Example(r.text, r.kind, r.category) for r in read_corpus(CORPUS)]
    examples += keyword_examples(runtime.categories)
    decided = [] if corpus_only else _operator_examples(runtime)
    data = train(examples + decided, stemmer(), categories=runtime.categories)
    path = output or model_dir(runtime.settings.data_dir) / f"model-{data['version']}.json"
    write_model(data, path)
    console.print(
        f"Model {data['version']} ditulis / written: {path}\n"
        f"  korpus / corpus: {len(examples)}, keputusan koordinator / operator decisions: "
        f"{len(decided)}"
    )


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


@triage.command("evaluate")
@click.option("--model", "model_file", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_model(model_file: Path | None, as_json: bool) -> None:
    """Score the model in use (or --model) on the held-out corpus."""
    from config.triage_model import HELDOUT, read_corpus
    from dispatcher.triage_eval import evaluate

    runtime = shell_runtime()
    if model_file is not None:
        runtime.settings = runtime.settings.replace(triage_model=str(model_file))
    result = evaluate(read_corpus(HELDOUT), runtime)
    figures = result.figures()
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    print_evaluation(result)


def print_evaluation(result, out: Console = console) -> None:
    """The figures, per category, and both confusion tables (also the benchmark report's)."""
    f = result.figures()
    summary = Table(title="Triase pada data uji / triage on the held-out set")
    summary.add_column("ukuran / figure")
    summary.add_column("nilai / value", justify="right")
    summary.add_column("target", justify="right")
    rows = [
        ("aduan / complaints", str(f["complaints"]), ""),
        ("bukan aduan / junk", str(f["junk"]), ""),
        ("sampah ke dinas / junk reaching an agency", _pct(f["junk_to_agency"]), "<= 2%"),
        ("sampah jadi aduan / junk becoming any case", _pct(f["junk_to_case"]), "<= 10%"),
        ("sampah tertahan / junk recall", _pct(f["junk_recall"]), ">= 90%"),
        ("aduan jadi kasus / complaints becoming cases", _pct(f["complaint_to_case"]), ">= 95%"),
        ("unit tepat / right unit", _pct(f["right_unit"]), ">= 90%"),
        ("unit salah / wrong unit", _pct(f["wrong_unit"]), "<= 5%"),
        ("ke koordinator / at the coordinator", _pct(f["at_coordinator"]), ""),
        ("akurasi jenis / kind accuracy", _pct(f["kind_accuracy"]), ""),
        ("akurasi kategori / category accuracy", _pct(f["category_accuracy"]), ""),
    ]
    for row in rows:
        summary.add_row(*row)
    out.print(summary)
    per = Table(title="Per kategori / per category")
    for column in ("kategori", "n", "kasus", "tepat", "salah"):
        per.add_column(column, justify="left" if column == "kategori" else "right")
    for code, v in result.per_category().items():
        per.add_row(code, str(v["n"]), _pct(v["case"]), _pct(v["right"]), _pct(v["wrong"]))
    out.print(per)
    confusion = result.confusion()
    verdicts = sorted({v for counts in confusion.values() for v in counts})
    kinds = Table(title="Matriks jenis / kind confusion (baris: label, kolom: vonis)")
    kinds.add_column("label")
    for verdict in verdicts:
        kinds.add_column(verdict, justify="right")
    for label, counts in sorted(confusion.items()):
        kinds.add_row(label, *(str(counts.get(v, 0) or "") for v in verdicts))
    out.print(kinds)
    categories = result.category_confusion()
    wrong = Table(title="Kategori tertukar / category confusion (off-diagonal only)")
    for column in ("label", "jadi / became", "n"):
        wrong.add_column(column)
    for label, counts in sorted(categories.items()):
        for became, n in counts.most_common():
            if became != label:
                wrong.add_row(label, became, str(n))
    out.print(wrong)


@triage.command("show")
def show_model() -> None:
    """Which model scores messages now, and what it was trained on."""
    from config.triage_model import model_path, trained_models

    runtime = shell_runtime()
    settings = runtime.settings
    path = model_path(settings.data_dir, settings.triage_model)
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    console.print(f"Model dipakai / in use: {path} (versi {data['version']})")
    console.print(f"  dilatih dari / trained on: {data.get('trained_on', {})}")
    console.print(f"  jenis / kinds: {data.get('kinds', {})}")
    console.print(f"  ambang / thresholds: {data.get('thresholds', {})}")
    console.print(f"  model lain di data dir / others: {len(trained_models(settings.data_dir))}")
