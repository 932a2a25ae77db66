import { afterAll } from 'vitest';
import { removeTempHomes } from './temp-home.js';

// Every test file's temporary homes go when the file ends, whether or not it cleans up itself
// (after-hooks run in reverse order, so this one runs after the file's own, e.g. closing browsers).
afterAll(removeTempHomes);
