"""Progress reporting on plan targets: units, reporters, reports, and progress per area.

Teachers and school staff report how far their unit has come on a target of the plan that
covers it; the Sở/Phòng reads progress against every target.  The rules that make the figures
trustworthy live here, not in the chat:

* a reporter is tied to one existing unit and may report only once approved, and only on plans
  whose issuer's area covers that unit (:mod:`.reporters`, :mod:`.saving`);
* a report is written in one transaction when confirmed, idempotently; a correction is a new
  revision (:mod:`.saving`, :mod:`.models`);
* a plan's figure is over every unit it covers, missing units never count as reached, and a
  verdict needs 80% of the units to have reported (:mod:`.rule`, :mod:`.progress`);
* every user error raises :class:`ReportingError` with a Vietnamese message to show as is, and
  nothing is half-saved.

Modules: ``errors``, ``models`` (tables), ``values`` (numbers and periods typed by people),
``units``, ``reporters``, ``targets`` (what may be reported on, stable target keys), ``saving``,
``rule`` (the aggregation rule), ``results`` (what progress returns, and its wording),
``progress``, ``missing``, ``exports`` (CSV/Excel/Word).  This package re-exports the public API.

Every function takes an optional ``session``; without one it opens its own on ``$KB_URL``.
Writing functions commit (:func:`knowledge.db.write_transaction`).
"""
from __future__ import annotations

from knowledge.geography import area_key, covers

from .errors import ReportingError
from .missing import missing_reports
from .progress import plan_progress, progress, progress_by_words
from .reporters import ReporterInfo, approve_reporter, get_reporter, list_reporters, normalise_phone, register_reporter
from .results import NOT_REPORTED, MissingReport, Progress, UnitResult, UnitStatus
from .rule import MIN_REPORTED_SHARE
from .saving import SavedReport, report_history, save_report
from .targets import TargetOption, candidate_targets, target_option
from .units import UnitImport, UnitInfo, add_unit, find_units, import_units, list_units, unit_covered
from .values import Period, local_time, parse_period, parse_value

__all__ = [
    "ReportingError", "UnitInfo", "UnitImport", "ReporterInfo", "TargetOption", "SavedReport", "UnitResult",
    "UnitStatus", "Progress", "MissingReport", "NOT_REPORTED", "MIN_REPORTED_SHARE", "Period", "add_unit",
    "import_units", "list_units", "find_units", "register_reporter", "get_reporter", "approve_reporter",
    "list_reporters", "candidate_targets", "target_option", "save_report", "report_history", "progress",
    "plan_progress", "progress_by_words", "missing_reports", "normalise_phone", "area_key", "covers",
    "unit_covered", "local_time", "parse_period", "parse_value",
]
