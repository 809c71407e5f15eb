"""The reveal of a worker's identity: the request naming the worker by masked ID and name,
and the full identity it answers with (RELIABILITY 24)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# A masked resident ID as ``wage_guard.masking.mask_id_number`` writes it.
MASKED_ID = r"^\d{6}\*{8}\d{3}[\dXx]$"
# Not blank, and without NUL, which PostgreSQL cannot store in a text column.
NON_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"


class RevealRequest(BaseModel):
    """Which worker of the project to reveal, and why (the reason goes to the access log)."""

    model_config = ConfigDict(extra="forbid")

    id_number_masked: str = Field(
        pattern=MASKED_ID, description="The masked ID number, e.g. 120101********123X."
    )
    name: str = Field(min_length=1, max_length=64, pattern=NON_BLANK)
    reason: str = Field(min_length=1, max_length=2000, pattern=NON_BLANK)


class WorkerIdentity(BaseModel):
    """A worker in full: name, resident ID number and the bank cards the project's payroll
    names for them."""

    project_code: str
    name: str
    id_number: str
    bank_cards: list[str]
