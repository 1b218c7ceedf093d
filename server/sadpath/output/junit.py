"""JUnit XML: a test suite per file and a failing test case per finding, for CI systems that show test reports."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from sadpath.output import RenderOptions, Report
from sadpath.messages import concise


def render(report: Report, options: RenderOptions | None = None) -> str:
    findings = sum(len(f.findings) for f in report.files)
    root = ET.Element("testsuites", name="sadpath", tests=str(max(findings + len(report.errors), 1)), failures=str(findings), errors=str(len(report.errors)))
    for file in report.files:
        if not file.findings:
            continue
        suite = ET.SubElement(root, "testsuite", name=file.path, tests=str(len(file.findings)), failures=str(len(file.findings)), errors="0")
        for finding in file.findings:
            span = finding.span
            case = ET.SubElement(suite, "testcase", name=f"{finding.code} at line {span.line}, column {span.column + 1}", classname=file.path, file=file.path, line=str(span.line))
            failure = ET.SubElement(case, "failure", message=concise(finding.message), type=f"{finding.code} {finding.slug}")
            failure.text = f"{file.path}:{span.line}:{span.column + 1}: {finding.code} {finding.message}"
    if report.errors:
        suite = ET.SubElement(root, "testsuite", name="sadpath errors", tests=str(len(report.errors)), failures="0", errors=str(len(report.errors)))
        for error in report.errors:
            case = ET.SubElement(suite, "testcase", name=error.path, classname=error.path, file=error.path)
            ET.SubElement(case, "error", message=error.message, type="not checked").text = f"{error.path}: {error.message}"
    if not findings and not report.errors:
        suite = ET.SubElement(root, "testsuite", name="sadpath", tests="1", failures="0", errors="0")
        ET.SubElement(suite, "testcase", name=f"All checks passed ({report.files_checked} files checked)", classname="sadpath")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
