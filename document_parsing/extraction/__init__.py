"""Extraction: the typed :class:`~document_parsing.model.Document` → :class:`PlanExtraction`.

One module per kind of fact (metadata, targets, tasks, responsibilities, appendix, deadlines);
each reads only the section tree, never the raw file.
"""
from __future__ import annotations

from ..model import Document
from .records import (AppendixProject, Deadline, DocumentInfo, PlanExtraction, Responsibility, Target,
                      Task)


def extract(doc: Document, plan: str) -> PlanExtraction:
    """All facts of one parsed plan; ``plan`` is the name it is exported under (file stem)."""
    from . import appendix, deadlines, metadata, responsibilities, targets, tasks

    return PlanExtraction(
        plan=plan,
        document=metadata.extract_metadata(doc),
        targets=targets.extract_targets(doc),
        tasks=tasks.extract_tasks(doc),
        responsibilities=responsibilities.extract_responsibilities(doc),
        appendix_projects=appendix.extract_projects(doc),
        deadlines=deadlines.extract_deadlines(doc),
    )


__all__ = ["extract", "PlanExtraction", "DocumentInfo", "Target", "Task", "Responsibility", "AppendixProject", "Deadline"]
