import { Text } from 'ink';
import { bar, clock, errorCounts, metricsLine, nextTickAt, relativeTo, sparkline, throughputPerHour, type BackendLine, type TopSnapshot } from './model.js';

/**
 * The header that never scrolls away: title with the pause state and the clock, last and next
 * tick with the error count, one line per backend (quota bars and why it is not working), the
 * throughput of the last 24 hours and the design's 24 h figures.
 */
const STATUS_COLOR: Record<string, string> = {
  working: 'green',
  idle: 'cyan',
  exhausted: 'yellow',
  'rate-limited': 'yellow',
  unreachable: 'yellow',
  'needs-human': 'red',
  disabled: 'gray',
};
const HOUR_BAR = 8;
const DEEP_BAR = 4;

export function Header({
  snapshot,
  backends,
  backendsHidden,
  problems,
}: {
  snapshot: TopSnapshot;
  backends: BackendLine[];
  backendsHidden: number;
  problems: number;
}) {
  const { status, now } = snapshot;
  const last = status.lastTick;
  const next = nextTickAt(last, snapshot.intervalSeconds);
  const errs = errorCounts(snapshot);
  const total = errs.total + problems;
  const parts = [
    problems && `${problems} problem${problems === 1 ? '' : 's'}`,
    errs.failed && `${errs.failed} failed`,
    errs.retrying && `${errs.retrying} retrying`,
    errs.needsHuman && `${errs.needsHuman} need a person`,
    errs.lastTickError && 'last tick failed',
  ].filter(Boolean);
  const spark = throughputPerHour(snapshot.state, now);
  const byState = status.tasks.byState;
  return (
    <>
      <Text wrap="truncate">
        <Text bold>fano top</Text>
        {status.paused ? (
          <Text color="yellow" bold>
            {' '}
            [PAUSED]
          </Text>
        ) : null}
        <Text dimColor> {clock(now)} UTC</Text> {status.home}
      </Text>
      <Text wrap="truncate">
        last tick{' '}
        {last ? `${clock(last.startedAt)} ${last.outcome} (${last.steps} step${last.steps === 1 ? '' : 's'}, ${last.requests} req)` : 'never (run `fano tick`)'}
        {' · '}next {next ? `${clock(next)} (${relativeTo(next, now)})` : '-'}
        {' · '}errors <Text color={total > 0 ? 'red' : 'green'}>{total}</Text>
        {parts.length > 0 ? ` (${parts.join(', ')})` : ''}
      </Text>
      {status.backends.length === 0 ? <Text dimColor>no backends configured</Text> : null}
      {backends.map((l) => (
        <BackendRow key={l.name} line={l} />
      ))}
      {backendsHidden > 0 ? (
        <Text dimColor wrap="truncate">
          … {backendsHidden} more backend(s): `fano status` lists all
        </Text>
      ) : null}
      <Text wrap="truncate">
        done/h <Text color="green">{sparkline(spark)}</Text> {spark.reduce((a, b) => a + b, 0)} in 24 h · {byState['running'] ?? 0} running ·{' '}
        {byState['pending'] ?? 0} pending · {byState['paused'] ?? 0} paused · {byState['failed'] ?? 0} failed · {byState['completed'] ?? 0} completed
      </Text>
      <Text wrap="truncate" dimColor>
        {metricsLine(status.metrics)}
      </Text>
    </>
  );
}

/** `claude   ████░░░░░░ 12/20 deep ░░░░ 0/4  rate-limited until 12:20 (in 20m00s)`: the reason last, so a narrow terminal cuts only its tail. */
function BackendRow({ line }: { line: BackendLine }) {
  const b = line.b;
  const color = STATUS_COLOR[line.display] ?? 'white';
  const learned = b.effectiveHourly !== b.hourlyLimit ? ` (learned ${b.effectiveHourly})` : '';
  return (
    <Text wrap="truncate">
      {b.name.padEnd(9)} {bar(b.requestsThisHour, b.effectiveHourly, HOUR_BAR)} {`${b.requestsThisHour}/${b.hourlyLimit}`.padStart(7)} deep{' '}
      {bar(b.deepUsedToday, b.deepDailyLimit, DEEP_BAR)} {`${b.deepUsedToday}/${b.deepDailyLimit}`.padEnd(5)}{' '}
      <Text color={color}>{line.detail ?? line.display}</Text>
      <Text dimColor>{learned}</Text>
    </Text>
  );
}
