import type { RuleMeta, Threat } from '../model/graph.js';
import type { Severity } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import type { RenderInput } from './index.js';
import { ruleMetas, STRIDE_NAMES } from './otm.js';

/** GitHub code scanning maps this score to its critical/high/medium/low labels. */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '1.0' };

export const SARIF_FINGERPRINT = 'threatdiffFinding/v1';

type Level = 'error' | 'warning' | 'note';
export function sarifLevel(severity: Severity): Level {
  return severity === 'critical' || severity === 'high' ? 'error' : severity === 'medium' ? 'warning' : 'note';
}

/** `a.b` → `AB`-style name SARIF viewers show next to the id. */
function ruleName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** Repository-relative path as a URI reference: each segment percent-encoded, slashes kept. */
export function pathToUri(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/^\/+/, '')
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

function higher(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b;
}

/**
 * SARIF 2.1.0 for GitHub code scanning: one result per threat at head (new
 * and unchanged; resolved ones are simply absent, which closes the alert),
 * fingerprinted by finding id so alerts survive edits around them.
 */
export function renderSarif(input: RenderInput): string {
  const { report } = input;
  const threats = report.threats.filter((t) => t.status !== 'resolved');
  const metas = ruleMetas(input.rules, threats);
  const ruleIds = [...metas.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(ruleIds.map((id, i) => [id, i]));

  // Code scanning takes one severity per rule: the highest this run reports, so an escalated hit is not shown as the default.
  const worst = new Map<string, Severity>();
  for (const t of threats) worst.set(t.ruleId, higher(worst.get(t.ruleId) ?? metas.get(t.ruleId)!.severity, t.severity));

  const rules = ruleIds.map((id) => sarifRule(metas.get(id)!, worst.get(id)));
  const results = threats.map((t) => sarifResult(t, index.get(t.ruleId)!));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'threatdiff', version: report.tool.version, semanticVersion: report.tool.version, rules } },
        results,
        properties: {
          head: report.head,
          ...(report.base ? { base: report.base } : {}),
          summary: report.summary,
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function sarifRule(m: RuleMeta, worst: Severity | undefined) {
  const severity = worst ? higher(worst, m.severity) : m.severity;
  const helpUri = m.references.find((r) => /^https:\/\//.test(r));
  return {
    id: m.id,
    name: ruleName(m.id),
    shortDescription: { text: m.title },
    fullDescription: { text: m.rationale },
    help: {
      text: `${m.rationale}\n\nMitigation: ${m.mitigation}${m.references.length > 0 ? `\n\nReferences: ${m.references.join(', ')}` : ''}`,
      markdown: `${m.rationale}\n\n**Mitigation:** ${m.mitigation}${m.references.length > 0 ? `\n\n**References:** ${m.references.join(', ')}` : ''}`,
    },
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level: sarifLevel(m.severity) },
    properties: {
      tags: ['security', 'threat-model', ...m.stride.map((s) => `STRIDE-${s}`), ...m.stride.map((s) => STRIDE_NAMES[s].toLowerCase()), ...m.references.filter((r) => /^CWE-\d+$/.test(r)).map((r) => `external/cwe/${r.toLowerCase()}`)],
      'security-severity': SECURITY_SEVERITY[severity],
      precision: 'medium',
    },
  };
}

function sarifResult(t: Threat, ruleIndex: number) {
  const located = t.location.file !== '';
  return {
    ruleId: t.ruleId,
    ruleIndex,
    level: sarifLevel(t.severity),
    message: { text: `${t.title}: ${t.evidence}` },
    // Code scanning needs a file; findings without one (the internet actor) still carry their logical location.
    locations: [
      {
        ...(located
          ? { physicalLocation: { artifactLocation: { uri: pathToUri(t.location.file), uriBaseId: '%SRCROOT%' }, region: region(t.location.line) } }
          : {}),
        logicalLocations: [{ fullyQualifiedName: t.element, kind: 'resource' }],
      },
    ],
    ...(t.chain && t.chain.length > 0 ? { codeFlows: [codeFlow(t)] } : {}),
    partialFingerprints: { [SARIF_FINGERPRINT]: t.id },
    ...(t.accepted ? { suppressions: [{ kind: 'external', status: 'accepted', justification: `${t.accepted.reason} (accepted by ${t.accepted.by})` }] } : {}),
    properties: {
      status: t.status,
      severity: t.severity,
      element: t.element,
      ...(t.peer !== undefined ? { peer: t.peer } : {}),
      stride: t.stride,
      key: t.key,
      accepted: t.accepted ?? false,
      ...(t.path ? { path: t.path } : {}),
      ...(t.risk ? { risk: t.risk } : {}),
    },
  };
}

function region(line: number) {
  return { startLine: Math.max(1, Math.floor(line) || 1) };
}

/** An attack path as a SARIF code flow: code scanning shows it hop by hop ("Show paths"). */
function codeFlow(t: Threat) {
  return {
    message: { text: t.evidence },
    threadFlows: [
      {
        locations: t.chain!.map((l) => ({
          location: {
            ...(l.location.file ? { physicalLocation: { artifactLocation: { uri: pathToUri(l.location.file), uriBaseId: '%SRCROOT%' }, region: region(l.location.line) } } : {}),
            message: { text: `${l.kind} ${l.from} -> ${l.to}${l.opened ? ' (opened by this change)' : ''}: ${l.evidence}` },
          },
        })),
      },
    ],
  };
}
