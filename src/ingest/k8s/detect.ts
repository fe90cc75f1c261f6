/** Cheap, text-only tests that decide whether and how a file is read. */

const EXT = /\.(ya?ml|json)$/i;
const API_VERSION = /^\s*["']?apiVersion["']?\s*:|"apiVersion"\s*:/m;
const KIND = /^\s*["']?kind["']?\s*:|"kind"\s*:/m;
/** Top-level OpenAPI/Swagger keys (YAML at column 0, or a JSON key anywhere): the OpenAPI parser's files. */
const OPENAPI = /^(?:openapi|swagger)\s*:|"(?:openapi|swagger)"\s*:/m;
const KUSTOMIZATION_FILE = /(^|\/)(kustomization\.ya?ml|Kustomization)$/;

export function isKustomizationFile(path: string): boolean {
  return KUSTOMIZATION_FILE.test(path);
}

export function looksLikeKubernetes(path: string, content: string): boolean {
  if (isKustomizationFile(path)) return true;
  if (!EXT.test(path)) return false;
  if (OPENAPI.test(content)) return false;
  return API_VERSION.test(content) && KIND.test(content);
}

/** A Helm chart's template directory: `<chart>/templates/...`. */
const TEMPLATES_DIR = /(^|\/)templates\//;
/** Template references that only Helm uses; anywhere in the file (even quoted) they mean "not YAML until rendered". */
const HELM_ONLY = /\{\{-?[^}]*\.(?:Values|Release|Chart|Capabilities|Files)\b|\{\{-?\s*(?:include|toYaml|tpl|required)\b/;

/**
 * Helm templates are not Kubernetes objects until rendered. `{{` alone is
 * not enough: Prometheus rules, Alertmanager and OpenTelemetry configs and
 * Kyverno policies carry Go templates inside string values. A file is a
 * template when it sits in a chart's `templates/` folder, uses Helm-only
 * references, or has `{{` where YAML structure is (line start, or the
 * start of an unquoted value) outside block scalars.
 */
export function isHelmTemplate(path: string, content: string): boolean {
  if (TEMPLATES_DIR.test(path)) return true;
  if (!content.includes('{{')) return false;
  return helmLine(content) !== undefined;
}

/** 1-based line of the first structural template directive, if any. */
export function helmLine(content: string): number | undefined {
  const lines = content.split('\n');
  let blockIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (line.trim() === '' || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (!line.includes('{{')) {
      if (/(?:^|:\s|-\s)\s*[|>][-+0-9]*\s*(?:#.*)?$/.test(line)) blockIndent = indent;
      continue;
    }
    if (HELM_ONLY.test(line)) return i + 1;
    const unquoted = line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'/g, '""');
    if (/^\s*(?:-\s+)*\{\{/.test(unquoted) || /^\s*(?:-\s+)*[^\s#][^#]*?:\s+\{\{/.test(unquoted)) return i + 1;
    if (/(?:^|:\s|-\s)\s*[|>][-+0-9]*\s*(?:#.*)?$/.test(line)) blockIndent = indent;
  }
  return undefined;
}
