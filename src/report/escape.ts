/**
 * Everything posted to GitHub that came from a file (names, evidence, paths,
 * messages) goes through here: no Markdown or HTML from a PR renders, no
 * `@org/team` mentions anyone, no `#123` links an issue.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+\-.!|~^$])/g, '\\$1')
    .replace(/@/g, '@\u200b')
    .replace(/:\/\//g, ':\u200b//');
}

/** Inline code span that cannot be broken out of, for ids and paths. */
export function code(text: string): string {
  const clean = text.replace(/[\r\n]/g, ' ').replace(/@/g, '@\u200b');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

/** Text for a Mermaid label: quotes and angle brackets would break out of the node. */
export function mermaidLabel(text: string): string {
  return text.replace(/["<>`{}[\]|#;]/g, (c) => `#${c.charCodeAt(0)};`).replace(/[\r\n]/g, ' ');
}
