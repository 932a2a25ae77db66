import { defaultScenario, type SimScenario } from './scenario.js';

/**
 * A small world for the simulator's tests: the default one with low caps, so a simulated day is a
 * few hundred requests through the real tick loop and modules.
 */
export function smallScenario(): SimScenario {
  const s = defaultScenario();
  const caps: Record<string, number> = { chatgpt: 8, gemini: 10, claude: 6 };
  return {
    ...s,
    name: 'small',
    commentsPerDay: 6,
    urgentSeedsPerDay: 2,
    backends: s.backends.map((b) => ({
      ...b,
      hiddenHourlyCap: caps[b.name]!,
      configuredHourly: caps[b.name]! + 2,
      hiddenDeepDailyCap: 4,
      configuredDeepDaily: 3,
    })),
  };
}
