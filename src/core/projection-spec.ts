import type { FanoState, Json } from './types.js';

/**
 * How a module's collection is mirrored to readable files under state/: the module supplies the
 * pure renderers, the store writes the files (store/projections.ts). The contract between the two
 * lives here so that neither imports the other.
 */
export interface ProjectionSpec {
  module: string;
  collection: string;
  /** Folder relative to the home, e.g. `state/explorer/threads`. */
  dir: string;
  /** Extension with the dot; only files with it in `dir` are ever deleted. */
  ext: string;
  render(id: string, doc: Json, state: Readonly<FanoState>): string;
  /**
   * Combines the file's current text with the new rendering before it is written (e.g. to keep a
   * comment a person typed into the file and fano has not yet read). Absent: overwrite.
   */
  merge?(current: string, rendered: string): string;
}
