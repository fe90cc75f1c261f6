import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asBool, asString } from '../../src/ingest/terraform/index.js';
import { at, resources, valuesOf } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-azure-storage-public',
    title: 'Azure Storage allows anonymous public access',
    stride: ['I'],
    severity: 'high',
    rationale:
      'A container with access type "blob" or "container" serves its blobs (and, for "container", the blob listing) to anyone on the internet without authentication; an account that allows nested items to be public lets any container be made public with one change.',
    mitigation: 'Set container_access_type = "private", allow_nested_items_to_be_public = false on the account, and share data through SAS tokens with expiry or Entra ID roles.',
    references: ['CWE-284', 'CWE-200', 'https://learn.microsoft.com/azure/storage/blobs/anonymous-read-access-prevent'],
    inputs: ['terraform'],
    detection: 'azurerm_storage_container with container_access_type "blob" or "container" (high), and azurerm_storage_account with allow_nested_items_to_be_public (or the older allow_blob_public_access) explicitly true (medium).',
    falsePositives: 'Containers serving public static assets on purpose; older azurerm provider versions default allow_nested_items_to_be_public to true, which this check does not assume.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const c of resources(ctx.graph, 'azurerm_storage_container')) {
      const access = asString(valuesOf(c).container_access_type);
      if (access === 'blob' || access === 'container') hits.push({ element: c.id, location: at(c, 'container_access_type'), evidence: `${c.name}: container_access_type = "${access}" (anonymous read${access === 'container' ? ' and listing' : ''})` });
    }
    for (const a of resources(ctx.graph, 'azurerm_storage_account')) {
      const v = valuesOf(a);
      const key = v.allow_nested_items_to_be_public !== undefined ? 'allow_nested_items_to_be_public' : 'allow_blob_public_access';
      if (asBool(v[key]) === true) hits.push({ element: a.id, location: at(a, key), severity: 'medium', evidence: `${a.name}: ${key} = true` });
    }
    return hits;
  },
};
