import type { Rule, RuleHit } from '../../src/model/graph.js';
import type { ResponseSummary } from '../../src/ingest/openapi/model.js';
import { at, isSuccess, label, leaf, operations } from './helpers.js';

/** Query parameters that page or cap a listing (normalised). */
const PAGING_PARAM = /^(limit|size|pagesize|perpage|page|pagenumber|pagetoken|offset|cursor|after|before|first|last|max|maxresults|maxitems|top|skip|count|take|startindex|from|continuationtoken|nexttoken|marker)$/;
/** Fields of a wrapper object that carry paging state. */
const PAGING_FIELD = /^(next|nextpage|nexturl|nextlink|nextcursor|nextpagetoken|nexttoken|cursor|continuationtoken|hasmore|hasnext|hasnextpage|total|totalcount|totalitems|totalpages|count|page|pageinfo|pagination|links|offset|limit|marker)$/;

/** The unbounded list a successful response returns, if any: the root array or a top-level array field. */
function unboundedList(response: ResponseSummary): string | undefined {
  const props = response.properties;
  const root = props.find((p) => p.name === '(root)');
  if (root) return root.type === 'array' && root.maxItems === undefined ? '(root)' : undefined;
  const top = props.filter((p) => !p.name.includes('.') && !p.name.includes('['));
  if (top.some((p) => PAGING_FIELD.test(leaf(p.name)))) return undefined;
  const list = top.find((p) => p.type === 'array' && p.maxItems === undefined);
  return list?.name;
}

export const rule: Rule = {
  meta: {
    id: 'openapi-missing-pagination',
    title: 'Collection endpoint returns an unbounded list',
    stride: ['D'],
    severity: 'low',
    rationale:
      'A GET that returns every item of a collection in one response grows with the data: one request can make the service load, serialise and send the whole table, which is an easy resource-exhaustion lever and a bulk data-scraping aid.',
    mitigation:
      'Page the collection (limit/offset, page/size or cursor parameters with a server-enforced maximum), return paging state (`next`, `total`) in a wrapper object, and declare `maxItems` on the returned array.',
    references: ['CWE-770', 'CWE-400', 'OWASP-API4:2023'],
    inputs: ['openapi', 'graph'],
    detection:
      'GET operations on a collection path (not ending in a path parameter) with no paging query parameter (limit, size, page, pageSize, per_page, offset, cursor, after, top, skip, pageToken...) whose successful (2xx) response is an array without `maxItems`, or an object with a top-level array field without `maxItems` and no paging fields (next, cursor, total, hasMore, links...). Medium when reachable from the internet, low otherwise.',
    falsePositives: 'Collections that are small by nature (enumerations, a user\'s few settings) and servers that cap results without saying so.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const op of operations(ctx)) {
      // `/orders/{id}` returns one object (whose array fields are its own), not a collection.
      if (op.method !== 'GET' || /\}\/?$/.test(op.path)) continue;
      if (op.parameters.some((p) => p.in === 'query' && PAGING_PARAM.test(leaf(p.name)))) continue;
      for (const response of op.responses) {
        if (!isSuccess(response.status)) continue;
        const list = unboundedList(response);
        if (!list) continue;
        const reachable = ctx.internetReachable.has(op.el.id);
        hits.push({
          element: op.el.id,
          location: at(op.el, `responses.${response.status}`),
          evidence: `${label(op)} returns ${list === '(root)' ? 'an array' : `the array field ${list}`} without maxItems (response ${response.status}) and takes no paging parameter`,
          ...(reachable ? { severity: 'medium' as const } : {}),
        });
        break;
      }
    }
    return hits;
  },
};
