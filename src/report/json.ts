import type { Report } from '../model/report.js';

/** The JSON report: stable key order, two-space indent, trailing newline. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
