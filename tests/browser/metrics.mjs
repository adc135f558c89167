// metrics.mjs: fetch /metrics, parse it with parse-prometheus-text-format
// (a parser of the Prometheus text format) and check the job series
// against the job's counters (`marcpipe status --json`, a file).
// usage: node metrics.mjs URL STATUS_JSON_FILE TENANT
import { readFileSync } from 'node:fs';
import parse from 'parse-prometheus-text-format';

const [url, statusFile, tenant] = process.argv.slice(2);
const st = JSON.parse(readFileSync(statusFile, 'utf8'));
const res = await fetch(url + '/metrics');
const text = await res.text();
const fail = [];
if (res.status !== 200) fail.push(`status ${res.status}`);
if (!res.headers.get('content-type').startsWith('text/plain; version=0.0.4'))
  fail.push(`content-type ${res.headers.get('content-type')}`);
const fams = Object.fromEntries(parse(text).map((f) => [f.name, f]));
const job = String(st.id);
const value = (name, labels) => {
  const f = fams[name];
  if (!f) return undefined;
  const m = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return m ? Number(m.value) : undefined;
};
const want = { created: st.created, updated: st.updated, duplicate: st.duplicates,
               skipped: st.skipped, error: st.errors };
for (const [outcome, n] of Object.entries(want)) {
  const got = value('marcpipe_job_records_total', { tenant, job, outcome });
  if (got !== n) fail.push(`records_total ${outcome}: ${got}, want ${n}`);
}
if (fams.marcpipe_job_records_total?.type !== 'COUNTER') fail.push('records_total type');
if (value('marcpipe_job_processed_total', { tenant, job }) !== st.processed) fail.push('processed');
if (value('marcpipe_job_total_records', { tenant, job }) !== st.total) fail.push('total');
if (value('marcpipe_job_state', { tenant, job, state: st.state }) !== 1) fail.push('state');
for (const f of fail) console.log('FAIL metrics ' + f);
process.exit(fail.length ? 1 : 0);
