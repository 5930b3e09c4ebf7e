"""The offline phishing text model: normalised words in, a probability and its reasons out.

The labelled mail we can share is modern phishing (2022-2025) against legitimate mail from
2002, so a model left alone learns the era (dates, mailing-list footers, reply quoting, HTML
versus plain text) instead of the attack. Features therefore come only from the subject and
the visible text, after :func:`normalise` has removed what dates a message, and an era-marker
stop list drops the words that still do (the study: docs/evaluation/mail.md).

A model file is numpy arrays plus a JSON card, never pickle: loading a model must not be able
to run code.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize as scale_rows

Vector = NDArray[np.float64]
Sample = tuple[str, str, int]  # (subject, visible text, 1 = phishing / 0 = legitimate)

# Bump when normalise() changes: a model's weights only mean something on the text it saw.
NORMALISER_VERSION = 1
N_FEATURES = 2**18
NGRAM_RANGE = (1, 2)
WORD_PATTERN = r"(?u)\b\w\w+\b"
MAX_CHARS = 20_000
MAX_INPUT = 100_000  # read at most this much before normalising, so the work stays bounded
MAX_REASONS = 5

# The stop list, applied to the normalised tokens. Every group was among the 30 strongest
# features of one class before it was listed (the study: docs/evaluation/mail.md).
# Names that date a message: the 2002 corpus's list software, hosts and list topic.
ERA_MARKERS = frozenset(
    {"exmh", "razor", "spamassassin", "sourceforge", "listinfo", "mailman", "spam", "img"}
    | {"freshrpms"}
)
# The public phishing corpus replaces every recipient address with "phishing@pot".
CORPUS_MARKERS = frozenset({"phishing", "pot"})
# Placeholders say "plain-text list mail shows its links and numbers" versus "HTML mail hides
# them": format, not intent. Replacing the strings still keeps years and prices out.
PLACEHOLDER_MARKERS = frozenset({"urltoken", "emailtoken", "numtoken"})
# Function words mark the language and the register (list discussion versus a business
# letter), not the request; the legitimate corpus is English only. Dutch is here because the
# phishing corpus holds some and the first lists let "een" and "van" rise to the top.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(words.split())
    for language, words in {
        "en": "the an and or but of to in on at for with by from as is are was were be been "
        "it its this that these those there here you your yours we our us they them their he "
        "she his her my me what which who when so if not no do does did have has had will "
        "would can could should may just some any all also than then",
        "pt": "de da do das dos que não nao para com uma um seu sua seus suas você voce os as "
        "em no na nos nas por se ao está esta foi ser mais como mas ou",
        "es": "el la los las que por para con su sus usted es una un del al está esta en lo le "
        "les más mas como pero",
        "fr": "le la les des du de un une et ou est vous votre vos pour avec dans sur pas que "
        "qui ce cette nous notre au aux en il elle ne se sont je",
        "de": "der die das den dem des und oder sie ihr ihre ihren ihrem ihnen ist nicht mit für "
        "auf wir uns unser unsere ein eine einen einem zu im in von bei an es sind wird werden "
        "sich haben hier jetzt diese dieser dieses",
        "nl": "de het een en van in op te dat die voor met is zijn je jouw uw u wij we ons onze "
        "niet er aan als bij of om ook",
    }.items()
}
# One-letter words never become tokens (WORD_PATTERN wants two), so the list leaves them out.
STOP_WORDS: frozenset[str] = frozenset(
    word
    for group in (ERA_MARKERS, CORPUS_MARKERS, PLACEHOLDER_MARKERS, *FUNCTION_WORDS.values())
    for word in group
    if len(word) > 1
)

_PLACEHOLDERS = {"urltoken": "<link>", "emailtoken": "<e-mail address>", "numtoken": "<number>"}


class ModelFileError(ValueError):
    """A model directory cannot be used (missing, edited, corrupt, another format); one line."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """How likely the text is phishing, and the words of this message that pushed it up most."""

    probability: float
    reasons: list[str]


# ---------------------------------------------------------------------------------------------
# Normalisation


_CSS_BLOCK = re.compile(r"\{[^{}]{0,5000}\}")
_CSS_SELECTOR = re.compile(r"(?<!\S)[.#@][\w-]{1,80}")
_TAG = re.compile(r"<[^<>]{0,500}>")
_ENTITY = re.compile(r"&#?\w{1,10};")
_RULE = re.compile(r"[_\-=*~#+.|]{3,}")
_QUOTED = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_ATTRIBUTION = re.compile(
    r"^[^\n]{0,200}\b(?:wrote|writes|said|schrieb|escreveu|escribió|a écrit)\s*:[ \t]*$",
    re.MULTILINE,
)
_ORIGINAL = re.compile(r"^-{2,}\s*(?:original message|forwarded message)\s*-{2,}.*$", re.M)
_PSEUDO_HEADER = re.compile(
    r"^[ \t]*(?:url|date|from|to|cc|sent|subject|de|para|assunto|enviado|von|an|betreff|"
    r"gesendet|objet|envoyé|à)[ \t]*:.*$",
    re.MULTILINE,
)
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
_SEPARATOR = re.compile(r"^[ \t]*[_\-=~]{20,}.*$", re.MULTILINE)
_FOOTER_WORDS = re.compile(
    r"mailing list|listinfo|unsubscribe|sponsored by|yahoo! groups|mailman|"
    r"you (?:are receiving|received) this|to stop receiving"
)
_SUBJECT_TAGS = re.compile(r"^(?:\s*(?:\[[\w.\-]{1,40}\]|(?:re|fw|fwd|aw|wg|tr|rv|res)\s*:))+")
_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"']{1,2000}")
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){0,6}")
_HOST = re.compile(
    r"(?<![\w.\-])(?:[a-z0-9\-]{1,63}\.){1,6}"
    r"(?:com|net|org|edu|gov|info|biz|io|co|uk|de|fr|es|pt|br|cn|ie|us|ru|jp|in|nl|it)\b"
)
_NUMBER = re.compile(r"\d+(?:[.,:/\-]\d+)*")
_SPACE = re.compile(r"\s+")
_BOILERPLATE = re.compile(
    r"unsubscribe|remove yourself|opt[ -]out|you are receiving|you received this|"
    r"manage (?:your )?(?:email )?preferences|privacy policy|all rights reserved|"
    r"view (?:this email )?in (?:your )?browser|descadastr|cancelar (?:a )?inscri|"
    r"darse de baja|désinscri|désabonn|abmelden|abbestellen|退订"
)
FOOTER_TAIL = 2_000  # a separator starts a footer only when this little text follows it
BOILERPLATE_LINE = 500  # longer lines are prose that happens to mention unsubscribing


def normalise(subject: str, text: str) -> str:
    """The subject and visible text reduced to what an attack says, not when it was sent.

    Reply quoting, list footers and signatures, markup remnants, links, addresses and numbers
    (dates, years, prices) all say more about the year and the sender's software than about
    the intent, so they are removed or turned into placeholder tokens.
    """
    body = unicodedata.normalize("NFKC", text[:MAX_INPUT]).lower()
    body = _strip_footers(_strip_quotes(_strip_markup(body)))
    head = _SUBJECT_TAGS.sub(" ", unicodedata.normalize("NFKC", subject[:2_000]).lower())
    combined = _replace_tokens(f"{head}\n{body}")
    return _SPACE.sub(" ", _RULE.sub(" ", combined)).strip()[:MAX_CHARS]


def _strip_markup(body: str) -> str:
    """CSS rules, stray tags and entities: generator output that dates HTML mail, not words."""
    for _ in range(2):  # a second pass empties @media blocks whose inner rules the first removed
        body = _CSS_BLOCK.sub(" ", body)
    body = _CSS_SELECTOR.sub(" ", body)
    return _ENTITY.sub(" ", _TAG.sub(" ", html.unescape(body)))


def _strip_quotes(body: str) -> str:
    """Quoted replies, their attribution and forwarded or feed header lines (``From:``,
    ``Date:``, ``URL:``): list and client habits, and someone else's text."""
    body = _ORIGINAL.sub(" ", _ATTRIBUTION.sub(" ", body))
    return _PSEUDO_HEADER.sub(" ", _QUOTED.sub(" ", body))


def _strip_footers(body: str) -> str:
    """Signatures, list footers (a separator line near the end) and bulk-mail footer lines."""
    signature = _SIGNATURE.search(body)
    if signature and len(body) - signature.start() <= FOOTER_TAIL:
        body = body[: signature.start()]
    for separator in _SEPARATOR.finditer(body, max(0, len(body) - FOOTER_TAIL)):
        if _FOOTER_WORDS.search(body, separator.start()):
            body = body[: separator.start()]
            break
    return "\n".join(line for line in body.split("\n") if not _is_boilerplate(line))


def _is_boilerplate(line: str) -> bool:
    """Unsubscribe and copyright lines: every bulk sender's footer, phishing or not."""
    return len(line) <= BOILERPLATE_LINE and _BOILERPLATE.search(line) is not None


def _replace_tokens(combined: str) -> str:
    combined = _URL.sub(" urltoken ", combined)
    combined = _EMAIL.sub(" emailtoken ", combined)
    combined = _HOST.sub(" urltoken ", combined)
    return _NUMBER.sub(" numtoken ", combined)


# ---------------------------------------------------------------------------------------------
# The model card and its file


StopWord = Annotated[str, StringConstraints(pattern=r"^\w{2,50}$")]


class HyperParameters(BaseModel):
    """Everything that decides the features and the fit, stored so a model explains itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    normaliser_version: int = NORMALISER_VERSION
    n_features: int = N_FEATURES
    ngram_range: tuple[int, int] = NGRAM_RANGE
    token_pattern: str = WORD_PATTERN
    sublinear_tf: bool = True
    norm: Literal["l2"] = "l2"
    c: float = Field(default=1.0, gt=0)
    class_weight: Literal["balanced"] = "balanced"
    solver: Literal["lbfgs"] = "lbfgs"
    max_iter: int = Field(default=2_000, gt=0)
    stop_words: tuple[StopWord, ...] = Field(default=tuple(sorted(STOP_WORDS)), max_length=10_000)


class TrainingCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phishing: int = Field(ge=0)
    legitimate: int = Field(ge=0)


class ModelCard(BaseModel):
    """What a model is, how it was made and how well it did: ``model.json`` less the checksum."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["tradeguard-mail-text"] = "tradeguard-mail-text"
    format_version: Literal[1] = 1
    model_version: str = Field(pattern=r"^mail-text-\d{8}-[0-9a-f]{8}$")
    created_at: datetime
    seed: int
    training_counts: TrainingCounts
    hyper_parameters: HyperParameters
    metrics: dict[str, float] = Field(default_factory=dict)
    # Raw probabilities are not calibrated, so rules read a band instead: the score that 0.5 %
    # (high), 2 % (medium) and 5 % (low) of legitimate mail reached in cross-validation.
    bands: dict[Literal["high", "medium", "low"], float] = Field(default_factory=dict)

    def band(self, probability: float) -> str:
        return band_of(probability, self.bands)


BANDS: tuple[Literal["high", "medium", "low"], ...] = ("high", "medium", "low")


def band_of(probability: float, cutoffs: Mapping[Any, float]) -> str:  # Literal or str keys
    """The highest band whose cut-off the probability reaches; "" for none."""
    return next((b for b in BANDS if b in cutoffs and probability >= cutoffs[b]), "")


BAND_FALSE_POSITIVE_RATES = {"high": 0.005, "medium": 0.02, "low": 0.05}


class ModelFile(ModelCard):
    npz_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------------------------------------
# Features


def _vectoriser(params: HyperParameters) -> Any:
    """Hashing keeps the model a fixed-size array with no vocabulary to store or to grow."""
    return HashingVectorizer(
        n_features=params.n_features,
        ngram_range=params.ngram_range,
        token_pattern=params.token_pattern,
        stop_words=list(params.stop_words) or None,
        lowercase=False,
        alternate_sign=False,
        norm=None,
        dtype=np.float64,
    )


def _counts(texts: Iterable[str], params: HyperParameters) -> Any:
    return _vectoriser(params).transform(list(texts))


def _fit_idf(counts: Any) -> Vector:
    """Smoothed inverse document frequency, as scikit-learn's TfidfTransformer computes it."""
    documents = counts.shape[0]
    frequency = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    return np.asarray(np.log((1.0 + documents) / (1.0 + frequency)) + 1.0, dtype=np.float64)


def _weigh(counts: Any, idf: Vector, params: HyperParameters) -> Any:
    """Counts to l2-normalised (sublinear) tf-idf rows, in place on the sparse matrix."""
    if params.sublinear_tf:
        counts.data = 1.0 + np.log(counts.data)
    counts.data *= idf[counts.indices]
    return scale_rows(counts, norm=params.norm, copy=False)


def _columns(grams: Sequence[str], n_features: int) -> list[int]:
    """The hashed column of each n-gram: the same hash HashingVectorizer applies."""
    if not grams:
        return []
    hasher = FeatureHasher(n_features=n_features, input_type="string", alternate_sign=False)
    rows = hasher.transform([[gram] for gram in grams])
    return [int(column) for column in rows.indices]


# ---------------------------------------------------------------------------------------------
# The model


@dataclass(frozen=True)
class TextModel:
    """Fitted weights over hashed tf-idf columns, with the card that says how they were made."""

    coef: Vector
    idf: Vector
    intercept: float
    card: ModelCard

    def probabilities(self, messages: Sequence[tuple[str, str]]) -> Vector:
        """Phishing probability of each (subject, text) pair."""
        if not messages:
            return np.zeros(0, dtype=np.float64)
        rows = self._rows([normalise(subject, text) for subject, text in messages])
        return _sigmoid(np.asarray(rows @ self.coef, dtype=np.float64) + self.intercept)

    def predict(self, subject: str, text: str) -> Prediction:
        """One message's probability and up to five n-grams that raised it most."""
        normalised = normalise(subject, text)
        row = self._rows([normalised])
        push = row.data * self.coef[row.indices]
        probability = float(_sigmoid(np.asarray([push.sum() + self.intercept]))[0])
        return Prediction(probability, self._reasons(normalised, row.indices, push))

    def _rows(self, normalised: list[str]) -> Any:
        params = self.card.hyper_parameters
        return _weigh(_counts(normalised, params), self.idf, params)

    def _reasons(self, normalised: str, columns: Vector, push: Vector) -> list[str]:
        """Map the strongest positive columns back to the message's own n-grams."""
        params = self.card.hyper_parameters
        grams = list(dict.fromkeys(_vectoriser(params).build_analyzer()(normalised)))
        gram_of: dict[int, str] = {}
        for gram, column in zip(grams, _columns(grams, params.n_features), strict=True):
            gram_of.setdefault(column, gram)
        order = np.argsort(-push, kind="stable")
        strongest = [int(columns[i]) for i in order if push[i] > 0][:MAX_REASONS]
        return [_readable(gram_of[column]) for column in strongest if column in gram_of]


def _sigmoid(margin: Vector) -> Vector:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(margin, -500, 500))), dtype=np.float64)


def _readable(gram: str) -> str:
    return " ".join(_PLACEHOLDERS.get(token, token) for token in gram.split(" "))


def _fit_logistic(
    rows: Any, labels: NDArray[np.int_], params: HyperParameters, seed: int
) -> tuple[Vector, float]:
    """Fit on the columns some message uses: an unused column's weight is zero under the L2
    penalty anyway, and 2**18 mostly empty columns made a 40-message fit take 0.3 s."""
    used = np.unique(rows.indices)
    model = LogisticRegression(
        C=params.c,
        class_weight=params.class_weight,
        solver=params.solver,
        max_iter=params.max_iter,
        random_state=seed,
    ).fit(rows[:, used], labels)
    coef = np.zeros(params.n_features, dtype=np.float64)
    coef[used] = model.coef_[0]
    return coef, float(model.intercept_[0])


def _check_samples(samples: Sequence[Sample]) -> NDArray[np.int_]:
    labels = np.asarray([label for _, _, label in samples], dtype=np.int_)
    if not set(labels.tolist()) <= {0, 1}:
        raise ValueError("labels must be 1 (phishing) or 0 (legitimate)")
    if labels.sum() == 0 or (labels == 0).sum() == 0:
        raise ValueError("training needs both phishing and legitimate messages")
    return labels


def train(
    samples: Sequence[Sample], *, seed: int = 7, params: HyperParameters | None = None
) -> TextModel:
    """Fit on (subject, text, label) triples; the same samples and seed give the same weights."""
    params = params or HyperParameters()
    labels = _check_samples(samples)
    counts = _counts((normalise(subject, text) for subject, text, _ in samples), params)
    idf = _fit_idf(counts)
    coef, intercept = _fit_logistic(_weigh(counts, idf, params), labels, params, seed)
    created = datetime.now(UTC)
    card = ModelCard(
        model_version=f"mail-text-{created:%Y%m%d}-{_fingerprint(coef, idf, intercept)[:8]}",
        created_at=created,
        seed=seed,
        training_counts=TrainingCounts(
            phishing=int(labels.sum()), legitimate=int((labels == 0).sum())
        ),
        hyper_parameters=params,
    )
    return TextModel(coef=coef, idf=idf, intercept=intercept, card=card)


def cross_validated_probabilities(
    samples: Sequence[Sample],
    *,
    folds: int = 5,
    seed: int = 7,
    params: HyperParameters | None = None,
) -> list[float]:
    """Each message's probability from a model trained on the other folds (stratified)."""
    labels = _check_samples(samples)
    scores = np.zeros(len(samples), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(np.zeros(len(samples)), labels):
        model = train([samples[i] for i in train_rows], seed=seed, params=params)
        held_out = [(samples[i][0], samples[i][1]) for i in test_rows]
        scores[test_rows] = model.probabilities(held_out)
    return [float(score) for score in scores]


def _fingerprint(coef: Vector, idf: Vector, intercept: float) -> str:
    digest = hashlib.sha256(coef.tobytes())
    digest.update(idf.tobytes())
    digest.update(np.float64(intercept).tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Saving and loading


def save(
    model: TextModel,
    directory: Path | str,
    *,
    metrics: Mapping[str, float] | None = None,
    bands: Mapping[str, float] | None = None,
) -> Path:
    """Write ``model.npz`` (plain arrays) and ``model.json`` (the card and the arrays' sha256)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, coef=model.coef, idf=model.idf, intercept=np.asarray([model.intercept])
    )
    arrays = buffer.getvalue()
    (target / "model.npz").write_bytes(arrays)
    card = model.card.model_dump()
    if metrics is not None:
        card["metrics"] = dict(metrics)
    if bands is not None:
        card["bands"] = dict(bands)
    document = ModelFile(**card, npz_sha256=hashlib.sha256(arrays).hexdigest())
    (target / "model.json").write_text(document.model_dump_json(indent=2) + "\n", "utf-8")
    return target


def load(directory: Path | str) -> TextModel:
    """Read a saved model, checking the card, the checksum and every array's shape."""
    source = Path(directory)
    card = _read_card(source / "model.json")
    arrays = _read_bytes(source / "model.npz")
    if hashlib.sha256(arrays).hexdigest() != card.npz_sha256:
        raise ModelFileError(f"{source / 'model.npz'}: sha256 differs from model.json")
    coef, idf, intercept = _read_arrays(arrays, card, source / "model.npz")
    fields = card.model_dump(exclude={"npz_sha256"})
    return TextModel(coef=coef, idf=idf, intercept=intercept, card=ModelCard(**fields))


def _check_sizes(data: bytes, *, limit: int, path: Path) -> None:
    """A few compressed bytes can claim gigabytes: refuse before inflating anything."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if any(info.file_size > limit for info in archive.infolist()):
            raise ModelFileError(f"{path}: an array is larger than the model can be")


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None


# What decides which column a word lands in: a model made with other values would be read
# with the wrong words. C, the solver and the stop list are the model's own business.
_LAYOUT = ("normaliser_version", "n_features", "ngram_range", "token_pattern", "sublinear_tf")


def _read_card(path: Path) -> ModelFile:
    try:
        card = ModelFile.model_validate(json.loads(_read_bytes(path)))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "document"
        raise ModelFileError(f"{path}: {where}: {first['msg']}") from None
    current = HyperParameters()
    for name in _LAYOUT:
        found, expected = getattr(card.hyper_parameters, name), getattr(current, name)
        if found != expected:
            raise ModelFileError(
                f"{path}: hyper_parameters.{name} is {found!r}, this version reads "
                f"{expected!r}; retrain the model"
            )
    return card


_UNREADABLE = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def _read_arrays(data: bytes, card: ModelFile, path: Path) -> tuple[Vector, Vector, float]:
    size = card.hyper_parameters.n_features
    try:
        _check_sizes(data, limit=size * 8 + 4_096, path=path)
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {name: np.asarray(stored[name]) for name in stored.files}
    except ModelFileError:
        raise
    except _UNREADABLE as exc:
        raise ModelFileError(f"{path}: not a readable numpy archive ({exc})") from None
    expected = {"coef": (size,), "idf": (size,), "intercept": (1,)}
    if set(arrays) != set(expected):
        raise ModelFileError(f"{path}: holds {sorted(arrays)}, expected {sorted(expected)}")
    for name, shape in expected.items():
        array = arrays[name]
        if array.dtype != np.float64 or array.shape != shape or not np.isfinite(array).all():
            raise ModelFileError(f"{path}: {name} is not {shape} finite float64")
    return arrays["coef"], arrays["idf"], float(arrays["intercept"][0])
