import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../../test/support/temp-home.js';
import { devToolsPort } from './resident.js';

describe('devToolsPort', () => {
  it('reads the port only once Chromium has written it (an empty or partial file is not port 0)', () => {
    const file = join(tempHome({}, 'fano-port-'), 'DevToolsActivePort');
    expect(devToolsPort(file)).toBeNull();
    writeFileSync(file, '');
    expect(devToolsPort(file)).toBeNull();
    writeFileSync(file, '4');
    expect(devToolsPort(file)).toBeNull();
    writeFileSync(file, '0\n');
    expect(devToolsPort(file)).toBeNull();
    writeFileSync(file, '41231\n/devtools/browser/5f0c\n');
    expect(devToolsPort(file)).toBe(41231);
  });
});
