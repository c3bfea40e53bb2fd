"""Identity domain: identifiers, names, addresses, matching and survivorship; no I/O.

Call sequence for one incoming record (``POST /v1/customers/identify``):

1. ``record = record_from_dict(body)``: validates; raises ``InvalidInput`` (→ 422).
2. ``prepared = prepare(record)``: comparison form, computed once.
3. ``keys = blocking_keys(prepared)``: hash each key (blind index) and look up stored rows.
4. ``resolve(prepared, [Candidate(customer_id, prepare(stored)) ...], model)``: link, review or
   new, with score and evidence.
5. Store the record and its key rows under the resulting customer; rebuild the golden record
   with ``build_golden_record(records, policy)``.

A batch: fetch the stored rows for ``batch_keys(prepared_records)`` in one query, then
``resolve_batch(prepared_records, model, index=InMemoryIndex(postings=rows_by_key, ...),
new_customer_id=...)``.

The model is ``default_model()`` at cold start, then ``fit_model(...)`` /
``fit_model_on_records(...)``; persist it with ``MatchModel.to_dict`` / ``from_dict``.
"""

from services.identity.domain.batch import BatchItem, batch_keys, resolve_batch
from services.identity.domain.blocking import InMemoryIndex, blocking_keys
from services.identity.domain.errors import (
    IdentityDomainError,
    InvalidAttribute,
    InvalidIdentifier,
    InvalidInput,
    InvalidModel,
)
from services.identity.domain.features import PreparedRecord, prepare
from services.identity.domain.fitting import fit_model, fit_model_on_records
from services.identity.domain.identifiers import Identifier, Strength, normalize_identifier
from services.identity.domain.masking import (
    mask_address,
    mask_full_name,
    mask_identifier,
    mask_person_name,
)
from services.identity.domain.matching import (
    Candidate,
    Decision,
    FieldEvidence,
    MatchResult,
    resolve,
)
from services.identity.domain.model import MatchModel, default_model
from services.identity.domain.records import Address, SourceRecord, record_from_dict, record_to_dict
from services.identity.domain.survivorship import (
    GoldenRecord,
    SurvivorshipPolicy,
    branch_summary,
    build_golden_record,
)

__all__ = [
    "Address",
    "BatchItem",
    "Candidate",
    "Decision",
    "FieldEvidence",
    "GoldenRecord",
    "Identifier",
    "IdentityDomainError",
    "InMemoryIndex",
    "InvalidAttribute",
    "InvalidIdentifier",
    "InvalidInput",
    "InvalidModel",
    "MatchModel",
    "MatchResult",
    "PreparedRecord",
    "SourceRecord",
    "Strength",
    "SurvivorshipPolicy",
    "batch_keys",
    "blocking_keys",
    "branch_summary",
    "build_golden_record",
    "default_model",
    "fit_model",
    "fit_model_on_records",
    "mask_address",
    "mask_full_name",
    "mask_identifier",
    "mask_person_name",
    "normalize_identifier",
    "prepare",
    "record_from_dict",
    "record_to_dict",
    "resolve",
    "resolve_batch",
]
