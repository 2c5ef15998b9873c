/** How a measurement reads for people: the flows that lost probes, and a few summary lines (measure and drill). */
import type { DuringResult, GreenResult, MeasureResult } from '../measure/index.js';
import { bad, dim, ok, table } from '../output.js';

const secs = (ms: number | null): string => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);

/** The flows that lost probes (every flow with `all`), or '' when there is none to show. */
export function flowTable(r: MeasureResult, all: boolean): string {
  const shown = all ? r.flows : r.flows.filter((f) => f.lost > 0);
  if (shown.length === 0) return '';
  const rows = shown.map((f) => [f.id, String(f.sent), String(f.lost), f.lost ? secs(f.loss_window_ms) : dim('-'), f.recovered ? '' : bad('not recovered')]);
  return table(['flow', 'sent', 'lost', 'loss window', ''], rows);
}

export function measureLines(r: MeasureResult, green: GreenResult, during: DuringResult | null, all: boolean): string[] {
  const o = r.overall;
  const quiet = all ? 0 : o.flows - o.flows_with_loss;
  const churn = r.churn.switches.map((s) => `${s.name} +${s.added} -${s.withdrawn} ~${s.changed}${s.watch_lost ? ' (monitor lost)' : ''}`).join(', ');
  return [
    `flows: ${o.flows} (${r.settings.kinds.join(' + ')} at ${r.settings.rate}/s), ${o.flows_with_loss} lost probes${quiet ? `, ${quiet} lost none` : ''}`,
    `loss window: ${o.lost ? `${secs(o.loss_window_ms)} longest (${o.worst_flow}), ${o.lost} of ${o.sent} probes lost` : `none (0 of ${o.sent} probes lost)`}`,
    ...(during ? [`during: ${during.command} (exit ${during.exit_code ?? 'by a signal'}, ${secs(during.ms)})`] : []),
    `to green: ${green.ok ? ok(secs(green.ms)) : bad(`not green (${green.failed})`)}`,
    `route churn: ${r.churn.added} added, ${r.churn.withdrawn} withdrawn, ${r.churn.changed} changed (${churn})`,
  ];
}
