import type { Octokit } from './octokit.js';
import type { RepoRef } from './snapshot.js';

/** GitHub lists at most this many files of a pull request. */
export const PR_FILES_LIMIT = 3000;

export interface ChangedFile {
  path: string;
  /** For renames: the path at base. */
  previousPath?: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  /** Head-side lines inside the diff's hunks (added and context lines): where review comments can go. */
  diffLines: Set<number>;
}

export interface ChangedFiles {
  files: ChangedFile[];
  /** True when GitHub's 3,000-file cap cut the listing. */
  truncated: boolean;
}

/** Lists the PR's changed files (paginated), keeping only what the app needs from each patch. */
export async function listChangedFiles(octokit: Octokit, at: RepoRef, pull: number, changedFiles?: number): Promise<ChangedFiles> {
  const raw = await octokit.paginate(octokit.rest.pulls.listFiles, { ...at, pull_number: pull, per_page: 100 });
  const files = raw.map((f) => ({
    path: f.filename,
    ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
    status: f.status,
    diffLines: f.patch ? headLinesInPatch(f.patch) : new Set<number>(),
  }));
  return { files, truncated: files.length >= PR_FILES_LIMIT || (changedFiles !== undefined && changedFiles > files.length) };
}

/**
 * Head-side line numbers a review comment may target: every added or
 * context line of every hunk (`@@ -a,b +c,d @@`). Removed lines have no head line.
 */
export function headLinesInPatch(patch: string): Set<number> {
  const lines = new Set<number>();
  let next = 0;
  let inHunk = false;
  for (const text of patch.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(text);
    if (hunk) {
      next = Number(hunk[1]);
      inHunk = true;
      continue;
    }
    if (!inHunk || text.startsWith('\\')) continue; // "\ No newline at end of file"
    if (text.startsWith('-')) continue;
    if (text.startsWith('+') || text.startsWith(' ')) lines.add(next++);
  }
  return lines;
}
