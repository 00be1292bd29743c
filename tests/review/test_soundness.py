"""Property test: whenever the analysis proves old ⊆ new, no instance refutes it.

Random small schemas are compared, and when the subsumption check reports no fact, every
generated instance valid under the first schema must validate under the second.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from opsconsole.review.documents import Loader, Source
from opsconsole.review.subsume import Subsumption

D2020 = "https://json-schema.org/draft/2020-12/schema"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=12),
    st.sampled_from([0.5, 2.5, 7.0]),
    st.text(alphabet="abx", max_size=5),
)
instances = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "x1", "c"]), inner, max_size=3),
    ),
    max_leaves=6,
)

types = st.sampled_from(["null", "boolean", "integer", "number", "string", "array", "object"])
numbers = st.sampled_from([0, 1, 2, 5, 10])


KEYWORDS: dict[str, st.SearchStrategy[Any]] = {
    "type": st.one_of(types, st.lists(types, min_size=1, max_size=3, unique=True)),
    "minimum": numbers,
    "maximum": numbers,
    "exclusiveMinimum": numbers,
    "multipleOf": st.sampled_from([1, 2, 3, 0.5]),
    "minLength": st.integers(0, 3),
    "maxLength": st.integers(0, 4),
    "pattern": st.sampled_from(["^a", "b$", "x"]),
    "enum": st.lists(scalars, min_size=1, max_size=3),
    "const": scalars,
    "minItems": st.integers(0, 2),
    "maxItems": st.integers(0, 3),
    "uniqueItems": st.booleans(),
    "minProperties": st.integers(0, 2),
    "maxProperties": st.integers(0, 3),
}


def leaf_keywords() -> st.SearchStrategy[dict[str, Any]]:
    chosen = st.lists(st.sampled_from(sorted(KEYWORDS)), max_size=2, unique=True)
    return chosen.flatmap(lambda keys: st.fixed_dictionaries({k: KEYWORDS[k] for k in keys}))


def compound(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    names = st.sampled_from(["a", "b", "c"])
    return st.one_of(
        st.builds(
            lambda base, props, required, extra: {
                **base,
                "properties": props,
                "required": required,
                **extra,
            },
            leaf_keywords(),
            st.dictionaries(names, inner, max_size=2),
            st.lists(names, max_size=2, unique=True),
            st.fixed_dictionaries(
                {},
                optional={
                    "additionalProperties": inner,
                    "patternProperties": st.dictionaries(st.just("^x"), inner, max_size=1),
                    "propertyNames": inner,
                },
            ),
        ),
        st.builds(
            lambda base, extra: {**base, **extra},
            leaf_keywords(),
            st.fixed_dictionaries(
                {},
                optional={
                    "items": inner,
                    "prefixItems": st.lists(inner, min_size=1, max_size=2),
                    "contains": inner,
                },
            ),
        ),
        st.builds(lambda items: {"anyOf": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"oneOf": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"allOf": items}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda item: {"not": item}, inner),
    )


schemas = st.recursive(st.one_of(st.booleans(), leaf_keywords()), compound, max_leaves=5)


def _mutations(schema: Any) -> st.SearchStrategy[Any]:
    """Derive a schema close to `schema`: a keyword dropped or replaced, or a wrapper added."""
    if not isinstance(schema, dict) or not schema:
        return schemas
    keys = sorted(schema)
    dropped = st.sampled_from(keys).map(lambda key: {k: v for k, v in schema.items() if k != key})
    replaced = st.tuples(st.sampled_from(keys), leaf_keywords()).map(
        lambda pair: {**{k: v for k, v in schema.items() if k != pair[0]}, **pair[1]}
    )
    wrapped = schemas.map(lambda other: {"anyOf": [schema, other]})
    tunable = [key for key in keys if key in KEYWORDS]
    if not tunable:
        return st.one_of(dropped, replaced, wrapped)
    retuned = st.sampled_from(tunable).flatmap(
        lambda key: KEYWORDS[key].map(lambda value: {**schema, key: value})
    )
    return st.one_of(dropped, replaced, wrapped, retuned, retuned)


related_pairs = schemas.flatmap(lambda schema: st.tuples(st.just(schema), _mutations(schema)))
pairs = st.one_of(st.tuples(schemas, schemas), related_pairs, related_pairs.map(lambda p: p[::-1]))


def proven_subset(old: Any, new: Any) -> bool:
    loader = Loader()
    first = loader.add(Source("/soundness/old.json"), _with_dialect(old))
    second = loader.add(Source("/soundness/new.json"), _with_dialect(new))
    engine = Subsumption(loader, new_is_sup=True)
    return not engine.check([first.root()], [second.root()], ("$", "$"))


def _with_dialect(schema: Any) -> Any:
    return {"$schema": D2020, **schema} if isinstance(schema, dict) else schema


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pairs, st.lists(instances, min_size=20, max_size=40))
def test_proven_subset_has_no_counterexample(pair: tuple[Any, Any], samples: list[Any]) -> None:
    old, new = pair
    if not proven_subset(old, new):
        return
    old_validator = Draft202012Validator(old)
    new_validator = Draft202012Validator(new)
    for sample in samples:
        if old_validator.is_valid(sample):
            assert new_validator.is_valid(sample), sample


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas)
def test_schema_subsumes_itself(schema: Any) -> None:
    assert proven_subset(schema, schema)
