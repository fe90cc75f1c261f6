import type { Rule } from '../model/graph.js';
import type { Report } from '../model/report.js';
import type { Analysis } from '../engine/analyze.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderMermaid } from './mermaid.js';
import { renderSarif } from './sarif.js';
import { renderOtm } from './otm.js';
import { renderThreatDragon } from './threat-dragon.js';

/** What every renderer receives: pure data, no I/O, no cwd. */
export interface RenderInput {
  report: Report;
  head: Analysis;
  base: Analysis | null;
  rules: readonly Rule[];
}

export type Renderer = (input: RenderInput) => string;

export const RENDERERS = {
  markdown: (i) => renderMarkdown(i.report, { head: i.head.graph, base: i.base?.graph ?? null, rules: i.rules }),
  json: (i) => renderJson(i.report),
  mermaid: (i) => renderMermaid(i.head.graph, { report: i.report, base: i.base?.graph ?? null }),
  sarif: (i) => renderSarif(i),
  otm: (i) => renderOtm(i),
  'threat-dragon': (i) => renderThreatDragon(i),
} satisfies Record<string, Renderer>;

export type Format = keyof typeof RENDERERS;
export const FORMATS = Object.keys(RENDERERS) as Format[];
