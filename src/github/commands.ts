/** Slash commands in PR comments: `/threatdiff <command> [args]`. */
export type Command =
  | { name: 'help' }
  | { name: 'rerun' }
  | { name: 'full' }
  | { name: 'stories' }
  | { name: 'explain'; id: string }
  | { name: 'accept'; id: string; reason: string }
  | { name: 'unaccept'; id: string }
  /** Anything else after `/threatdiff`: answered with the help text. */
  | { name: 'unknown'; text: string };

/** Finding ids as the reports print them. Keys (`rule@element…`) contain spaces and belong in the config file. */
const FINDING_ID = /^TD-[0-9a-f]{6,40}$/i;
const MAX_REASON = 500;

/**
 * The first line of a comment that starts with `/threatdiff`, parsed; null
 * when there is none (an ordinary comment). Quoted lines (`> /threatdiff …`)
 * and code blocks do not count: only a line that starts with the command.
 */
export function parseCommand(body: string): Command | null {
  let fenced = false;
  for (const raw of body.slice(0, 65536).split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('```') || line.startsWith('~~~')) fenced = !fenced;
    if (fenced || !/^\/threatdiff(\s|$)/i.test(line)) continue;
    const [, verb = 'help', ...rest] = line.split(/\s+/);
    const id = rest[0] ?? '';
    switch (verb.toLowerCase()) {
      case 'help':
      case 'rerun':
      case 'full':
      case 'stories':
        return { name: verb.toLowerCase() as 'help' };
      case 'explain':
        return FINDING_ID.test(id) ? { name: 'explain', id: normaliseId(id) } : { name: 'unknown', text: line };
      case 'unaccept':
        return FINDING_ID.test(id) ? { name: 'unaccept', id: normaliseId(id) } : { name: 'unknown', text: line };
      case 'accept': {
        const reason = rest.slice(1).join(' ').trim().slice(0, MAX_REASON);
        return FINDING_ID.test(id) && reason ? { name: 'accept', id: normaliseId(id), reason } : { name: 'unknown', text: line };
      }
      default:
        return { name: 'unknown', text: line };
    }
  }
  return null;
}

function normaliseId(id: string): string {
  return `TD-${id.slice(3).toLowerCase()}`;
}

export const HELP_TEXT = [
  '**threatdiff commands** (in a comment on this pull request):',
  '',
  '| command | what it does |',
  '|---|---|',
  '| `/threatdiff help` | this list |',
  '| `/threatdiff rerun` | analyse the PR again |',
  '| `/threatdiff full` | analyse again without caches |',
  '| `/threatdiff explain TD-…` | the rule, evidence, path and mitigation of a finding |',
  '| `/threatdiff accept TD-… <reason>` | accept a risk for this repository (write, maintain or admin permission): listed, but no longer fails the check |',
  '| `/threatdiff unaccept TD-…` | withdraw an acceptance |',
  '| `/threatdiff stories` | open a security-story issue for each new finding at or above `stories_severity` |',
].join('\n');
