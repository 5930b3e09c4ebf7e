"""Sanctions screening quality: UN recall, logic-v2 on name pairs, false hits on ordinary names.

python benchmarks/screening_evaluation.py                 # data in ../shared/data/sanctions
python benchmarks/screening_evaluation.py --per-locale 50  # a quick look

Prints the tables quoted in docs/evaluation/screening.md. The index is built the production
way (``read_list`` -> ``SanctionsIndex.build``) and every query goes through
``SanctionsIndex.match`` at the default threshold and cutoff.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker
from nomenklatura.matching import LogicV2
from normality import normalize

from tradeguard.domains.merchants.sanctions.entities import ListedEntity
from tradeguard.domains.merchants.sanctions.formats import read_list
from tradeguard.domains.merchants.sanctions.matching import (
    CANDIDATES,
    DEFAULT_THRESHOLD,
    MIN_SHARE,
    Query,
    SanctionsIndex,
    company_query,
    listed_proxy,
    person_query,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sanctions"
LOCALES = {  # Faker locale -> the nationality / country given with the name, when one fits
    "en_US": "us", "en_GB": "gb", "de_DE": "de", "fr_FR": "fr", "es_ES": "es", "it_IT": "it",
    "pt_BR": "br", "ru_RU": "ru", "uk_UA": "ua", "zh_CN": "cn", "ja_JP": "jp", "ko_KR": "kr",
    "ar_AA": None, "fa_IR": "ir", "tr_TR": "tr", "hi_IN": "in", "pl_PL": "pl", "nl_NL": "nl",
    "vi_VN": "vn", "id_ID": "id", "he_IL": "il", "el_GR": "gr",
}  # fmt: skip
Entries = list[tuple[str, ListedEntity]]


def load_lists(data: Path) -> dict[str, Entries]:
    """UN, OFAC SDN and OFAC consolidated (non-SDN), each as (source, entity) pairs."""
    files = {"un": ("un", "UN_consolidated.xml"), "ofac-sdn": ("ofac-sdn", "sdn.csv")}
    files["ofac-cons"] = ("ofac-sdn", "cons_prim.csv")
    lists: dict[str, Entries] = {}
    for label, (source, name) in files.items():
        parsed = read_list(source, data / name)
        lists[label] = [(source, entity) for entity in parsed.entities]
    return lists


def _key(name: str) -> tuple[str, ...]:
    return tuple(sorted((normalize(name, ascii=True) or "").split()))


@dataclass(frozen=True)
class UnQuery:
    row: dict[str, str]
    labels: frozenset[str]  # the UN entity ids the query names (empty: not on this list)

    def query(self, *, name_only: bool = False) -> Query:
        row = self.row
        if name_only:
            return person_query(row["full_name"])
        return person_query(
            row["full_name"], row["date_of_birth"] or None, row["nationality"] or None
        )


def label_un_queries(path: Path, un: Entries) -> list[UnQuery]:
    """The intended person: the UN individual one of whose names has exactly the query's words
    (any order, case and accents ignored), narrowed by birth date when several do."""
    by_name: dict[tuple[str, ...], set[str]] = defaultdict(set)
    births: dict[str, tuple[str, ...]] = {}
    for _, entity in un:
        if entity.schema == "Person":
            births[entity.entity_id] = entity.properties.get("birthDate", ())
            for name in entity.names():
                by_name[_key(name)].add(entity.entity_id)
    labelled: list[UnQuery] = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ids = by_name.get(_key(row["full_name"]), set())
            dob = row["date_of_birth"]
            born = {i for i in ids if any(d[: len(dob)] == dob for d in births[i])} if dob else ids
            labelled.append(UnQuery(row, frozenset(born or ids)))
    return labelled


@dataclass
class Recall:
    labelled: int = 0
    found: int = 0
    results: int = 0
    matches: int = 0
    misses: list[str] = field(default_factory=list)

    def row(self, index: str, kind: str) -> str:
        n = max(self.labelled, 1)
        return (
            f"| {index} | {kind} | {self.found}/{self.labelled} | {self.found / n:.4f} | "
            f"{self.results / n:.2f} | {self.matches / n:.2f} |"
        )


def un_recall(
    index: SanctionsIndex,
    queries: Sequence[UnQuery],
    entities: dict[str, ListedEntity],
    *,
    name_only: bool,
) -> Recall:
    got = Recall()
    for item in queries:
        if not item.labels:
            continue
        got.labelled += 1
        hits = index.match(item.query(name_only=name_only))
        got.results += len(hits)
        got.matches += sum(h.match for h in hits)
        if any(h.match and h.entity.entity_id in item.labels for h in hits):
            got.found += 1
        else:
            got.misses.append(_why(index, item, entities, name_only=name_only))
    return got


def _why(
    index: SanctionsIndex, item: UnQuery, entities: dict[str, ListedEntity], *, name_only: bool
) -> str:
    """A miss, explained: where the index ranked the person and what logic-v2 said."""
    query = item.query(name_only=name_only)
    ranked = [e.entity_id for e, _ in index.candidates(query, depth=len(index), min_share=0)]
    label = min(item.labels, key=lambda i: ranked.index(i) if i in ranked else len(ranked))
    rank = ranked.index(label) + 1 if label in ranked else None
    entity = entities[label]
    result = LogicV2.compare(query.proxy(), listed_proxy(entity), LogicV2.default_config())
    parts = "; ".join(
        f"{k} {v.score:.2f} {v.detail}" for k, v in result.explanations.items() if v.score
    )
    return (
        f"{item.row['full_name']!r} dob={item.row['date_of_birth'] or '-'} -> {label} "
        f"{entity.caption!r}: index rank {rank}, logic-v2 {result.score:.2f} ({parts})"
    )


def pair_scores(path: Path) -> list[tuple[dict[str, str], float]]:
    """logic-v2 on each labelled pair, name1 as the query, name2 as the listed party."""
    config = LogicV2.default_config()
    scored: list[tuple[dict[str, str], float]] = []
    with path.open(encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            query = Query(schema=row["schema"], properties={"name": [row["name1"]]})
            listed = _pair_entity(i, row)
            scored.append((row, LogicV2.compare(query.proxy(), listed_proxy(listed), config).score))
    return scored


def _pair_entity(i: int, row: dict[str, str]) -> ListedEntity:
    return ListedEntity.create(
        entity_id=f"pair-{i}", schema=row["schema"], caption=row["name2"],
        properties={"name": [row["name2"]]},
    )  # fmt: skip


def pair_table(scored: Sequence[tuple[dict[str, str], float]]) -> list[str]:
    lines = [
        "| threshold | precision | recall | F1 | TP | FP | FN |",
        "|---|---|---|---|---|---|---|",
    ]
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
        tp = sum(1 for r, s in scored if s >= threshold and r["is_match"] == "true")
        fp = sum(1 for r, s in scored if s >= threshold and r["is_match"] != "true")
        fn = sum(1 for r, s in scored if s < threshold and r["is_match"] == "true")
        p, r_ = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        f1 = 2 * p * r_ / max(p + r_, 1e-9)
        lines.append(f"| {threshold:.1f} | {p:.3f} | {r_:.3f} | {f1:.3f} | {tp} | {fp} | {fn} |")
    return lines


def pair_candidates(scored: Sequence[tuple[dict[str, str], float]], depth: int) -> list[str]:
    """Would the index hand name2 to logic-v2 when screening name1? All 826 name2 values are
    indexed together, so every other pair's name2 competes for the candidate places."""
    rows = [row for row, _ in scored]
    entries = (("pairs", _pair_entity(i, r)) for i, r in enumerate(rows))
    index = SanctionsIndex.build(entries, depth=depth)
    counts: Counter[str] = Counter()
    lost: list[str] = []
    for i, (row, score) in enumerate(scored):
        if row["is_match"] != "true":
            continue
        query = Query(schema=row["schema"], properties={"name": [row["name1"]]})
        wanted = f"pair-{i}"
        every = [e.entity_id for e, _ in index.candidates(query, depth=len(index), min_share=0)]
        handed = [e.entity_id for e, _ in index.candidates(query)]
        found = [m.entity.entity_id for m in index.match(query, limit=len(index)) if m.match]
        counts["true pairs"] += 1
        counts["share a key"] += wanted in every
        counts["handed to logic-v2"] += wanted in handed
        if score >= DEFAULT_THRESHOLD:
            counts["logic-v2 >= 0.7 pairwise"] += 1
            counts["... and found by index.match"] += wanted in found
            if wanted not in found:
                lost.append(f"{row['name1']!r} / {row['name2']!r} ({score:.2f})")
    lines = [f"- {what}: {n}" for what, n in counts.items()]
    return [*lines, "- pairs scored >= 0.7 pairwise but not found: " + ("; ".join(lost) or "none")]


def faker_queries(per_locale: int, seed: int) -> list[tuple[str, str, Query, Query]]:
    """(locale, kind, name-only query, query with birth date and nationality/country)."""
    queries: list[tuple[str, str, Query, Query]] = []
    for n, (locale, country) in enumerate(LOCALES.items()):
        fake = Faker(locale)
        fake.seed_instance(seed + n)
        for i in range(per_locale):
            if i % 5 == 4:
                name = fake.company()
                queries.append(
                    (locale, "company", company_query(name), company_query(name, country))
                )
            else:
                name = fake.name()
                born = fake.date_of_birth(minimum_age=18, maximum_age=85).isoformat()
                queries.append(
                    (locale, "person", person_query(name), person_query(name, born, country))
                )
    return queries


def false_hits(
    index: SanctionsIndex, queries: Iterable[tuple[str, str, Query, Query]]
) -> list[str]:
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    listed: list[str] = []
    for locale, kind, bare, full in queries:
        rows[locale]["screened"] += 1
        for variant, query in (("name only", bare), ("with DOB/country", full)):
            hits = [h for h in index.match(query) if h.match]
            if hits:
                rows[locale][variant] += 1
                best = hits[0]
                name = best.features.get("name_match")
                matched = name.candidate if name and name.candidate else best.entity.caption
                listed.append(
                    f"| {locale} | {kind} | {variant} | {query.properties['name'][0]} | "
                    f"{matched} ({best.entity.entity_id}) | {best.score:.2f} |"
                )
    total = Counter[str]()
    lines = ["| locale | screened | false hits, name only | false hits, with DOB/country |"]
    lines.append("|---|---|---|---|")
    for locale, counts in rows.items():
        total.update(counts)
        lines.append(f"| {locale} | {counts['screened']} | {_rate(counts, 'name only')} | "
                     f"{_rate(counts, 'with DOB/country')} |")  # fmt: skip
    lines.append(f"| **all** | {total['screened']} | {_rate(total, 'name only')} | "
                 f"{_rate(total, 'with DOB/country')} |")  # fmt: skip
    lines += ["", "| locale | kind | variant | generated name | listed name matched | score |"]
    return [*lines, "|---|---|---|---|---|---|", *listed]


def _rate(counts: Counter[str], key: str) -> str:
    return f"{counts[key]} ({100 * counts[key] / max(counts['screened'], 1):.2f} %)"


def depth_loss(index: SanctionsIndex, every: Entries, queries: Sequence[UnQuery]) -> str:
    """What the candidate cut costs: matches (score >= threshold, in the top 5) that logic-v2
    finds among the 200 best key-sharing candidates, without the share floor, but the index
    as configured does not hand over."""
    reference = SanctionsIndex.build(every, depth=200, min_share=0.0)
    wanted, lost = 0, 0
    examples: list[str] = []
    for item in queries:
        query = item.query()
        full = {m.entity.entity_id: m for m in reference.match(query) if m.match}
        got = {m.entity.entity_id for m in index.match(query) if m.match}
        wanted += len(full)
        for entity_id in set(full) - got:
            lost += 1
            examples.append(f"{item.row['full_name']!r} -> {full[entity_id].entity.caption!r}")
    return (
        f"Against logic-v2 on the 200 best key-sharing candidates (no share floor): {lost} of "
        f"{wanted} top-5 matches missed. " + "; ".join(examples[:10])
    )


def report_un(data: Path, lists: dict[str, Entries], depth: int) -> SanctionsIndex:
    """Print the UN recall tables; return the index of all lists for the other sections."""
    every = [e for entries in lists.values() for e in entries]
    un_index = SanctionsIndex.build(lists["un"], depth=depth)
    all_index = SanctionsIndex.build(every, depth=depth)
    queries = label_un_queries(data / "un-people-queries.csv", lists["un"])
    unlabelled = [q for q in queries if not q.labels]
    print(f"\n## UN queries (threshold {DEFAULT_THRESHOLD}, depth {depth}, share {MIN_SHARE})\n")
    print(f"{len(queries)} queries, {len(unlabelled)} naming nobody on this UN file.\n")
    print("| index | query | found | recall | mean results | mean match=True |")
    print("|---|---|---|---|---|---|")
    misses: list[str] = []
    entities = {e.entity_id: e for _, e in every}
    for label, index in (("UN", un_index), ("UN + OFAC SDN + OFAC cons.", all_index)):
        for name_only in (False, True):
            got = un_recall(index, queries, entities, name_only=name_only)
            kind = "name only" if name_only else "name, DOB, nationality"
            print(got.row(label, kind))
            misses += [f"- {label}, {kind}: {m}" for m in got.misses]
    print("\nMisses:\n" + ("\n".join(misses) or "none"))
    print("\n" + depth_loss(all_index, every, queries))
    print("\nNot on the UN file, screened against all lists:")
    for item in unlabelled:
        hits = [
            (h.entity.entity_id, round(h.score, 2), h.match) for h in all_index.match(item.query())
        ]
        print(f"- {item.row['full_name']!r}: {hits}")
    return all_index


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--per-locale", type=int, default=250, help="Faker names per locale")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--depth", type=int, default=CANDIDATES, help="candidates per query")
    args = parser.parse_args()
    started = time.perf_counter()
    lists = load_lists(args.data)
    print("lists: " + ", ".join(f"{k} {len(v)}" for k, v in lists.items()))
    all_index = report_un(args.data, lists, args.depth)

    pairs = args.data / "name-pairs.csv"
    scored = pair_scores(pairs)
    print("\n## name-pairs.csv: logic-v2 pairwise\n")
    print("\n".join(pair_table(scored)))
    print("\nThe candidate index on the true pairs:\n")
    print("\n".join(pair_candidates(scored, args.depth)))

    fake = faker_queries(args.per_locale, args.seed)
    print(f"\n## False hits: {len(fake)} Faker names (seed {args.seed}) against all lists\n")
    print("\n".join(false_hits(all_index, fake)))
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
