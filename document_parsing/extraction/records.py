"""What extraction finds in a plan: plain records in the shape of ``SCHEMA.md``."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional


@dataclass
class DocumentInfo:
    number: Optional[str] = None  # "3381/KH-UBND" as printed; None when blank
    issuer: Optional[str] = None  # "Ủy ban nhân dân tỉnh Lâm Đồng"
    level: Optional[str] = None  # "tỉnh" | "huyện"
    date: Optional[str] = None  # ISO "2017-06-08"
    parent: list[str] = field(default_factory=list)  # ["117/QĐ-TTg"]
    title: Optional[str] = None
    period: Optional[list[int]] = None  # [2016, 2025]
    date_printed: Optional[str] = None  # "ngày 22 tháng 9 năm 2017"; "tháng 6 năm 2021" when the day is blank
    signer: Optional[str] = None  # who signed it ("Lê Văn Tâm"), from the signature block


@dataclass
class Target:
    section: str
    text: str
    value: float
    unit: Optional[str]  # "%" or a counted noun
    comparator: str  # ">=" | ">" | "="
    year: Optional[int]
    subject: str


@dataclass
class Task:
    section: str
    text: str


@dataclass
class Responsibility:
    section: str
    agency: str  # canonical full name
    role: str  # "chủ trì" | "phối hợp" | "thực hiện"
    task: str


@dataclass
class AppendixProject:
    no: int
    name: str
    lead: Optional[str]
    partners: list[str]
    years: list[int]
    section: Optional[str] = None  # how the row is cited: "PL.3", or "PLI.3" when appendices are numbered


@dataclass
class Deadline:
    section: str
    agency: Optional[str]
    what: str
    to: Optional[str]
    when: Optional[str]
    recurrence: Optional[str]  # "yearly" | "once" | None (also "quarterly", "monthly", …)
    month: Optional[int] = None
    day: Optional[int] = None


@dataclass
class PlanExtraction:
    """Everything extracted from one plan document."""

    plan: str  # the source file's stem, e.g. "lamdong-3381-2017"
    document: DocumentInfo
    targets: list[Target] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    responsibilities: list[Responsibility] = field(default_factory=list)
    appendix_projects: list[AppendixProject] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)

    def to_schema(self) -> dict:
        """The JSON shape of ``SCHEMA.md`` (what ``export-json`` writes)."""
        return asdict(self)
