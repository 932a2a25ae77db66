/** The echo module's public face: what the registry may use. */
export { echoModule } from './echo-module.js';
