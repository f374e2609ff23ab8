/** The HTML report (see ./html-report.ts). */
export { type HtmlReportOptions, htmlReport, htmlTopology, type ReportEntry } from './html-report.js';
export { matrixHtml, matrixSection } from './matrix-section.js';
