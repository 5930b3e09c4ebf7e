"""logic-v2, with each entity's name analysis done once and carried on its FtM proxy.

nomenklatura's ``name_match`` analyses both entities' names on every comparison, behind an
LRU cache of 1,000 entries keyed by entity id. Against thousands of listed parties that cache
mostly misses, so analysis was half of each screening's time; its entries also kept hundreds
of thousands of objects alive for CPython's full collections to walk (0.3-0.7 s pauses).
Here a listed party is analysed once, at index build, and a query once per screening; the
scoring itself is nomenklatura's, unchanged: ``name_match`` below is its orchestration
(nomenklatura 4.17, MIT) reading the names from the proxy, and a test holds it to the
original's scores and explanations.
"""

from __future__ import annotations

from typing import ClassVar

from followthemoney import EntityProxy, model
from followthemoney.names import entity_names, schema_type_tag
from followthemoney.proxy import E
from followthemoney.schema import Schema
from nomenklatura.matching import LogicV2
from nomenklatura.matching.logic_v2.names.analysis import names_product
from nomenklatura.matching.logic_v2.names.match import (
    match_name_symbolic,
    match_object_names,
)
from nomenklatura.matching.logic_v2.names.match import (
    name_match as nomenklatura_name_match,
)
from nomenklatura.matching.logic_v2.names.util import explain_alignment, part_tags_compatible
from nomenklatura.matching.types import Feature, FtResult, ScoringConfig
from nomenklatura.matching.util import FNUL
from rigour.names import Alignment, CompareConfig, Name, NameTypeTag


class AnalysedProxy(EntityProxy):
    """An FtM entity that carries logic-v2's analysis of its names, once ``analyse``d."""

    __slots__ = ("analysed_names", "consolidated_names")

    def __init__(self, schema: Schema, entity_id: str) -> None:
        super().__init__(schema, {"id": entity_id})
        self.analysed_names: set[Name] | None = None
        self.consolidated_names: set[Name] | None = None

    @classmethod
    def make(cls, schema: str, entity_id: str) -> AnalysedProxy:
        found = model.get(schema)
        if found is None:
            raise ValueError(f"unknown schema {schema!r}")
        return cls(found, entity_id)

    def analyse(self, *, is_query: bool) -> AnalysedProxy:
        """What nomenklatura's ``entity_names(entity, None, is_query)`` would compute."""
        names = entity_names(self, None, infer_initials=is_query, consolidate=False)
        self.analysed_names = names
        self.consolidated_names = Name.consolidate_names(names)
        return self


def name_match(query: E, result: E, config: ScoringConfig) -> FtResult:
    """Match two entities by analyzing and comparing their names."""
    query_names, query_consolidated = _analysis(query)
    result_names, result_consolidated = _analysis(result)
    if query_names is None or result_names is None or query_consolidated is None:
        return nomenklatura_name_match(query, result, config)
    if result_consolidated is None or config.get_optional_string("nm_name_property"):
        return nomenklatura_name_match(query, result, config)
    schema = model.common_schema(query.schema, result.schema)
    type_tag = schema_type_tag(schema)
    if type_tag == NameTypeTag.UNK:
        return FtResult(score=FNUL, detail=None)
    if type_tag == NameTypeTag.OBJ:
        return match_object_names(query, result, config)

    query_comparable: dict[str, list[Name]] = {}
    for name in query_names:
        query_comparable.setdefault(name.comparable, []).append(name)
    result_comparable: dict[str, list[Name]] = {}
    for name in result_names:
        result_comparable.setdefault(name.comparable, []).append(name)
    common = set(query_comparable).intersection(result_comparable)
    for comparable in sorted(common, key=len, reverse=True):
        for q_name in query_comparable[comparable]:
            for r_name in result_comparable[comparable]:
                if not part_tags_compatible(q_name, r_name):
                    continue
                align = Alignment(qps=q_name.parts, rps=r_name.parts, score=1.0)
                return FtResult(
                    score=1.0,
                    detail=explain_alignment(align),
                    query=q_name.original,
                    candidate=r_name.original,
                )

    compare_config = CompareConfig(budget_tolerance=config.get_float("nm_fuzzy_cutoff_factor"))
    extra_query_weight = config.get_float("nm_extra_query_name")
    extra_result_weight = config.get_float("nm_extra_result_name")
    family_name_weight = config.get_float("nm_family_name_weight")
    best = FtResult(score=FNUL, detail=None)
    best_matches: list[Alignment] = []
    for query_name, result_name in names_product(query_consolidated, result_consolidated):
        ftres, ftmatches = match_name_symbolic(
            query_name,
            result_name,
            compare_config,
            extra_query_weight,
            extra_result_weight,
            family_name_weight,
        )
        if ftres.score >= best.score:
            best = ftres
            best_matches = ftmatches
            if best.score == 1.0:
                break
    if len(best_matches) > 0 and best.detail is None:
        best.detail = " ".join(explain_alignment(m) for m in best_matches)
    if best.detail is None:
        best.detail = "No name match found."
    return best


def _analysis(entity: EntityProxy) -> tuple[set[Name] | None, set[Name] | None]:
    if isinstance(entity, AnalysedProxy):
        return entity.analysed_names, entity.consolidated_names
    return None, None


class IndexedLogicV2(LogicV2):
    """logic-v2's features and weights, with the name feature above in place of the original."""

    features: ClassVar[list[Feature]] = [
        Feature(func=name_match, weight=f.weight, qualifier=f.qualifier)
        if f.name == "name_match"
        else f
        for f in LogicV2.features
    ]
