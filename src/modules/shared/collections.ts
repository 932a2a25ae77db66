import type { FanoEvent } from '../../core/events.js';
import type { ProjectionSpec } from '../../core/projection-spec.js';
import type { FanoState, Json, JsonObject } from '../../core/types.js';

/**
 * Typed module data. A module's documents live in the state as plain JSON
 * (`state.modules[module][collection][id]`); a `Collection<T>` names one collection together with
 * the shape of its documents, and every read and write goes through it:
 *   - `putDoc(c, id, doc)` only takes a `T`, and `T` must be plain JSON (a type alias whose fields
 *     are JSON values, checked by the compiler), so what a collection holds was written as a `T`;
 *   - `docsById`/`docOf`/`docList` hand the documents back as `T`. Fields added to a document type
 *     after checkpoints with older documents exist are optional in the type, so old state loads.
 * Document types are type aliases, not interfaces: only those are assignable to JSON.
 */
export interface Collection<T extends JsonObject> {
  readonly module: string;
  readonly name: string;
  /** Never set: ties the document type to the descriptor, so two collections do not mix. */
  readonly doc?: T;
}

export function collection<T extends JsonObject>(module: string, name: string): Collection<T> {
  return { module, name };
}

const EMPTY: Readonly<Record<string, Json>> = Object.freeze({});

/** The collection's documents by id (a read-only view of the state; empty when there are none). */
export function docsById<T extends JsonObject>(state: Readonly<FanoState>, c: Collection<T>): Readonly<Record<string, T>> {
  const docs = state.modules[c.module]?.[c.name] ?? EMPTY;
  // The one place a document becomes its type: only putDoc(c, …) writes this collection.
  return docs as Readonly<Record<string, T>>;
}

export function docOf<T extends JsonObject>(state: Readonly<FanoState>, c: Collection<T>, id: string): T | undefined {
  return docsById(state, c)[id];
}

/** The documents in the state's order (insertion order of their ids). */
export function docList<T extends JsonObject>(state: Readonly<FanoState>, c: Collection<T>): T[] {
  return Object.values(docsById(state, c));
}

/**
 * The event that stores `doc` under `id`. Build a fresh document for it (the event holds the object
 * itself); the store logs it as JSON and applies the parsed copy, which is what replay builds too.
 */
export function putDoc<T extends JsonObject>(c: Collection<T>, id: string, doc: T): FanoEvent {
  return { type: 'module.put', module: c.module, collection: c.name, id, doc };
}

export function delDoc<T extends JsonObject>(c: Collection<T>, id: string): FanoEvent {
  return { type: 'module.del', module: c.module, collection: c.name, id };
}

/** A projection of a collection (core/projection-spec.ts) whose renderer reads typed documents. */
export function projection<T extends JsonObject>(
  c: Collection<T>,
  p: { dir: string; ext: string; render: (id: string, doc: T, state: Readonly<FanoState>) => string; merge?: (current: string, rendered: string) => string },
): ProjectionSpec {
  const spec: ProjectionSpec = { module: c.module, collection: c.name, dir: p.dir, ext: p.ext, render: (id, doc, state) => p.render(id, doc as T, state) };
  if (p.merge) spec.merge = p.merge;
  return spec;
}
