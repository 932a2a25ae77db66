/**
 * The Explorer's public face: what the registry and the other modules may use. Everything else in
 * this folder is the Explorer's own and may change without notice to them.
 */
export { explorerModule } from './explorer-module.js';
export { explorerMockAnswer } from './mock-responder.js';
export { blessedInsights } from './queries.js';
export { threadIdFor } from './text.js';
