import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asString, asStringList } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

const PRIMITIVE = new Set(['roles/owner', 'roles/editor']);

export const rule: Rule = {
  meta: {
    id: 'tf-gcp-primitive-role',
    title: 'GCP basic role (Owner or Editor) granted',
    stride: ['E'],
    severity: 'high',
    rationale:
      'roles/owner and roles/editor are legacy basic roles spanning thousands of permissions across every service in the project (Owner also manages IAM). A workload or person holding them can read all data, change all infrastructure and, for Owner, grant itself anything.',
    mitigation: 'Replace basic roles with predefined or custom roles limited to the services and resources needed; use IAM Recommender to find the permissions actually used.',
    references: ['CWE-250', 'CWE-269', 'https://cloud.google.com/iam/docs/understanding-roles#basic'],
    inputs: ['terraform'],
    detection: 'Any google_*_iam_member or google_*_iam_binding (project, folder, organisation or resource level) whose literal role is roles/owner or roles/editor.',
    falsePositives: 'Break-glass accounts that are meant to hold Owner (accept the finding).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const b of resources(ctx.graph, (t) => /^google_.*_iam_(member|binding)$/.test(t))) {
      const v = valuesOf(b);
      const role = asString(v.role);
      if (!role || !PRIMITIVE.has(role)) continue;
      const members = asStringList(v.member ?? v.members);
      const who = members.known.length > 0 ? members.known.join(', ') : 'a member given by an expression';
      hits.push({ element: b.id, location: at(b, 'role'), evidence: `${b.name} grants ${role} to ${who}` });
    }
    return hits;
  },
};
