import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asString } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

/** Built-in roles that can change any resource and grant access to others. */
const PRIVILEGED: Record<string, string> = {
  owner: 'Owner',
  'user access administrator': 'User Access Administrator',
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
};

export const rule: Rule = {
  meta: {
    id: 'tf-azure-owner-role-assignment',
    title: 'Azure Owner or User Access Administrator role assigned',
    stride: ['E'],
    severity: 'high',
    rationale:
      'Owner and User Access Administrator can grant any role to anyone within their scope. A workload identity or person holding them can take over the subscription or resource group: every compromise of that principal becomes a full compromise.',
    mitigation: 'Assign the narrowest built-in or custom role at the narrowest scope; use Privileged Identity Management for just-in-time elevation of human administrators, never standing Owner for workloads.',
    references: ['CWE-250', 'CWE-269', 'https://learn.microsoft.com/azure/role-based-access-control/best-practices'],
    inputs: ['terraform'],
    detection: 'azurerm_role_assignment whose literal role_definition_name is Owner or User Access Administrator, or whose role_definition_id ends with the GUID of one of those built-in roles.',
    falsePositives: 'Assignments to break-glass accounts or to the platform team\'s PIM-eligible group (accept the finding).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const a of resources(ctx.graph, 'azurerm_role_assignment')) {
      const v = valuesOf(a);
      const name = asString(v.role_definition_name);
      const id = asString(v.role_definition_id)?.toLowerCase();
      const role = (name && PRIVILEGED[name.toLowerCase()]) ?? (id ? Object.entries(PRIVILEGED).find(([k]) => k.includes('-') && id.endsWith(k))?.[1] : undefined);
      if (!role) continue;
      hits.push({ element: a.id, location: at(a, name ? 'role_definition_name' : 'role_definition_id'), evidence: `${a.name} assigns ${role}${typeof v.scope === 'string' ? ` at ${v.scope}` : ''}` });
    }
    return hits;
  },
};
