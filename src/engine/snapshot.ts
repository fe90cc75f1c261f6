/** One file of a tree at a commit, as git names it. */
export interface FileEntry {
  path: string;
  /** Git blob SHA: the cache key of the file's fragment. */
  sha: string;
  size: number;
}

/**
 * A repository tree at one commit, however it is read: local git objects
 * (CLI) or the GitHub git-data API (app). The engine asks for the listing
 * once and reads only the blobs its cache does not already hold.
 */
export interface Snapshot {
  /** What the user named (`main`, `HEAD~1`, a SHA). */
  ref: string;
  /** The resolved commit SHA. */
  commit: string;
  list(): Promise<FileEntry[]>;
  read(entry: FileEntry): Promise<string>;
  /** Reads a file by path (for `$ref` and the config file); undefined when absent. */
  readPath(path: string): Promise<string | undefined>;
  /**
   * Optional: told once, before they are read, which entries the engine will
   * read (its cache misses), so a remote snapshot can fetch them in bulk
   * (the app: one tarball instead of a request per blob). An optimisation
   * only: every `read` must still work without it.
   */
  prefetch?(entries: readonly FileEntry[]): Promise<void>;
}
