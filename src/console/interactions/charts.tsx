import { Hono } from 'hono';
import { hasAnyPermission, PERMISSIONS } from '../../auth/permissions.js';
import type { EventType } from '../../events/events.views.js';
import type { ConsoleDeps, ConsoleEnv } from '../env.js';
import { page } from '../guard.js';
import { InteractionsNav, STYLES } from './section.js';

const HOUR = 3_600_000;
/** Each range is a bounded number of buckets, counted in the database. */
export const RANGES = {
  '24h': { bucketMs: HOUR, buckets: 24, label: 'Last 24 hours, by hour' },
  '7d': { bucketMs: 6 * HOUR, buckets: 28, label: 'Last 7 days, by 6 hours' },
  '30d': { bucketMs: 24 * HOUR, buckets: 30, label: 'Last 30 days, by day' },
} as const;
type Range = keyof typeof RANGES;

/** The event log's types the message chart counts: the same changes /metrics counts and webhooks announce. */
export const MESSAGE_SERIES: Array<[EventType, string]> = [
  ['message.sent', 'Sent'],
  ['message.deferred', 'Deferred'],
  ['message.failed', 'Failed'],
  ['message.bounced', 'Bounced'],
  ['message.complained', 'Complained'],
  ['inbound.received', 'Replies received'],
];

/** What charts.js draws: bucket starts (epoch seconds, uPlot's x) and one line per series. */
interface ChartData {
  unit: string;
  x: number[];
  series: Array<{ label: string; values: number[] }>;
}

/** A bucket's start, short enough for a narrow table (the column says UTC). */
const bucketLabel = (ms: number) => new Date(ms).toISOString().slice(5, 16).replace('T', ' ');

/**
 * A chart drawn by charts.js from the JSON beside it (a data block: the CSP runs no inline
 * script), and a table of the same numbers for screen readers and keyboards.
 */
function ChartWithTable(props: { id: string; title: string; data: ChartData; starts: number[]; columns: string[]; rows: Array<Array<number | string>>; total?: Array<number | string> }) {
  const json = JSON.stringify(props.data).replace(/</g, '\\u003c');
  return (
    <section class="chart-pair" aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <div class="chart" data-chart={`${props.id}-data`} role="img" aria-label={`${props.title}: chart; the table beside it has the same numbers.`} />
      <script type="application/json" id={`${props.id}-data`} dangerouslySetInnerHTML={{ __html: json }} />
      <section class="chart-table" aria-label={`${props.title}: table`} tabindex={0}>
        <table data-table={props.id}>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">From (UTC)</th>
              {props.columns.map((col) => (
                <th scope="col">{col}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row, i) => (
              <tr>
                <th scope="row">{bucketLabel(props.starts[i]!)}</th>
                {row.map((v) => (
                  <td>{v}</td>
                ))}
              </tr>
            ))}
          </tbody>
          {props.total && (
            <tfoot>
              <tr data-total>
                <th scope="row">Total</th>
                {props.total.map((v) => (
                  <td>{v}</td>
                ))}
              </tr>
            </tfoot>
          )}
        </table>
      </section>
    </section>
  );
}

export function chartsRoutes({ services, render }: ConsoleDeps) {
  const r = new Hono<ConsoleEnv>();
  r.get('/interactions/charts', page(PERMISSIONS.conversationDetailView), async (c) => {
    const p = c.get('principal');
    const asked = c.req.query('range') ?? '24h';
    const range: Range = Object.hasOwn(RANGES, asked) ? (asked as Range) : '24h';
    const { bucketMs, buckets: count, label } = RANGES[range];
    const b = services.events.recentBuckets(bucketMs, count);
    const starts = Array.from({ length: count }, (_, i) => b.since + i * bucketMs);
    const x = starts.map((s) => s / 1000);
    const counts = await services.events.countsOverTime(
      p.orgId,
      MESSAGE_SERIES.map(([t]) => t),
      b,
    );
    const series = MESSAGE_SERIES.map(([t, name]) => ({ label: name, values: counts[t]! }));
    const waitsAllowed = hasAnyPermission(p.permissions, [PERMISSIONS.queueView, PERMISSIONS.queueStatsView]);
    const waits = waitsAllowed ? await services.acd.waitsOverTime(p.orgId, b) : null;
    return render(
      c,
      { title: 'Charts', current: '/console/interactions', styles: [...STYLES, 'uplot.min.css'], scripts: ['uplot.min.js', 'charts.js'], withoutHtmx: true },
      <>
        <h1>Charts</h1>
        <InteractionsNav current="charts" />
        <form method="get" action="/console/interactions/charts" class="actions">
          <div>
            <label for="range">Range</label>
            <select id="range" name="range">
              {Object.entries(RANGES).map(([k, v]) => (
                <option value={k} selected={k === range}>
                  {v.label}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">Show</button>
        </form>
        <p class="muted">{label}. Counted from the event log, the record webhooks and the events API read.</p>
        <ChartWithTable
          id="messages"
          title="Messages"
          data={{ unit: 'messages', x, series }}
          starts={starts}
          columns={series.map((s) => s.label)}
          rows={starts.map((_, i) => series.map((s) => s.values[i]!))}
          total={series.map((s) => s.values.reduce((a, v) => a + v, 0))}
        />
        {waits && (
          <ChartWithTable
            id="waits"
            title="Queue waiting time"
            data={{
              unit: 'seconds',
              x,
              series: [
                { label: 'Average wait (s)', values: waits.map((w) => w.averageSeconds) },
                { label: 'Longest wait (s)', values: waits.map((w) => w.longestSeconds) },
              ],
            }}
            starts={starts}
            columns={['Items taken', 'Average wait (s)', 'Longest wait (s)']}
            rows={waits.map((w) => [w.taken, w.averageSeconds, w.longestSeconds])}
          />
        )}
      </>,
    );
  });
  return r;
}
