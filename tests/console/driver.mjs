// The browser half of tests/console.rs: drives the system's headless Chromium
// through the console and saves a screenshot of each page it visits.
//
// Input: CONSOLE_TEST, a JSON object from the Rust test: { scenario, base, shots,
// keys: {...}, council, ... }. Exit 0 when the scenario held; otherwise the reason
// on stderr and exit 1.

import { chromium } from 'playwright-core'
import { readFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')
const t = JSON.parse(process.env.CONSOLE_TEST)
mkdirSync(t.shots, { recursive: true })
// This scenario's screenshots from an earlier run go: the folder shows the last run.
for (const f of readdirSync(t.shots)) {
  if (f.startsWith(`${t.scenario}-`)) rmSync(`${t.shots}/${f}`)
}

function check (ok, what) {
  if (!ok) throw new Error(what)
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync']
})
const dialogs = []
const pageErrors = []
const cspViolations = []
const axeFindings = []
let shotNumber = 0

async function newPage ({ javaScript = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, javaScriptEnabled: javaScript })
  const page = await context.newPage()
  page.scriptsOff = !javaScript
  page.on('dialog', async d => { dialogs.push(d.message()); await d.dismiss() })
  page.on('pageerror', e => pageErrors.push(String(e)))
  page.on('console', m => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text())
  })
  return page
}

// Screenshot and axe for the page as it is now.
async function look (page, name) {
  shotNumber += 1
  // Stable names: ids differ on every run.
  name = name.replaceAll(t.participant, 'participant').replaceAll(t.schedule, 'schedule')
  const file = `${t.shots}/${t.scenario}-${String(shotNumber).padStart(2, '0')}-${name}.png`
  await page.screenshot({ path: file, fullPage: true })
  if (page.scriptsOff) return
  // Evaluated over DevTools, so the page's CSP (no inline script) does not stop it.
  await page.evaluate(axeSource)
  const result = await page.evaluate(async () => await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }
  }))
  for (const v of result.violations) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      axeFindings.push(`${name} (${page.url()}): ${v.id} [${v.impact}] ${v.help}: ${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | ')}`)
    }
  }
  const size = await page.evaluate(() => document.documentElement.outerHTML.length)
  check(size < 50 * 1024, `${name}: the page's HTML is ${size} bytes, over 50 KB`)
}

async function go (page, path, name) {
  const response = await page.goto(t.base + path)
  check(response.ok(), `${path} answered ${response.status()}`)
  const csp = response.headers()['content-security-policy'] || ''
  check(csp.startsWith("default-src 'self'") && !csp.includes('unsafe'), `${path}: CSP is ${csp}`)
  check(response.headers()['cache-control'] === 'no-store', `${path}: a page may be cached`)
  await look(page, name)
  return response
}

async function signIn (page, key, name = 'sign-in') {
  await page.goto(t.base + '/console/sign-in')
  await look(page, name)
  await page.fill('#key', key)
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign in")')])
  check(!page.url().includes('sign-in'), `signing in failed: still at ${page.url()}`)
  const html = await page.content()
  check(!html.includes(key), 'the key appears in a page')
  check(!page.url().includes(key), 'the key appears in a URL')
  const cookies = await page.context().cookies()
  const session = cookies.find(c => c.name === 'waymark_session')
  check(session && session.httpOnly && session.sameSite === 'Strict', `session cookie: ${JSON.stringify(session)}`)
}

async function submit (page, button) {
  await Promise.all([page.waitForNavigation(), page.click(button)])
}

const C = t.council
const scenarios = {
  // (1) An administrator creates a daily 01:30 Europe/London schedule; the
  // clock-change preview shows 29 March and 25 October 2026 once each; pauses it.
  async schedule () {
    const page = await newPage()
    await signIn(page, t.keys.council_admin)
    await go(page, `/console/councils/${C}/schedules`, 'schedules')
    await page.fill('#name', 'Overnight digest')
    await page.fill('#cron', '30 1 * * *')
    await page.fill('#timezone', 'Europe/London')
    await submit(page, 'button:has-text("Create schedule")')
    check(/\/schedules\/sch_/.test(page.url()), `not on the new schedule: ${page.url()}`)
    await look(page, 'schedule')
    const dst = await page.locator('.console-dst-date').allTextContents()
    const count = d => dst.filter(x => x.trim() === d).length
    check(count('2026-03-29') === 1, `29 March shown ${count('2026-03-29')} times in ${dst}`)
    check(count('2026-10-25') === 1, `25 October shown ${count('2026-10-25')} times in ${dst}`)
    const next = await page.locator('.console-date').allTextContents()
    check(next.length === 10, `expected the next 10 fire times, got ${next.length}`)
    await submit(page, 'button:has-text("Pause")')
    await look(page, 'schedule-paused')
    check(await page.locator('.govuk-summary-list strong.govuk-tag:has-text("Paused")').count() === 1, 'not shown as paused')
    check(await page.locator('button:has-text("Resume")').count() === 1, 'no Resume button')
    // Edit: 02:15 instead; it stays paused.
    await page.fill('#cron', '15 2 * * *')
    await submit(page, 'button:has-text("Save changes")')
    await look(page, 'schedule-edited')
    const cron = await page.locator('.govuk-summary-list code').first().textContent()
    check(cron === '15 2 * * *', `the edit did not show: ${cron}`)
    const times = await page.locator('table:has(caption:has-text("The next")) tbody tr td:nth-child(2)').allTextContents()
    check(times.length > 0 && times.every(x => x.trim() === '02:15'), `preview not at 02:15: ${times}`)
    check(await page.locator('button:has-text("Resume")').count() === 1, 'the edit resumed it')
    // The working-day calendar: a bad date is named beside its field; a closure is saved.
    await go(page, `/console/councils/${C}/calendar`, 'calendar')
    await page.fill('#extra_holidays', '2026-13-01')
    await submit(page, 'button:has-text("Save calendar")')
    await look(page, 'calendar-invalid')
    check(await page.locator('#extra_holidays-error').count() === 1, 'no error beside the dates')
    await page.fill('#extra_holidays', '2026-12-29')
    await submit(page, 'button:has-text("Save calendar")')
    await look(page, 'calendar-saved')
    check((await page.locator('.govuk-summary-list').textContent()).includes('2026-12-29'), 'the closure is not shown')
  },

  // (2) Settings: an invalid value shows the field's error; a valid one is saved.
  async settings () {
    const page = await newPage()
    await signIn(page, t.keys.council_admin)
    await go(page, `/console/councils/${C}/settings`, 'settings')
    const field = '#setting-review_every_weeks'
    check(await page.locator(field).count() === 1, 'no review_every_weeks field')
    await page.fill(field, '-1')
    await submit(page, 'button:has-text("Save settings")')
    await look(page, 'settings-invalid')
    const error = await page.locator(`${field}-error`).textContent()
    check(error && error.includes('review_every_weeks'), `no error beside the field: ${error}`)
    check(await page.locator('.govuk-error-summary a[href="#setting-review_every_weeks"]').count() === 1, 'no error summary link')
    await page.fill(field, '2')
    await submit(page, 'button:has-text("Save settings")')
    await look(page, 'settings-saved')
    check(await page.locator('.govuk-notification-banner--success').count() === 1, 'no success banner')
    check(await page.inputValue(field) === '2', 'the saved value is not shown')
  },

  // (3) A plugin whose golden case fails is refused; the page names the case,
  // what was expected and what the plugin answered.
  async plugin () {
    const page = await newPage()
    await signIn(page, t.keys.council_admin)
    await go(page, `/console/councils/${C}/plugins`, 'plugins')
    await page.setInputFiles('#plugin', t.bad_plugin)
    await submit(page, 'button:has-text("Upload and check")')
    await look(page, 'plugin-refused')
    const text = await page.locator('main').textContent()
    check(text.includes('The plugin was refused'), 'no refusal')
    check(text.includes('an adult in ST4 is waitlisted'), 'the case is not named')
    check(text.includes('expected outcome waitlist, got accept'), 'expected/actual not shown')
    check(text.includes('"outcome":"accept"'), 'the actual answer is not shown')
    check(text.includes('The active version is unchanged'), 'no word on the active version')
    // A second version (another council's rules) is accepted and becomes active;
    // replaying it against the decision log shows the decisions it would change, with
    // both sets of reasons; rolling back.
    await page.setInputFiles('#plugin', t.second_plugin)
    await submit(page, 'button:has-text("Upload and check")')
    await look(page, 'plugin-accepted')
    check((await page.locator('main').textContent()).includes('now active'), 'the second version was not accepted')
    check(await page.locator('tbody tr').count() === 2, 'two versions are not listed')
    await submit(page, 'tbody tr >> nth=1 >> button:has-text("Replay decisions")')
    await look(page, 'plugin-replay')
    check((await page.locator('main').textContent()).includes('Decisions asked again'), 'no replay report')
    const changed = await page.locator('table:has(caption:has-text("would change")) tbody tr').count()
    check(changed > 0, 'no decision would change')
    const firstChange = await page.locator('table:has(caption:has-text("would change")) tbody tr >> nth=0').textContent()
    check(firstChange.includes('eligible') || firstChange.includes('residence') || firstChange.includes('postcode'), `no reasons in: ${firstChange}`)
    await go(page, `/console/councils/${C}/plugins`, 'plugins-two-versions')
    await submit(page, 'button:has-text("Roll back")')
    await look(page, 'plugin-rolled-back')
    const first = await page.locator('tbody tr >> nth=0').textContent()
    check(first.includes('Active'), `the first version is not active again: ${first}`)
  },

  // (4) A key worker sees their work, acknowledges an action, records contact_made
  // and sees it on the timeline — with JavaScript turned off.
  async keyworker () {
    // With JavaScript off: every form works without it.
    const page = await newPage({ javaScript: false })
    await signIn(page, t.keys.caseworker)
    await go(page, `/console/councils/${C}/work`, 'work-today')
    const before = await page.locator('main tbody tr').count()
    check(before >= 1, 'no work due')
    check((await page.locator('main').textContent()).includes(`key worker ${t.key_worker}`), 'not the key worker\'s own work')
    const whose = await page.locator('main tbody tr td:nth-child(3)').allTextContents()
    check(whose.every(w => w.trim() === t.participant), `someone else's work is listed: ${whose}`)
    const overdue = await page.locator('main tbody tr').first().textContent()
    check(overdue.includes('Overdue') || overdue.includes('Due today'), `first row: ${overdue}`)
    await submit(page, 'main tbody tr >> nth=0 >> button:has-text("Acknowledge")')
    await look(page, 'work-acknowledged')
    const after = await page.locator('main tbody tr').count()
    check(after === before - 1, `acknowledged, but rows went ${before} → ${after}`)
    await go(page, `/console/councils/${C}/participants`, 'participants')
    await submit(page, `a:has-text("${t.participant}")`)
    await look(page, 'timeline')
    await page.selectOption('#type', 'contact_made')
    await page.fill('#at', '2/3/2026')
    await submit(page, 'button:has-text("Record event")')
    await look(page, 'record-event-bad-date')
    check(await page.locator('#at-error').count() === 1, 'no error beside the date')
    await page.fill('#at', t.today)
    await submit(page, 'button:has-text("Record event")')
    await look(page, 'timeline-contact-made')
    const rows = await page.locator('table:has(caption:has-text("Timeline")) tbody tr').allTextContents()
    check(rows.some(r => r.includes('contact_made') && r.includes(t.today)), `not on the timeline: ${rows}`)
    // Signing out ends the session: the cookie no longer opens a page.
    const cookie = (await page.context().cookies()).find(c => c.name === 'waymark_session').value
    await submit(page, 'button:has-text("Sign out")')
    await look(page, 'signed-out')
    const reuse = await page.request.get(`${t.base}/console/councils/${C}/work`, { headers: { cookie: `waymark_session=${cookie}` }, maxRedirects: 0 })
    check(reuse.status() === 303 && reuse.headers().location === '/console/sign-in', `the old session still works: ${reuse.status()}`)
  },

  // (5) A review item is resolved with an outcome and a note.
  async review () {
    const page = await newPage()
    await signIn(page, t.keys.review_caseworker)
    await go(page, `/console/councils/${t.review_council}/reviews`, 'review-queue')
    await submit(page, 'main tbody tr >> nth=0 >> a')
    await look(page, 'review-item')
    await page.selectOption('#outcome', 'accept')
    await page.fill('#note', 'Checked by hand: eligible <b>adult</b> in ST4')
    await submit(page, 'button:has-text("Resolve")')
    await look(page, 'review-resolved')
    const text = await page.locator('main').textContent()
    check(text.includes('resolved'), 'not resolved')
    check(text.includes('Checked by hand: eligible <b>adult</b> in ST4'), 'the note is not shown as text')
    check(await page.locator('#note').count() === 0, 'the resolve form is still offered')
  },

  // (6) An auditor sees pages but no forms; a forged POST with their session is refused.
  async auditor () {
    const page = await newPage()
    // A wrong key is refused beside the field, and not echoed back.
    await page.goto(t.base + '/console/sign-in')
    await page.fill('#key', 'wm_not-a-key-0123456789')
    await submit(page, 'button:has-text("Sign in")')
    await look(page, 'sign-in-refused')
    check((await page.locator('#key-error').textContent()).includes('not recognised'), 'no error beside the key field')
    check(!(await page.content()).includes('wm_not-a-key-0123456789'), 'the wrong key was echoed back')
    await signIn(page, t.keys.auditor)
    const pages = ['', '/work', '/reviews', '/participants', `/participants/${t.participant}`, '/schedules',
      `/schedules/${t.schedule}`, '/calendar', '/settings', '/plugins', '/keys', '/webhook', '/audit', '/limits']
    for (const p of pages) {
      await go(page, `/console/councils/${C}${p}`, `auditor${p.replace(/\//g, '-') || '-overview'}`)
      const forms = await page.locator('form[method="post"]:not([action="/console/sign-out"])').count()
      check(forms === 0, `${p}: an auditor is offered ${forms} forms`)
    }
    const csrf = await page.locator('form[action="/console/sign-out"] input[name="csrf"]').inputValue()
    // Forged: the auditor's own session and CSRF token, posting what only admins may.
    const forged = await page.request.post(`${t.base}/console/councils/${C}/schedules`, {
      form: { csrf, name: 'Forged', cron: '30 1 * * *' }, maxRedirects: 0
    })
    check(forged.status() === 403, `forged POST answered ${forged.status()}`)
    const noToken = await page.request.post(`${t.base}/console/councils/${C}/actions/${t.action}/ack`, {
      form: { csrf: 'x' }, maxRedirects: 0
    })
    check(noToken.status() === 403, `POST without the CSRF token answered ${noToken.status()}`)
    const ack = await page.request.post(`${t.base}/console/councils/${C}/actions/${t.action}/ack`, {
      form: { csrf }, maxRedirects: 0
    })
    check(ack.status() === 403, `an auditor's acknowledge answered ${ack.status()}`)
    await page.goto(`${t.base}/console/councils/${C}/schedules`)
    await look(page, 'auditor-after-forgery')
    // Revoking the key ends the session at its next request.
    const api = (path, method = 'GET') => fetch(t.base + path, { method, headers: { authorization: `Bearer ${t.keys.platform_admin}` } })
    const keys = await (await api(`/v1/councils/${C}/keys?limit=100`)).json()
    const mine = keys.keys.find(k => k.role === 'auditor' && !k.revoked_at)
    check((await api(`/v1/councils/${C}/keys/${mine.id}`, 'DELETE')).ok, 'revoking the auditor key failed')
    await page.goto(`${t.base}/console/councils/${C}/schedules`)
    check(page.url().endsWith('/console/sign-in'), `a revoked key's session went on: ${page.url()}`)
    await page.goto(`${t.base}/console/councils/${C}/audit`)
    check(page.url().endsWith('/console/sign-in'), `the session outlived its key: ${page.url()}`)
  },

  // (7) A council, schedule and key named like markup are shown as text; no script runs.
  async escaping () {
    const evil = '<img src=x onerror=alert(1)>'
    const page = await newPage()
    await signIn(page, t.keys.platform_admin)
    await go(page, '/console/councils', 'councils')
    await page.fill('#id', 'evil-borough')
    await page.fill('#name', evil)
    await submit(page, 'button:has-text("Add council")')
    await look(page, 'evil-council')
    await go(page, '/console/councils', 'councils-with-evil')
    await go(page, '/console/councils/evil-borough/schedules', 'evil-schedules')
    await page.fill('#name', evil)
    await page.fill('#cron', '0 9 * * MON-FRI')
    await submit(page, 'button:has-text("Create schedule")')
    await look(page, 'evil-schedule')
    await go(page, '/console/councils/evil-borough/schedules', 'evil-schedule-list')
    await go(page, '/console/councils/evil-borough/keys', 'evil-keys')
    await page.fill('#name', evil)
    await page.selectOption('#role', 'auditor')
    await submit(page, 'button:has-text("Create key")')
    await look(page, 'evil-key')
    const text = await page.locator('main').textContent()
    check(text.includes(evil), 'the key name is not shown as text')
    for (const p of ['/console/councils', '/console/councils/evil-borough', '/console/councils/evil-borough/schedules', '/console/councils/evil-borough/keys']) {
      await page.goto(t.base + p)
      check(await page.locator('img[src="x"]').count() === 0, `${p}: the name became an <img>`)
      check((await page.content()).includes('&lt;img src=x onerror=alert(1)&gt;'), `${p}: the name is not escaped text`)
    }
    await page.waitForTimeout(300)
    check(dialogs.length === 0, `a script ran: ${dialogs}`)
  },

  // (8) axe-core: no serious or critical violation on any page, for each role.
  async axe () {
    const admin = await newPage()
    await signIn(admin, t.keys.platform_admin, 'sign-in-page')
    const councilPages = ['', '/work', '/reviews', '/participants', `/participants/${t.participant}`, '/schedules',
      `/schedules/${t.schedule}`, '/calendar', '/settings', '/plugins', '/keys', '/webhook', '/audit', '/limits']
    await go(admin, '/console/councils', 'councils')
    await go(admin, '/console/keys', 'platform-keys')
    await go(admin, '/console/audit', 'platform-audit')
    for (const p of councilPages) await go(admin, `/console/councils/${C}${p}`, `admin${p.replace(/\//g, '-') || '-overview'}`)
    await go(admin, `/console/councils/${t.review_council}/reviews`, 'review-queue')
    await admin.click('main tbody tr >> nth=0 >> a')
    await look(admin, 'review-item')
    // Pages with errors on them.
    await go(admin, `/console/councils/${C}/settings`, 'settings')
    await admin.fill('#setting-review_every_weeks', '-1')
    await submit(admin, 'button:has-text("Save settings")')
    await look(admin, 'settings-error')
    await go(admin, `/console/councils/${C}/schedules`, 'schedules')
    await admin.fill('#name', 'Bad')
    await admin.fill('#cron', '30 1 * *')
    await submit(admin, 'button:has-text("Create schedule")')
    await look(admin, 'schedule-error')
    await go(admin, `/console/councils/${C}/plugins`, 'plugins')
    await admin.setInputFiles('#plugin', t.bad_plugin)
    await submit(admin, 'button:has-text("Upload and check")')
    await look(admin, 'plugin-refused')
    const worker = await newPage()
    await signIn(worker, t.keys.caseworker, 'sign-in-worker')
    for (const p of ['', '/work', '/participants', `/participants/${t.participant}`]) await go(worker, `/console/councils/${C}${p}`, `worker${p.replace(/\//g, '-') || '-overview'}`)
    check(axeFindings.length === 0, `axe found serious or critical violations:\n${axeFindings.join('\n')}`)
  }
}

let failed = null
try {
  const run = scenarios[t.scenario]
  check(run, `no scenario ${t.scenario}`)
  await run()
  check(pageErrors.length === 0, `script errors: ${pageErrors}`)
  check(cspViolations.length === 0, `CSP violations: ${cspViolations}`)
  check(dialogs.length === 0, `dialogs: ${dialogs}`)
  check(axeFindings.length === 0, `axe found serious or critical violations:\n${axeFindings.join('\n')}`)
} catch (e) {
  failed = e
}
await browser.close()
if (failed) {
  console.error(`console scenario ${t.scenario} failed: ${failed.stack || failed}`)
  if (axeFindings.length) console.error(`axe:\n${axeFindings.join('\n')}`)
  process.exit(1)
}
console.log(`console scenario ${t.scenario}: ok (${shotNumber} screenshots)`)
