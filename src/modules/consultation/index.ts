/** The consultation's public face: what the registry and the other modules may use. */
export { consultationModule, consultationOptions } from './consultation-module.js';
