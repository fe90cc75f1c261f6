import type { Graph } from '../../src/model/graph.js';
import type { Element } from '../../src/model/types.js';
import type { PolicyStatement } from '../../src/ingest/terraform/index.js';
import { indexesOf } from '../../src/analysis/indexes.js';

/** Types whose own `attrs.statements` are identity-based permissions. */
const IDENTITY_POLICY_TYPES = new Set(['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy', 'aws_iam_role', 'aws_iam_policy_document']);

export interface IdentityStatement {
  owner: Element;
  index: number;
  statement: PolicyStatement;
}

/**
 * Allow statements of identity policies, each reported once on the element
 * that owns it (a policy using `<document>.json` owns nothing: the document
 * does). Statements with principals are resource policies and are skipped.
 */
export function identityAllowStatements(graph: Graph): readonly IdentityStatement[] {
  // Two rules read them: computed once per graph (shared: do not mutate).
  return indexesOf(graph).memo('tf:identity-allow-statements', () => collect(graph));
}

function collect(graph: Graph): IdentityStatement[] {
  const out: IdentityStatement[] = [];
  const byTfType = indexesOf(graph).terraform.byTfType;
  const owners = [...IDENTITY_POLICY_TYPES].flatMap((t) => byTfType.get(t) ?? []).filter((e) => Array.isArray(e.attrs.statements));
  owners.sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const owner of owners) {
    (owner.attrs.statements as PolicyStatement[]).forEach((statement, index) => {
      if (statement.effect !== 'Allow' || statement.principals.length > 0 || statement.notPrincipals !== undefined) return;
      out.push({ owner, index, statement });
    });
  }
  return out;
}
