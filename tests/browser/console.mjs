// console.mjs: the web console end to end in a real browser: Debian's
// chromium driven by playwright-core (no browser download).
// usage: node console.mjs   (environment: URL, MARCPIPE, TENANT, FILE1,
// FILE1_RECORDS,
// FILE1_ERRORS, FILE2, OUT = directory for the screenshots, PGHOST...)
//  1. an import of FILE1 (20k generated records with bad ones spliced in)
//     starts; the job list shows it and its progress bar moves;
//     /metrics shows the live workers meanwhile;
//  2. when it is done: the job page, the log filtered to errors (exactly
//     the FILE1_ERRORS records), one error record, the hostile record
//     (its <script> shown as text, never run);
//  3. a second import (FILE2) is cancelled with the page's Cancel button
//     and the page shows CANCELLED with exact counters (processed = total
//     = journal rows in PostgreSQL); its log is re-read in place; the
//     Resume button finishes it: COMPLETED, seqs 1..20000 once each.
// Screenshots: OUT/*.png. Waits are bounded, never timed assertions.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import parse from 'parse-prometheus-text-format';

const { URL: BASE, MARCPIPE, TENANT, FILE1, FILE2, OUT } = process.env;
const NERR = Number(process.env.FILE1_ERRORS);
const NREC = Number(process.env.FILE1_RECORDS);
mkdirSync(OUT, { recursive: true });
const fails = [];
const check = (ok, msg) => { if (!ok) fails.push(msg); };
const WAIT = { timeout: 120000 };
const sql = (q) => execFileSync('psql', ['-XAtq', '-c', q], { encoding: 'utf8' }).trim();

function importJob(file) {
  const p = spawn(MARCPIPE, ['import', '-q', '--max-backlog', '1500', '--tenant', TENANT, file],
                  { stdio: ['ignore', 'ignore', 'ignore'] });
  return new Promise((res) => p.on('exit', (code) => res(code)));
}

const profile = mkdtempSync(join(tmpdir(), 'mp-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1200, height: 900 },
});
const page = ctx.pages()[0] || (await ctx.newPage());
let dialogs = 0;
page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
try {
  // ---- 1. progress ----
  // the page first, then the job: the page adds the job's row by itself,
  // and on a loaded machine a browser that starts late would meet a job
  // already near its end
  await page.goto(BASE + '/');
  const done1 = importJob(FILE1);
  await page.waitForSelector('#job-1', WAIT);
  const pct0 = Number(await page.getAttribute('#job-1 .bar', 'data-pct'));
  // the bar moves while the job runs: another value, still below 100
  // (while the total is unknown the bar stops at 99.9 even when the
  // workers have caught up with the producer)
  await page.waitForFunction((p) => {
    const b = document.querySelector('#job-1 .bar');
    const v = b ? Number(b.dataset.pct) : -1;
    return v !== p && v > 0 && v < 100;
  }, pct0, WAIT);
  await page.screenshot({ path: join(OUT, '1-jobs-progress.png') });
  // the workers' own series while they run: up, and batch-size and
  // transaction-latency histograms. parse-prometheus-text-format gives the
  // families and types; it merges labelled histograms into one sample, so
  // each worker's buckets are read from the text: cumulative, and +Inf =
  // _count > 0
  let fams = {}, text = '';
  const workerHist = (name) => {
    const out = {};
    for (const m of text.matchAll(new RegExp(`^${name}_(bucket|count)\\{worker="([^"]+)"(?:,le="([^"]+)")?\\} (\\S+)$`, 'gm'))) {
      const w = (out[m[2]] ??= { buckets: [], count: -1 });
      if (m[1] === 'bucket') w.buckets.push([m[3], Number(m[4])]);
      else w.count = Number(m[4]);
    }
    return Object.values(out);
  };
  for (let i = 0; i < 150; i++) {
    text = await (await fetch(BASE + '/metrics')).text();
    fams = Object.fromEntries(parse(text).map((f) => [f.name, f]));
    if (fams.marcpipe_worker_up?.metrics.length &&
        workerHist('marcpipe_batch_size').some((h) => h.count > 0)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  check(fams.marcpipe_worker_up?.metrics.length >= 1, 'no live worker in /metrics during the import');
  const credit = fams.marcpipe_producer_credit_in_use?.metrics.find((x) => x.labels.job === '1');
  check(credit && Number(credit.value) >= 0, `producer credit of job 1: ${JSON.stringify(credit)}`);
  check(fams.marcpipe_batch_size?.type === 'HISTOGRAM' &&
        fams.marcpipe_transaction_seconds?.type === 'HISTOGRAM', 'histogram types');
  for (const name of ['marcpipe_batch_size', 'marcpipe_transaction_seconds']) {
    const hs = workerHist(name);
    check(hs.some((h) => h.count > 0), `${name}: no worker with batches`);
    for (const h of hs) {
      const v = h.buckets.map((b) => b[1]);
      check(v.every((x, i) => i === 0 || x >= v[i - 1]) && h.buckets.at(-1)[0] === '+Inf' &&
            v.at(-1) === h.count, `${name}: ${JSON.stringify(h)}`);
    }
  }
  const restarts = fams.marcpipe_worker_fetch_restarts_total;
  check(restarts?.type === 'COUNTER' &&
        restarts.metrics.length === fams.marcpipe_worker_up.metrics.length &&
        restarts.metrics.every((x) => Number.isInteger(Number(x.value)) && Number(x.value) >= 0),
        `fetch restarts per worker: ${JSON.stringify(restarts)}`);
  const code1 = await done1;
  check(code1 === 1, `first import exit ${code1} (records were rejected: want 1)`);
  await page.waitForFunction(() => document.querySelector('#job-1 .st')?.textContent ===
                             'COMPLETED_WITH_ERRORS', null, WAIT);
  check(await page.getAttribute('#job-1 .bar', 'data-pct') === '100.0', 'bar not full at the end');
  await page.screenshot({ path: join(OUT, '2-jobs-done.png') });

  // ---- 2. job page, error filter, records ----
  await page.click('#job-1 a');
  await page.waitForSelector('#counters');
  check(await page.textContent('#c-processed') === String(NREC), 'processed on the job page');
  check(await page.textContent('#c-errors') === String(NERR), 'errors on the job page');
  await page.screenshot({ path: join(OUT, '3-job.png'), fullPage: true });
  await page.click('#f-ERROR');
  await page.waitForURL(/outcome=ERROR/);
  const outcomes = await page.$$eval('#log tr td.outcome', (tds) => tds.map((t) => t.textContent));
  check(outcomes.length === NERR && outcomes.every((o) => o === 'ERROR'),
        `error filter shows ${JSON.stringify(outcomes)}`);
  await page.screenshot({ path: join(OUT, '4-log-errors.png'), fullPage: true });
  await page.click('#log tr.ERROR td a');
  await page.waitForSelector('#journal');
  const why = await page.textContent('#why');
  check(/^MP_E/.test(why), `error record's why: ${why}`);
  check((await page.textContent('#journal')).includes('"outcome": "ERROR"'), 'journal row');
  await page.screenshot({ path: join(OUT, '5-record-error.png'), fullPage: true });
  const hostile = Number(sql(`SELECT seq FROM ${TENANT}_marcpipe.journal WHERE job_id = 1 AND match_key LIKE 'xss%'`));
  await page.goto(`${BASE}/jobs/1/records/${hostile}`);
  await page.waitForSelector('#source');
  check((await page.textContent('#source')).includes('<script>window.__xss=1</script>'),
        'hostile 245 not shown as text');
  check(await page.evaluate(() => window.__xss === undefined), 'hostile <script> ran');
  await page.screenshot({ path: join(OUT, '6-record-hostile.png'), fullPage: true });

  // ---- 3. cancel a second job from the page ----
  const done2 = importJob(FILE2);
  await page.goto(BASE + '/');
  await page.waitForSelector('#job-2', WAIT);
  await page.goto(BASE + '/jobs/2');
  await page.waitForFunction(() => Number(document.querySelector('#c-processed').textContent) > 0,
                             null, WAIT);
  await page.click('#cancel');
  await page.waitForFunction(() => document.querySelector('#state').textContent === 'CANCELLED',
                             null, WAIT);
  await page.waitForFunction(() => document.querySelector('#c-processed').textContent ===
                             document.querySelector('#c-total').textContent, null, WAIT);
  await page.screenshot({ path: join(OUT, '7-job-cancelled.png'), fullPage: true });
  const processed = Number(await page.textContent('#c-processed'));
  const total = Number(await page.textContent('#c-total'));
  const journal = Number(sql(`SELECT count(*) FROM ${TENANT}_marcpipe.journal WHERE job_id = 2`));
  const created = Number(await page.textContent('#c-created'));
  const api = await (await fetch(BASE + '/api/jobs/2')).json();
  check(api.status === 'CANCELLED', `api status ${api.status}`);
  check(processed === total && total === journal && api.processed === journal &&
        created === api.created && total > 0 && total < 20000,
        `cancelled counters: page ${processed}/${total} created ${created}, journal ${journal}, api ${api.processed}`);
  const code2 = await done2;
  check(code2 === 1, `cancelled import exit ${code2}`);
  // the log was re-read when the job ended: its first page starts at seq 1
  await page.waitForFunction(() => document.body.dataset.relogged === '1', null, WAIT);
  const first = await page.$$eval('#log tr td a', (as) => as.slice(0, 3).map((a) => a.textContent));
  check(first.join(',') === '1,2,3', `log after the cancel starts ${first}`);
  // resume from the page: `import --resume` finishes the job as if never stopped
  await page.click('#resume');
  await page.waitForFunction(() => document.querySelector('#state').textContent === 'COMPLETED',
                             null, WAIT);
  await page.waitForFunction(() => document.querySelector('#c-processed').textContent === '20000',
                             null, WAIT);
  await page.screenshot({ path: join(OUT, '8-job-resumed.png'), fullPage: true });
  const j2 = sql(`SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM ${TENANT}_marcpipe.journal WHERE job_id = 2`);
  check(j2 === '20000|20000|1|20000', `journal of the resumed job: ${j2}`);
  check(dialogs === 0, `${dialogs} dialogs opened`);
} catch (e) {
  fails.push(String(e && e.stack || e));
  await page.screenshot({ path: join(OUT, 'failure.png'), fullPage: true }).catch(() => {});
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
for (const f of fails) console.log('FAIL ' + f);
if (!fails.length) console.log('console: ok');
process.exit(fails.length ? 1 : 0);
