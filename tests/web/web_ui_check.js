// The live view in headless Chromium, against a running easproxy (web_ui_test.sh sets it up):
// the page loads with the token, shows the flows made before it, shows a flow made after it
// live, filters, highlights 451s, opens a 451's detail (X-MS-Location, decoded XML), lists
// devices (binding, ignored 451) and clears a binding. Prints "ok:"/"FAIL:" lines; exit 1 on
// any failure. Settings come from the environment:
//   CHROMIUM WEB TOKEN MIN_ROWS LIVE_TRAFFIC LIVE_DEVICE CAS_B BINDING_KEY IGNORED_KEY SCREENSHOT
'use strict';

const { spawn } = require('child_process');
const { Browser } = require('./cdp.js');

const env = (name) => {
  const v = process.env[name];
  if (v === undefined) throw new Error('missing environment variable ' + name);
  return v;
};
const js = (v) => JSON.stringify(v);

let passed = 0;
let failed = 0;
const ok = (what) => { passed++; console.log('ok: ' + what); };
const bad = (what, why) => { failed++; console.log('FAIL: ' + what + (why ? ': ' + why : '')); };
async function check(what, fn) {
  try {
    const r = await fn();
    if (r === false) bad(what); else ok(what);
  } catch (e) {
    bad(what, e.message);
  }
}

function run(command) {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => resolve(code));
  });
}

async function main() {
  const web = env('WEB');
  const browser = await Browser.launch({ chromium: env('CHROMIUM'), width: 1600, height: 1000 });
  try {
    const rows = '#flows tbody tr';
    const rowCount = 'document.querySelectorAll(' + js(rows) + ').length';

    await check('the page opens with ?token= (then a cookie) and its event stream goes live', async () => {
      await browser.navigate(web + '?token=' + encodeURIComponent(env('TOKEN')));
      const url = await browser.evaluate('location.href');
      if (url.includes('token=')) throw new Error('the token stayed in the address: ' + url);
      await browser.waitFor('document.querySelector("#status").textContent === "live"', 10);
    });
    await check('the CA page is linked from the header', async () =>
      (await browser.evaluate('document.querySelector("header a[href=\'/ca/\']") !== null')));

    const minRows = parseInt(env('MIN_ROWS'), 10);
    await check('flows made before the page loaded are listed (' + minRows + ')', async () => {
      await browser.waitFor(rowCount + ' >= ' + minRows, 10);
    });

    const liveDevice = env('LIVE_DEVICE');
    const liveRow = 'document.querySelector(' + js(rows + '[data-device="' + liveDevice + '"]') + ')';
    await check('a flow made after the page loaded shows up live', async () => {
      if (await browser.evaluate(liveRow + ' !== null')) throw new Error(liveDevice + ' was there before its traffic');
      const code = await run(env('LIVE_TRAFFIC'));
      if (code !== 0) throw new Error('the live traffic exited ' + code);
      await browser.waitFor(liveRow + ' !== null', 10);
    });

    await check('451s are highlighted', async () => {
      const r = await browser.evaluate(`(() => {
        const hot = document.querySelector('#flows tbody tr.s451');
        const plain = [...document.querySelectorAll('#flows tbody tr')].find((tr) => tr.className === '');
        if (!hot || !plain) return 'rows missing: ' + !!hot + ' ' + !!plain;
        return getComputedStyle(hot).backgroundColor !== getComputedStyle(plain).backgroundColor ? 'yes' : 'same colour';
      })()`);
      if (r !== 'yes') throw new Error(r);
    });

    await check('filters: user and HTTP status', async () => {
      const r = await browser.evaluate(`(() => {
        const set = (name, value) => {
          const input = document.querySelector('#filters input[name="' + name + '"]');
          input.value = value;
          input.dispatchEvent(new Event('input', { bubbles: true }));
        };
        const cells = (col) => [...document.querySelectorAll('#flows tbody tr')].map((tr) => tr.children[col].textContent);
        const total = cells(2).length;
        set('user', 'alex');
        const users = cells(2);
        set('user', '');
        set('status', '451');
        const statuses = cells(6);
        set('status', '');
        const back = cells(2).length;
        if (!users.length || users.some((u) => u !== 'alex') || users.length >= total) return 'user filter: ' + users.join(',');
        if (!statuses.length || statuses.some((s) => s !== '451')) return 'status filter: ' + statuses.join(',');
        if (back !== total) return 'clearing the filters shows ' + back + ' of ' + total;
        return 'ok';
      })()`);
      if (r !== 'ok') throw new Error(r);
    });

    const casB = env('CAS_B');
    await check('a 451 flow\'s detail shows X-MS-Location and the decoded XML, coloured', async () => {
      await browser.evaluate('document.querySelector("#flows tbody tr.s451").click()');
      await browser.waitFor('document.querySelector("#detail-body .redirect-box") !== null', 10);
      const text = await browser.evaluate('document.querySelector("#detail-body").textContent');
      if (!text.includes('X-MS-Location')) throw new Error('no X-MS-Location in the detail');
      if (!text.includes(casB)) throw new Error('X-MS-Location is not ' + casB);
      const xml = await browser.evaluate('[...document.querySelectorAll("#detail-body pre.xml")].map((p) => p.textContent).join("\\n")');
      if (!xml.includes('<FolderSync xmlns="FolderHierarchy:">')) throw new Error('no decoded FolderSync XML: ' + xml.slice(0, 200));
      const tags = await browser.evaluate('document.querySelectorAll("#detail-body pre.xml .x-tag").length');
      if (tags < 2) throw new Error('the XML is not syntax-coloured');
      const line = await browser.evaluate('document.querySelector("#detail-body pre.request-line").textContent');
      if (!/Cmd=FolderSync/.test(line)) throw new Error('request line: ' + line);
      if (!/Basic \[redacted\]/.test(text)) throw new Error('Authorization is not shown redacted');
    });

    const shot = env('SCREENSHOT');
    await check('screenshot saved', async () => {
      await browser.screenshot(shot);
      console.log('screenshot: ' + shot);
    });

    const bindingKey = env('BINDING_KEY');
    const ignoredKey = env('IGNORED_KEY');
    await check('devices view: the bound device shows its binding, the stubborn one its ignored 451', async () => {
      await browser.evaluate('document.querySelector("nav .tab[data-view=devices]").click()');
      const bound = 'document.querySelector(' + js('#devices tbody tr[data-key="' + bindingKey + '"] td.binding') + ')';
      await browser.waitFor(bound + ' && ' + bound + '.textContent.length > 0', 10);
      const target = await browser.evaluate(bound + '.textContent');
      if (!target.startsWith(casB.replace(/\/Microsoft-Server-ActiveSync$/, ''))) throw new Error('binding ' + target);
      const ignored = 'document.querySelector(' + js('#devices tbody tr[data-key="' + ignoredKey + '"] td.ignored-cell') + ')';
      await browser.waitFor(ignored + ' && ' + ignored + '.textContent.startsWith("yes")', 10);
      const liveKey = await browser.evaluate('[...document.querySelectorAll("#devices tbody tr")].map((tr) => tr.dataset.key).join(" ")');
      if (!liveKey.includes(liveDevice)) throw new Error('the live device is missing: ' + liveKey);
    });

    await check('bindings view: clearing a binding (POST with the CSRF token) removes it', async () => {
      await browser.evaluate('document.querySelector("nav .tab[data-view=bindings]").click()');
      const row = 'document.querySelector(' + js('#bindings tbody tr[data-key="' + bindingKey + '"]') + ')';
      await browser.waitFor(row + ' !== null', 10);
      await browser.evaluate(row + '.querySelector("button.clear").click()');
      await browser.waitFor(row + ' === null', 10);
      const message = await browser.waitFor('document.querySelector("#bindings-message").textContent', 10);
      if (!message.startsWith('Cleared')) throw new Error(message);
    });

    await check('no script errors, console errors or blocked loads in the page', async () => {
      if (browser.errors.length) throw new Error(browser.errors.join('; '));
    });
  } finally {
    await browser.close();
  }
  console.log('browser: ' + passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log('FAIL: ' + e.stack);
  process.exit(1);
});
