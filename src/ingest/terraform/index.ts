import type { Fragment, ParseContext, ParseIssue, Parser } from '../../model/types.js';
import { loadHclParser, parseHcl } from './hcl.js';
import { parseTfJson } from './json.js';
import { buildFragment } from './model.js';

export { isExpr, isKnown, literal, asBool, asString, asNumber, asStringList, blocks, getPath, show } from './values.js';
export type { ExprValue, Tri } from './values.js';
export type { PolicyStatement, PolicyCondition } from './iam.js';
export type { PublicIngress, UnknownIngress } from './network.js';

const HCL_FILE = /\.(tf|tofu)$/;
const JSON_FILE = /\.(tf|tofu)\.json$/;

function isTerraformPath(path: string): boolean {
  const p = path.replace(/\\/g, '/');
  // Downloaded module copies are not the repository's configuration.
  if (p.startsWith('.terraform/') || p.includes('/.terraform/')) return false;
  return HCL_FILE.test(p) || JSON_FILE.test(p);
}

function empty(file: string, issues: ParseIssue[]): Fragment {
  return { file, format: 'terraform', elements: [], edges: [], refs: [], issues };
}

/**
 * Terraform (`*.tf`, `*.tf.json`, OpenTofu `*.tofu`): resources, data
 * sources and module calls become elements; see README.md for identities,
 * attributes and edges.
 */
export const terraformParser: Parser = {
  id: 'terraform',
  version: '1',
  detect(path: string): boolean {
    return isTerraformPath(path);
  },
  async parse(path: string, content: string, ctx: ParseContext): Promise<Fragment> {
    try {
      const bytes = Buffer.byteLength(content, 'utf8');
      if (bytes > ctx.limits.maxFileBytes) {
        return empty(path, [{ file: path, level: 'error', code: 'file-too-large', message: `Terraform file not modelled: ${bytes} bytes exceeds the ${ctx.limits.maxFileBytes}-byte limit` }]);
      }
      if (JSON_FILE.test(path)) {
        const r = parseTfJson(path, content, ctx.limits);
        return buildFragment(path, r.file, r.issues);
      }
      let parser;
      try {
        parser = await loadHclParser();
      } catch (err) {
        return empty(path, [{ file: path, level: 'error', code: 'parser-unavailable', message: `HCL parser could not be loaded: ${(err as Error).message.split('\n')[0]}` }]);
      }
      const r = parseHcl(parser, path, content, ctx.limits.parseTimeoutMs);
      if (r.timedOut) return empty(path, r.issues);
      return buildFragment(path, r.file, r.issues);
    } catch (err) {
      // A bug of ours must not take the whole analysis down: report it against the file.
      return empty(path, [{ file: path, level: 'error', code: 'terraform-internal', message: `Terraform file not modelled (internal error: ${(err as Error).message.split('\n')[0]})` }]);
    }
  },
};
