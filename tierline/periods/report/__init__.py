"""`tierline report`: one self-contained HTML page of a published period (`build.py`)."""

from tierline.periods.report.build import ReportRequest, build_report

__all__ = ["ReportRequest", "build_report"]
