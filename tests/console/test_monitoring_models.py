"""Monitoring without a browser: bad filters name the field, tables chart, CSV downloads."""

from __future__ import annotations

import csv
import io

import pytest

from sync.server.console.models import monitoring
from sync.server.console.models.charts import MAX_BARS, Bar, chart_bars
from sync.server.errors import BadFilter
from tests.staff.helpers import new_complaint, new_submission, student_nik


def test_a_malformed_filter_names_the_field_and_keeps_the_last_tables(tab, device, area):
    new_submission(device)
    ctx = tab("supervisor")
    screen = monitoring.MonitoringScreen()
    screen.form.update(area_prefix=area)
    monitoring.load(ctx, screen)
    assert screen.error is None and screen.tables
    shown = screen.tables

    screen.form.update(date_from="2026-13-01")
    monitoring.load(ctx, screen)
    assert screen.error_field == "date_from"
    assert "date_from" in screen.error and "2026-13-01" in screen.error
    assert screen.form["date_from"] == "2026-13-01"  # kept for correcting
    assert screen.tables is shown

    screen.form.update(date_from="2026-07-01", date_to="2026-06-01")
    monitoring.load(ctx, screen)
    assert screen.error_field == "date_to"


def test_every_table_has_translated_headers_and_a_chart_of_its_measure(tab, device, area):
    new_submission(device)
    new_complaint(device)
    ctx = tab("supervisor", lang="id")
    screen = monitoring.MonitoringScreen()
    screen.form.update(area_prefix=area)
    monitoring.load(ctx, screen)
    views = {view.key: view for view in screen.tables}
    by_region = views["submissions_by_region"]
    assert by_region.title == "Pengajuan per wilayah dan tahap"
    assert by_region.headers[:4] == ("Wilayah", "Program", "Tahap", "Pengajuan")
    region = area.replace(".", "")
    assert by_region.cells == ((region, "kjp-plus", "2", "1", "0", "0.0"),)
    assert by_region.bars == (Bar(f"{region} · kjp-plus", 1.0),)
    assert by_region.chart_caption == "Grafik Pengajuan per wilayah dan tahap: Pengajuan"
    category = views["complaints_by_category"]
    assert category.cells[0][0] == "Pencairan terlambat"  # a code people read as words


def test_csv_download_is_the_table_as_shown_with_a_dated_name(tab, device, area):
    new_submission(device, applicant={"nik": student_nik(), "name": "Siti Rahmawati"})
    ctx = tab("admin")
    screen = monitoring.MonitoringScreen()
    screen.form.update(area_prefix=area)
    monitoring.load(ctx, screen)
    assert monitoring.can_export(ctx)
    name, content = monitoring.csv_download(ctx, screen, "submissions_by_region")
    assert name.startswith("lengkap-submissions_by_region-") and name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows == [
        ["region", "program", "stage", "submissions", "complete", "complete_pct"],
        [area.replace(".", ""), "kjp-plus", "2", "1", "0", "0.0"],
    ]


def test_an_unknown_table_export_is_refused_naming_it(tab):
    ctx = tab("supervisor")
    screen = monitoring.MonitoringScreen()
    monitoring.load(ctx, screen)
    with pytest.raises(BadFilter) as refused:
        monitoring.csv_download(ctx, screen, "salaries")
    assert refused.value.field == "table" and "salaries" in ctx.error_text(refused.value)


def test_a_verifier_may_not_export(tab):
    assert not monitoring.can_export(tab("verifier"))


def test_chart_bars_label_by_text_columns_and_measure_the_chosen_column():
    columns = ("region", "program", "stage", "submissions", "complete_pct")
    rows = [("31", "kjp-plus", 2, 10, 50.0), ("32", "pkh", 1, 4, None)]
    assert chart_bars(columns, rows, "complete_pct") == [
        Bar("31 · kjp-plus", 50.0),
        Bar("32 · pkh", 0.0),
    ]
    assert chart_bars(columns, rows) == [Bar("31 · kjp-plus", 2.0), Bar("32 · pkh", 1.0)]
    assert chart_bars(("period", "n"), [(f"w{i}", i) for i in range(30)])[-1] == Bar(
        f"w{MAX_BARS - 1}", MAX_BARS - 1
    )
    assert chart_bars(("document",), [("kk",)]) == []
    assert chart_bars(columns, []) == []
