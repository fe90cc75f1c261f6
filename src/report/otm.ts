import type { Rule, RuleMeta, Threat } from '../model/graph.js';
import type { Severity, StrideLetter } from '../model/types.js';
import { STRIDE_NAMES } from '../model/types.js';

export { STRIDE_NAMES };
import { FLOW_KINDS } from '../analysis/crossings.js';
import type { RenderInput } from './index.js';

/** OTM impact (0-100) per severity. */
const IMPACT: Record<Severity, number> = { critical: 100, high: 75, medium: 50, low: 25, info: 10 };

export interface OtmOptions {
  /** Project name and id (e.g. the repository's full name); defaults derive from the head ref. */
  project?: { name: string; id: string };
}

/**
 * Rule metadata for every threat, from the rule list or, for a rule the list
 * lacks (removed since, custom), from the threat itself.
 */
export function ruleMetas(rules: readonly Rule[], threats: readonly Threat[]): Map<string, RuleMeta> {
  const metas = new Map<string, RuleMeta>();
  for (const r of rules) metas.set(r.meta.id, r.meta);
  for (const t of threats) {
    if (metas.has(t.ruleId)) continue;
    metas.set(t.ruleId, { id: t.ruleId, title: t.title, stride: t.stride, severity: t.severity, rationale: t.title, mitigation: t.mitigation, references: t.references, inputs: [] });
  }
  return metas;
}

/**
 * Open Threat Model 0.2.0: trust zones, components, data flows, and the rules
 * that fired as threat definitions whose instances sit on components.
 * Resolved threats appear as mitigated when their element still exists.
 */
export function renderOtm(input: RenderInput, options: OtmOptions = {}): string {
  const { report } = input;
  const graph = input.head.graph;
  const metas = ruleMetas(input.rules, report.threats);
  const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

  const trustZones = [...graph.zones.values()]
    .sort((a, b) => byString(a.id, b.id))
    .map((z) => ({ id: z.id, name: z.name, type: z.id, risk: { trustRating: Math.round((Math.min(3, Math.max(0, z.trust)) / 3) * 100) } })); // threatdiff trust 0..3 → OTM 0..100

  const onElement = new Map<string, Threat[]>();
  for (const t of report.threats) {
    if (!graph.elements.has(t.element)) continue;
    (onElement.get(t.element) ?? onElement.set(t.element, []).get(t.element)!).push(t);
  }
  const usedRules = new Set<string>();
  const components = [...graph.elements.values()]
    .sort((a, b) => byString(a.id, b.id))
    .map((e) => {
      const threats = onElement.get(e.id) ?? [];
      // One instance per rule and component: OTM instances have no discriminator of their own.
      const perRule = new Map<string, Threat[]>();
      for (const t of threats) (perRule.get(t.ruleId) ?? perRule.set(t.ruleId, []).get(t.ruleId)!).push(t);
      const instances = [...perRule.entries()]
        .sort(([a], [b]) => byString(a, b))
        .map(([ruleId, ts]) => {
          usedRules.add(ruleId);
          const open = ts.filter((t) => t.status !== 'resolved');
          const state = open.length === 0 ? 'mitigated' : open.every((t) => t.accepted) ? 'accepted' : 'exposed';
          return { threat: ruleId, state, mitigations: [{ mitigation: mitigationId(ruleId), state: state === 'mitigated' ? 'implemented' : 'required' }] };
        });
      return {
        id: e.id,
        name: e.name,
        type: e.kind,
        description: `${e.type}${e.location.file ? ` at ${e.location.file}:${e.location.line}` : ''}`,
        parent: { trustZone: graph.zoneOf.get(e.id) ?? 'unzoned' },
        tags: [e.type],
        ...(e.location.file ? { representations: [{ representation: 'source', id: `${e.id}#source`, file: e.location.file, line: e.location.line }] } : {}),
        ...(instances.length > 0 ? { threats: instances } : {}),
        ...(threats.length > 0
          ? { attributes: { findings: threats.map((t) => ({ id: t.id, key: t.key, ruleId: t.ruleId, status: t.status, severity: t.severity, evidence: t.evidence, ...(t.accepted ? { accepted: t.accepted } : {}) })) } }
          : {}),
      };
    });

  const dataflows = graph.edges
    .filter((e) => FLOW_KINDS.has(e.kind))
    .map((e) => ({
      id: `${e.kind}:${e.from}->${e.to}`,
      name: `${e.kind}${e.protocol ? ` ${e.protocol}` : ''}${e.port !== undefined ? `:${e.port}` : ''}`,
      description: e.evidence,
      bidirectional: false,
      source: e.from,
      destination: e.to,
      tags: [e.kind, ...(e.protocol ? [e.protocol] : [])],
      attributes: {
        authenticated: e.authenticated ?? 'unknown',
        encrypted: e.encrypted ?? 'unknown',
        crossesBoundary: graph.zoneOf.get(e.from) !== graph.zoneOf.get(e.to),
        file: e.location.file,
        line: e.location.line,
      },
    }))
    .sort((a, b) => byString(a.id, b.id));

  const ruleIds = [...usedRules].sort(byString);
  const threats = ruleIds.map((id) => {
    const m = metas.get(id)!;
    return {
      id,
      name: m.title,
      description: m.rationale,
      categories: m.stride.map((s) => STRIDE_NAMES[s]),
      cwes: m.references.filter((r) => /^CWE-\d+$/.test(r)),
      risk: { likelihood: null, impact: IMPACT[m.severity] ?? 50 },
      tags: [id],
    };
  });
  const mitigations = ruleIds.map((id) => {
    const m = metas.get(id)!;
    return { id: mitigationId(id), name: `Mitigate: ${m.title}`, description: m.mitigation, riskReduction: 100 };
  });

  const project = options.project ?? { name: `threatdiff model of ${report.head.ref}`, id: 'threatdiff' };
  const otm = {
    otmVersion: '0.2.0',
    project: {
      name: project.name,
      id: project.id,
      description: report.base
        ? `Generated by threatdiff ${report.tool.version} for ${report.head.ref} (${report.head.commit}) against ${report.base.ref} (${report.base.commit})`
        : `Generated by threatdiff ${report.tool.version} for ${report.head.ref} (${report.head.commit})`,
      attributes: { tool: report.tool, head: report.head, base: report.base },
    },
    representations: [{ name: 'Source files', id: 'source', type: 'code' }],
    trustZones,
    components,
    dataflows,
    threats,
    mitigations,
  };
  return `${JSON.stringify(otm, null, 2)}\n`;
}

function mitigationId(ruleId: string): string {
  return `${ruleId}#mitigation`;
}
