/** The Researcher's public face: what the registry and the other modules may use. */
export { researcherMockAnswer } from './mock-responder.js';
export { researcherModule } from './researcher-module.js';
