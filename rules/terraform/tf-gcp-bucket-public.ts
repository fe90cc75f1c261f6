import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asString, asStringList } from '../../src/ingest/terraform/index.js';
import { at, resources, subjectsOf, tfType, valuesOf } from './tf-helpers.js';

const PUBLIC = /^(allUsers|allAuthenticatedUsers)$/;

export const rule: Rule = {
  meta: {
    id: 'tf-gcp-bucket-public',
    title: 'Cloud Storage bucket accessible to allUsers or allAuthenticatedUsers',
    stride: ['I'],
    severity: 'high',
    rationale:
      'Granting a role on a bucket to allUsers makes its objects readable (or writable) by anyone on the internet; allAuthenticatedUsers means any Google account, which is no restriction at all. Public buckets are a leading cause of cloud data leaks.',
    mitigation: 'Remove allUsers / allAuthenticatedUsers bindings and ACLs, grant roles to specific principals, serve public content through a CDN with signed URLs, and set public_access_prevention = "enforced".',
    references: ['CWE-284', 'CWE-200', 'https://cloud.google.com/storage/docs/public-access-prevention'],
    inputs: ['terraform'],
    detection:
      'google_storage_bucket_iam_member / _iam_binding with member(s) allUsers or allAuthenticatedUsers, google_storage_bucket_acl with a public predefined_acl or an allUsers role_entity, and bucket/object access controls for those entities. Reported on the bucket when it is declared, else on the binding; skipped when the bucket enforces public_access_prevention.',
    falsePositives: 'Buckets that host a public website or public datasets on purpose (accept the finding).',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    const candidates = resources(ctx.graph, (t) => /^google_storage_(bucket_iam_(member|binding)|bucket_acl|bucket_access_control|default_object_access_control|object_access_control)$/.test(t));
    for (const e of candidates) {
      const v = valuesOf(e);
      let evidence: string | undefined;
      let path: string | undefined;
      if (tfType(e).includes('_iam_')) {
        const members = asStringList(v.member ?? v.members).known.filter((m) => PUBLIC.test(m));
        if (members.length > 0) {
          evidence = `${e.name} grants ${asString(v.role) ?? 'a role'} to ${members.join(', ')}`;
          path = v.member !== undefined ? 'member' : 'members';
        }
      } else {
        const predefined = asString(v.predefined_acl);
        const entities = asStringList(v.role_entity ?? v.entity).known.filter((x) => /allUsers|allAuthenticatedUsers/.test(x));
        if (predefined && /^public/i.test(predefined)) {
          evidence = `${e.name}: predefined_acl = "${predefined}"`;
          path = 'predefined_acl';
        } else if (entities.length > 0) {
          evidence = `${e.name} grants ${entities.join(', ')}`;
          path = v.role_entity !== undefined ? 'role_entity' : 'entity';
        }
      }
      if (!evidence) continue;
      const bucket = subjectsOf(ctx.graph, e, 'bucket', ['google_storage_bucket'])[0];
      if (bucket && asString(valuesOf(bucket).public_access_prevention) === 'enforced') continue;
      hits.push({ element: (bucket ?? e).id, ...(bucket ? { qualifier: e.id } : {}), location: at(e, path), evidence });
    }
    return hits;
  },
};
