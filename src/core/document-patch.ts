import { sha256Hex } from './hash.js';

/**
 * The record of one change fano makes to a shared document: a module writes it (a `module.put`
 * into its `patches` collection, in the same log record as the task's completion), the store
 * applies it to the file compare-and-swap and records the outcome (store/document-file.ts). This
 * type is the whole hand-off; a module's own patch doc extends it with its bookkeeping.
 */
export type PatchStatus = 'pending' | 'applied' | 'conflict' | 'malformed';

/** A type alias (not an interface) so a record is plain JSON to the compiler too. */
export type PatchRecord = {
  status: PatchStatus;
  /** Relative to the home. */
  file: string;
  sectionId: string;
  /** The section text the change is based on (null: the section must not exist yet); dropped once resolved. */
  base: string | null;
  /** The new section text; dropped once resolved (nextHash stays). */
  next: string | null;
  /** For a new section: insert after this section (null: at the end). */
  after: string | null;
  /**
   * For a new section: insert before this section (wins over `after`; a section that is gone
   * falls back to `after`). How a prerequisite lands before the first section that needs it.
   * Optional: patches logged before it existed have none.
   */
  before?: string | null;
  /** Text of the file when it does not exist yet. */
  initialText?: string;
  /** Folder (relative to the home) for a daily snapshot of the file after each applied patch. */
  snapshotDir?: string | null;
  /** shortHash of `next`: kept when the texts are dropped once applied. */
  nextHash: string;
  resolvedAt: string | null;
};

/** The collection, in every module, that the store scans for pending patches. */
export const PATCHES_COLLECTION = 'patches';

/** sha256 of `s`, 16 hex digits: a patch's content hash and the Documenter's short ids. */
export const shortHash = (s: string): string => sha256Hex(s).slice(0, 16);
