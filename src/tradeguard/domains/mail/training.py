"""``tradeguard mail train``: labelled messages on disk -> a cross-validated, saved text model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from tradeguard.domains.mail import classifier
from tradeguard.domains.mail.message import MailError
from tradeguard.domains.mail.parse import LIMITS, Limits, parse_message
from tradeguard.domains.mail.sources import iter_messages
from tradeguard.errors import Invalid

PHISHING, LEGITIMATE = 1, 0


@dataclass(frozen=True)
class Corpus:
    samples: list[classifier.Sample]
    skipped: int  # unreadable or not a message


def read_corpus(phishing: Path, legitimate: Path, *, limits: Limits = LIMITS) -> Corpus:
    """(subject, visible text, label) for every message under both paths."""
    samples: list[classifier.Sample] = []
    skipped = 0
    for path, label in ((phishing, PHISHING), (legitimate, LEGITIMATE)):
        if not path.exists():
            raise Invalid(f"no such file or folder: {path}")
        for source in iter_messages(path, limits=limits):
            if source.raw is None:
                skipped += 1
                continue
            try:
                msg = parse_message(source.raw, limits)
            except MailError:
                skipped += 1
                continue
            samples.append((msg.subject, msg.text, label))
    return Corpus(samples, skipped)


def _highest_allowed(scores: Sequence[float], labels: Sequence[int], fpr: float) -> float:
    """The legitimate score a threshold must stay above so at most ``fpr`` of it is flagged.

    Strictly above it, so ties count as false positives, never as catches; -inf when the
    rate allows every legitimate message through.
    """
    values, truth = np.asarray(scores), np.asarray(labels)
    legit = np.sort(values[truth == LEGITIMATE])[::-1]
    allowed = int(np.floor(fpr * len(legit)))
    return float(legit[allowed]) if allowed < len(legit) else -np.inf


def recall_at_fpr(scores: Sequence[float], labels: Sequence[int], fpr: float) -> float:
    """Share of phishing caught when at most ``fpr`` of legitimate mail is flagged."""
    values, truth = np.asarray(scores), np.asarray(labels)
    return float(np.mean(values[truth == PHISHING] > _highest_allowed(scores, labels, fpr)))


def metrics(scores: Sequence[float], labels: Sequence[int]) -> dict[str, float]:
    return {
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4),
        "recall_at_fpr_1pct": round(recall_at_fpr(scores, labels, 0.01), 4),
        "recall_at_fpr_0_5pct": round(recall_at_fpr(scores, labels, 0.005), 4),
    }


def band_cutoffs(scores: Sequence[float], labels: Sequence[int]) -> dict[str, float]:
    """The score each band starts at (inclusive): legitimate mail there is at most its rate."""
    cutoffs = {}
    for name, rate in classifier.BAND_FALSE_POSITIVE_RATES.items():
        above = _highest_allowed(scores, labels, rate)
        cutoffs[name] = float(np.nextafter(above, np.inf)) if above > -np.inf else 0.0
    return cutoffs


def train_and_save(
    corpus: Corpus, *, output: Path, seed: int = 7, folds: int = 5
) -> tuple[classifier.TextModel, dict[str, float]]:
    """Measure by cross-validation first, then fit on everything and save with those figures."""
    labels = [label for _, _, label in corpus.samples]
    if min(labels.count(PHISHING), labels.count(LEGITIMATE)) < folds:
        raise Invalid(f"need at least {folds} messages of each label to cross-validate")
    scores = classifier.cross_validated_probabilities(corpus.samples, folds=folds, seed=seed)
    figures = metrics(scores, labels)
    model = classifier.train(corpus.samples, seed=seed)
    classifier.save(model, output, metrics=figures, bands=band_cutoffs(scores, labels))
    return classifier.load(output), figures
