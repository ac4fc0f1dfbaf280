"""``python -m knowledge``: ingest plan files, export them for scoring, look things up.

All output is Vietnamese; tables go to stdout, progress and per-file errors to stderr.  Exit
code 1 whenever something the user asked for failed (a file not ingested, an unknown plan,
an unreachable database), so scripts and CI can rely on it.
"""
from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from typing import Optional, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reporting.errors import ReportingError

from . import queries
from .db import ENV_VAR, kb_url

# Piped output (logs, CI, tests) gets wide tables instead of rich's 80-column default.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class VietnameseArgumentParser(argparse.ArgumentParser):
    """argparse with a Vietnamese error line (argparse's own wording stays as a detail)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(2, f"Lỗi: câu lệnh không hợp lệ ({message}). Xem `python -m knowledge -h`.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = VietnameseArgumentParser(
        prog="python -m knowledge",
        description="Cơ sở tri thức kế hoạch giáo dục: nhập tệp kế hoạch, xuất JSON, tra cứu.",
        epilog=f"Cơ sở dữ liệu: --kb URL, hoặc biến môi trường {ENV_VAR}, mặc định data/kb.sqlite3.",
    )
    parser.add_argument("--kb", metavar="URL", help=f"URL SQLAlchemy của cơ sở tri thức (ghi đè {ENV_VAR})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH", parser_class=VietnameseArgumentParser)

    p = sub.add_parser("ingest", help="nhập tệp/thư mục kế hoạch (.docx .pdf .txt .md)")
    p.add_argument("paths", nargs="*", metavar="ĐƯỜNG_DẪN")
    p.add_argument("--no-progress", action="store_true", help="không hiện thanh tiến trình")
    p.add_argument("--queue", nargs="?", const="", metavar="REDIS_URL",
                   help="giao từng tệp cho các công nhân (`worker`) qua hàng đợi Redis "
                        "(địa chỉ ở đây hoặc biến môi trường REDIS_URL)")

    p = sub.add_parser("worker", help="công nhân nhập kế hoạch: nhận việc từ hàng đợi Redis (ingest --queue)")
    p.add_argument("--redis", metavar="REDIS_URL", help="địa chỉ Redis (mặc định: biến môi trường REDIS_URL)")
    p.add_argument("--burst", action="store_true", help="dừng khi hàng đợi hết việc")
    p.add_argument("--name", metavar="TÊN", help="tên công nhân (mặc định: máy.pid)")
    p.add_argument("--heartbeat", type=int, metavar="GIÂY",
                   help="chu kỳ tín hiệu sống (mặc định KB_QUEUE_HEARTBEAT hoặc 10); việc của công nhân "
                        "mất tín hiệu được giao lại sau khoảng 3 chu kỳ")

    p = sub.add_parser("export-json", help="xuất mỗi kế hoạch hiện hành thành một tệp JSON (SCHEMA.md)")
    p.add_argument("out_dir", metavar="THƯ_MỤC")

    sub.add_parser("list", help="liệt kê các kế hoạch hiện hành")

    p = sub.add_parser("show", help="tóm tắt một kế hoạch")
    p.add_argument("plan", metavar="KẾ_HOẠCH", help="tên tệp (lamdong-3381-2017), số hiệu hoặc tên tỉnh/huyện")

    p = sub.add_parser("targets", help="tìm chỉ tiêu theo từ khóa (không dấu cũng được)")
    p.add_argument("words", nargs="*", metavar="TỪ")
    p.add_argument("--plan", metavar="KẾ_HOẠCH")
    p.add_argument("--year", type=int, metavar="NĂM")
    p.add_argument("--min", type=float, dest="min_value", metavar="GIÁ_TRỊ", help="chỉ tiêu từ giá trị này trở lên")

    p = sub.add_parser("who", help="ai làm gì: tìm phân công theo cơ quan hoặc nội dung nhiệm vụ")
    p.add_argument("words", nargs="+", metavar="TỪ")
    p.add_argument("--plan", metavar="KẾ_HOẠCH")
    p.add_argument("--role", choices=["chủ trì", "phối hợp", "thực hiện"])

    p = sub.add_parser("deadlines", help="các mốc thời hạn, báo cáo định kỳ")
    p.add_argument("--plan", metavar="KẾ_HOẠCH")
    p.add_argument("--agency", metavar="CƠ_QUAN")

    p = sub.add_parser("projects", help="các dự án trong phụ lục")
    p.add_argument("words", nargs="*", metavar="TỪ")
    p.add_argument("--plan", metavar="KẾ_HOẠCH")
    _add_reporting_commands(sub)
    return parser


def _add_reporting_commands(sub) -> None:
    """Báo cáo tiến độ: đơn vị, người báo cáo, tiến độ, xuất báo cáo (package reporting)."""
    p = sub.add_parser("units", help="đơn vị báo cáo (Sở, Phòng, trường)")
    units = p.add_subparsers(dest="units_command", required=True, metavar="LỆNH",
                             parser_class=VietnameseArgumentParser)
    q = units.add_parser("import", help="nhập/cập nhật đơn vị từ tệp CSV (cột name,kind,area)")
    q.add_argument("file", metavar="TỆP")
    q = units.add_parser("list", help="liệt kê đơn vị")
    q.add_argument("--area", metavar="ĐỊA_BÀN")

    p = sub.add_parser("reporters", help="người báo cáo: liệt kê, duyệt")
    reporters = p.add_subparsers(dest="reporters_command", required=True, metavar="LỆNH",
                                 parser_class=VietnameseArgumentParser)
    q = reporters.add_parser("list", help="liệt kê người báo cáo")
    q.add_argument("--pending", action="store_true", help="chỉ người chưa được duyệt")
    q = reporters.add_parser("approve", help="duyệt người báo cáo theo mã số hoặc số điện thoại")
    q.add_argument("who", metavar="MÃ_HOẶC_SĐT")

    p = sub.add_parser("staff", help="cán bộ Sở/Phòng đăng nhập trên web: thêm, đổi mật khẩu, liệt kê")
    staff = p.add_subparsers(dest="staff_command", required=True, metavar="LỆNH",
                             parser_class=VietnameseArgumentParser)
    q = staff.add_parser("add", help="thêm cán bộ (mật khẩu hỏi khi chạy, hoặc một dòng từ stdin)")
    q.add_argument("username", metavar="TÊN_ĐĂNG_NHẬP")
    q.add_argument("--name", required=True, metavar="HỌ_TÊN")
    q.add_argument("--unit", required=True, metavar="SỞ_HOẶC_PHÒNG")
    q = staff.add_parser("passwd", help="đặt lại mật khẩu (hỏi khi chạy, hoặc một dòng từ stdin)")
    q.add_argument("username", metavar="TÊN_ĐĂNG_NHẬP")
    staff.add_parser("list", help="liệt kê cán bộ")

    p = sub.add_parser("progress", help="tiến độ thực hiện các chỉ tiêu của một kế hoạch")
    p.add_argument("plan", metavar="KẾ_HOẠCH")
    p.add_argument("--period", required=True, metavar="KỲ", help="“năm 2024”, “quý 2/2024”, “năm học 2024-2025”")
    p.add_argument("--area", metavar="ĐỊA_BÀN")

    p = sub.add_parser("export-report", help="xuất báo cáo tiến độ (csv, xlsx, docx)")
    p.add_argument("plan", metavar="KẾ_HOẠCH")
    p.add_argument("--period", required=True, metavar="KỲ")
    p.add_argument("--format", required=True, choices=["csv", "xlsx", "docx"], dest="fmt")
    p.add_argument("--out", required=True, metavar="THƯ_MỤC")
    p.add_argument("--area", metavar="ĐỊA_BÀN")


def _vn_date(iso: Optional[str]) -> str:
    if not iso:
        return "không ghi"
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _table(*headers: str) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


# ---------------------------------------------------------------------------- commands


def cmd_ingest(args, factory) -> int:
    from .ingest import ingest_paths

    if args.queue is not None:
        return _ingest_queued(args, factory)
    if not args.paths:
        err.print("Lỗi: cần ít nhất một tệp hoặc thư mục kế hoạch để nhập.")
        return 2
    results = ingest_paths(args.paths, factory, show_progress=not args.no_progress)
    if args.no_progress:  # the progress view prints failures itself
        for result in results:
            if not result.ok:
                err.print(escape(result.summary()))
    return _ingest_report(results)


def _ingest_queued(args, factory) -> int:
    """``ingest --queue [REDIS_URL] PATH…``: one job per file for the workers (knowledge.jobs)."""
    from . import jobs

    paths = list(args.paths)
    explicit = args.queue or None
    if explicit and not explicit.startswith(("redis://", "rediss://", "unix://")):
        paths.insert(0, explicit)  # `--queue FOLDER`: the address comes from REDIS_URL
        explicit = None
    if not paths:
        err.print("Lỗi: cần ít nhất một tệp hoặc thư mục kế hoạch để nhập.")
        return 2
    try:
        redis = jobs.redis_url(explicit)
        jobs.check_kb_for_queue(kb_url(args.kb), redis)
        outcomes = jobs.ingest_via_queue(paths, redis, show_progress=not args.no_progress)
    except jobs.QueueError as exc:
        err.print(f"Lỗi: {escape(str(exc))}")
        return 1
    jobs.check_written(outcomes, factory)
    return _ingest_report([o.result for o in outcomes])


def cmd_worker(args, _factory) -> int:
    from . import jobs

    try:
        timing = jobs.QueueTiming.from_env(args.heartbeat)
        return jobs.run_worker(jobs.redis_url(args.redis), kb_url(args.kb), burst=args.burst, name=args.name,
                               timing=timing)
    except jobs.QueueError as exc:
        err.print(f"Lỗi: {escape(str(exc))}")
        return 1


def _ingest_report(results) -> int:
    """The table of an ingest (direct or queued) on stdout; 1 when a file failed or none was found."""
    from .ingest import FACT_LABELS

    table = Table(title="Kết quả nhập kế hoạch", header_style="bold")
    table.add_column("Tệp", no_wrap=True)
    table.add_column("Kế hoạch / lỗi", overflow="fold")
    table.add_column("Phiên bản", justify="right")
    for label in FACT_LABELS.values():
        table.add_column(label.capitalize(), justify="right")
    for r in results:
        if r.ok:
            version = f"{r.version}" + (" (mới)" if r.version and r.version > 1 and not r.unchanged else "")
            table.add_row(r.path.name, escape(r.plan_label + (f" — {r.version_note}" if r.version_note else "")),
                          version, *(str(r.counts.get(k, 0)) for k in FACT_LABELS))
        else:
            table.add_row(r.path.name, f"[red]LỖI: {escape(r.error or '')}[/red]", "—", *("—" for _ in FACT_LABELS))
    out.print(table)
    failed = sum(not r.ok for r in results)
    out.print(f"Đã nhập {len(results) - failed}/{len(results)} tệp" + (f"; {failed} tệp lỗi." if failed else "."))
    if not results:
        err.print("Lỗi: không tìm thấy tệp kế hoạch nào (.docx, .doc, .odt, .pdf, .txt, .md) trong đường dẫn đã cho.")
        return 1
    return 1 if failed else 0


def cmd_export(args, factory) -> int:
    from .export import export_json

    with factory() as session:
        files, warnings = export_json(session, args.out_dir)
    for warning in warnings:
        err.print(f"Cảnh báo: {escape(warning)}")
    for path in files:
        out.print(str(path))
    out.print(f"Đã xuất {len(files)} kế hoạch vào {args.out_dir}.")
    return 0


def cmd_list(args, factory) -> int:
    with factory() as session:
        plans = queries.find_plans(None, session=session)
    if not plans:
        out.print("Cơ sở tri thức chưa có kế hoạch nào. Dùng `python -m knowledge ingest THƯ_MỤC` để nhập.")
        return 0
    table = _table("Kế hoạch", "Số hiệu", "Cơ quan ban hành", "Ngày", "Phiên bản", "Chỉ tiêu", "Phân công")
    for p in plans:
        table.add_row(p.plan, p.plan_number or "(không số)", p.issuer or "", _vn_date(p.date), str(p.version),
                      str(p.counts["targets"]), str(p.counts["responsibilities"]))
    out.print(table)
    return 0


def cmd_show(args, factory) -> int:
    with factory() as session:
        info = queries.document_info(args.plan, session=session)
        plan_targets = queries.targets(info.plan, session=session)
        plan_resps = queries.responsibilities(plan=info.plan, session=session)
        plan_projects = queries.appendix_projects(info.plan, session=session)
        plan_deadlines = queries.deadlines(info.plan, session=session)
    lines = [f"[bold]{escape(info.plan_name())}[/bold]"]
    if info.title:
        lines.append(f"Tên: {escape(info.title)}")
    period = f"{info.period[0]}–{info.period[1]}" if info.period else "không ghi"
    lines.append(f"Cấp: {info.level or 'không rõ'} · Ngày ban hành: {_vn_date(info.date)} · Giai đoạn: {period}")
    if info.parent:
        lines.append(f"Căn cứ/triển khai: {escape(', '.join(info.parent))}")
    lines.append(f"Phiên bản {info.version}, nhập từ {escape(info.source_file)} lúc {info.ingested_at} (UTC)")
    lines.append("")
    lines.append(f"[bold]Chỉ tiêu ({len(plan_targets)})[/bold]")
    lines += [f"  • {escape(t.describe())} — mục {t.section}" for t in plan_targets]
    lines.append(f"[bold]Nhiệm vụ[/bold]: {info.counts['tasks']} mục")
    lines.append(f"[bold]Phân công ({len(plan_resps)})[/bold]")
    by_agency: dict[str, list[str]] = defaultdict(list)
    for r in plan_resps:
        by_agency[r.agency].append(f"{r.role} (mục {r.section})")
    lines += [f"  • {escape(agency)}: {escape(', '.join(roles))}" for agency, roles in by_agency.items()]
    if plan_projects:
        lines.append(f"[bold]Dự án phụ lục ({len(plan_projects)})[/bold]")
        for p in plan_projects:
            years = f"{min(p.years)}–{max(p.years)}" if p.years else "không ghi năm"
            lines.append(f"  {p.no}. {escape(p.name)} — chủ trì: {escape(p.lead or 'không ghi')}; {years}")
    if plan_deadlines:
        lines.append(f"[bold]Thời hạn ({len(plan_deadlines)})[/bold]")
        for d in plan_deadlines:
            who = f"{d.agency}: " if d.agency else ""
            to = f" (gửi {d.to})" if d.to else ""
            lines.append(f"  • {escape(who + d.what + to)} — {escape(d.when or 'không ghi')}, mục {d.section}")
    for line in lines:
        out.print(line)
    return 0


def cmd_targets(args, factory) -> int:
    with factory() as session:
        found = queries.targets(args.plan, args.year, args.words, session=session)
    if args.min_value is not None:
        found = [t for t in found if t.value >= args.min_value]
    if not found:
        out.print("Không tìm thấy chỉ tiêu nào phù hợp.")
        return 0
    table = _table("Chỉ tiêu", "Năm", "Nguồn")
    for t in found:
        table.add_row(f"{escape(t.figure())} — {escape(t.subject or t.text)}", str(t.year or ""), escape(t.citation()))
    out.print(table)
    return 0


def cmd_who(args, factory) -> int:
    words = " ".join(args.words)
    with factory() as session:
        found = queries.responsibilities(agency=words, plan=args.plan, role=args.role, session=session)
        if not found:
            found = queries.responsibilities(task_words=words, plan=args.plan, role=args.role, session=session)
    if not found:
        out.print(f"Không tìm thấy phân công nào cho “{escape(words)}”.")
        return 0
    table = _table("Cơ quan", "Vai trò", "Nhiệm vụ", "Nguồn")
    for r in found:
        table.add_row(escape(r.agency), r.role, escape(r.task), escape(r.citation()))
    out.print(table)
    return 0


def cmd_deadlines(args, factory) -> int:
    with factory() as session:
        found = queries.deadlines(args.plan, args.agency, session=session)
    if not found:
        out.print("Không tìm thấy thời hạn nào phù hợp.")
        return 0
    table = _table("Thời hạn", "Cơ quan", "Nội dung", "Nguồn")
    for d in found:
        table.add_row(escape(d.when or ""), escape(d.agency or ""), escape(d.what + (f" (gửi {d.to})" if d.to else "")),
                      escape(d.citation()))
    out.print(table)
    return 0


def cmd_projects(args, factory) -> int:
    with factory() as session:
        found = queries.appendix_projects(args.plan, args.words, session=session)
    if not found:
        out.print("Không tìm thấy dự án nào phù hợp.")
        return 0
    table = _table("STT", "Dự án", "Chủ trì", "Phối hợp", "Năm", "Nguồn")
    for p in found:
        table.add_row(str(p.no), escape(p.name), escape(p.lead or ""), escape(", ".join(p.partners)),
                      ", ".join(map(str, p.years)), escape(p.citation()))
    out.print(table)
    return 0


def cmd_units(args, factory) -> int:
    import reporting

    with factory() as session:
        if args.units_command == "import":
            done = reporting.import_units(args.file, session=session)
            out.print(f"Đã nhập đơn vị: thêm {done.added}, cập nhật {done.updated}, không đổi {done.unchanged}.")
            return 0
        units = reporting.list_units(args.area, session=session)
    if not units:
        out.print("Chưa có đơn vị nào. Dùng `python -m knowledge units import samples/units.csv`.")
        return 0
    table = _table("Mã", "Đơn vị", "Loại", "Địa bàn")
    for u in units:
        table.add_row(str(u.id), escape(u.name), u.kind, escape(u.area))
    out.print(table)
    return 0


def cmd_reporters(args, factory) -> int:
    import reporting

    with factory() as session:
        if args.reporters_command == "approve":
            r = reporting.approve_reporter(args.who, session=session)
            out.print(f"Đã duyệt {escape(r.name)} (mã {r.id}, {escape(r.unit)}, {r.phone}).")
            return 0
        found = reporting.list_reporters(pending_only=args.pending, session=session)
    if not found:
        out.print("Không có người báo cáo nào" + (" đang chờ duyệt." if args.pending else "."))
        return 0
    table = _table("Mã", "Họ tên", "Đơn vị", "Địa bàn", "Điện thoại", "Kênh", "Đã duyệt")
    for r in found:
        table.add_row(str(r.id), escape(r.name), escape(r.unit), escape(r.area), r.phone,
                      escape(f"{r.channel}:{r.channel_user}"), "có" if r.approved else "chưa")
    out.print(table)
    return 0


def cmd_progress(args, factory) -> int:
    import reporting

    with factory() as session:
        items = reporting.plan_progress(args.plan, args.period, args.area, session=session)
    if not items:
        out.print("Kế hoạch không có chỉ tiêu nào.")
        return 0
    table = _table("Mục", "Chỉ tiêu", "Mục tiêu", "Kết quả", "Đã báo cáo", "Đánh giá", "Chưa báo cáo")
    for p in items:
        result = "—" if p.aggregate is None else f"{queries.format_value(round(p.aggregate, 1), p.target.unit)} ({p.method})"
        table.add_row(p.target.section, escape(p.target.subject or p.target.text), p.target.figure(), result,
                      f"{p.reported}/{p.covered} {p.noun}", p.verdict, str(len(p.missing_units)))
    out.print(f"[bold]Tiến độ {escape(items[0].period)}[/bold] — {escape(items[0].target.plan_name)}")
    out.print(table)
    for rule in dict.fromkeys(p.rule for p in items):  # the rule of rates, of counts: each once
        out.print(escape(rule))
    return 0


def cmd_export_report(args, factory) -> int:
    from reporting.exports import export_report

    with factory() as session:
        path = export_report(args.plan, args.period, args.fmt, args.out, args.area, session=session)
    out.print(str(path))
    return 0


def _read_password() -> str:
    """Never from the command line (``ps`` shows it): asked twice on a terminal, else one line
    of standard input (scripts: ``printf '%s\\n' "$PASS" | python -m knowledge staff add …``)."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise ReportingError("Hai lần nhập mật khẩu không khớp.")
    return first


def cmd_staff(args, factory) -> int:
    from . import staff

    with factory() as session:
        if args.staff_command == "add":
            info = staff.add_staff(args.username, args.name, args.unit, _read_password(), session=session)
            out.print(f"Đã thêm cán bộ {escape(info.name)} ({info.username}, {escape(info.unit)}).")
            return 0
        if args.staff_command == "passwd":
            info = staff.set_password(args.username, _read_password(), session=session)
            out.print(f"Đã đổi mật khẩu của {info.username}.")
            return 0
        found = staff.list_staff(session=session)
    if not found:
        out.print("Chưa có cán bộ nào. Dùng `python -m knowledge staff add TÊN --name … --unit …`.")
        return 0
    table = _table("Mã", "Tên đăng nhập", "Họ tên", "Đơn vị", "Địa bàn", "Hoạt động")
    for x in found:
        table.add_row(str(x.id), x.username, escape(x.name), escape(x.unit), escape(x.area), "có" if x.active else "không")
    out.print(table)
    return 0


COMMANDS = {
    "ingest": cmd_ingest, "export-json": cmd_export, "list": cmd_list, "show": cmd_show, "targets": cmd_targets,
    "who": cmd_who, "deadlines": cmd_deadlines, "projects": cmd_projects,
    "worker": cmd_worker, "units": cmd_units, "reporters": cmd_reporters, "progress": cmd_progress, "export-report": cmd_export_report,
    "staff": cmd_staff,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from .db import make_session_factory

    args = build_parser().parse_args(argv)
    url = kb_url(args.kb)
    try:
        # a worker upgrades the schema itself, in turn with the other workers (knowledge.jobs)
        factory = make_session_factory(url, upgrade=args.command != "worker")
    except SQLAlchemyError as exc:
        err.print(f"Lỗi: không mở được cơ sở tri thức ({escape(_safe_url(url))}): "
                  f"{escape(str(getattr(exc, 'orig', None) or exc).strip())}")
        return 1
    try:
        return COMMANDS[args.command](args, factory)
    except (queries.PlanNotFound, queries.AmbiguousPlan) as exc:
        err.print(f"Lỗi: {escape(str(exc))}")
        return 1
    except ReportingError as exc:
        err.print(f"Lỗi: {escape(exc.message)}")
        return 1
    except SQLAlchemyError as exc:
        err.print(f"Lỗi cơ sở tri thức: {escape(str(getattr(exc, 'orig', None) or exc).strip())}")
        return 1
    except OSError as exc:
        err.print(f"Lỗi: không ghi/đọc được {escape(str(exc.filename or ''))} ({escape(exc.strerror or str(exc))})")
        return 1


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for the message
        return url


if __name__ == "__main__":
    sys.exit(main())
