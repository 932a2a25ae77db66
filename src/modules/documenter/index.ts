/**
 * The Documenter's public face: what the registry and the other modules may use. Everything else
 * in this folder is the Documenter's own.
 */
export { documenterModule } from './documenter-module.js';
export { documenterMockAnswer } from './mock-responder.js';
export { documentCounts, documentedInsightIds } from './queries.js';
export { DOCUMENT_PATH } from './types.js';
