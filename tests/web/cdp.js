// Drives headless Chromium over the DevTools protocol, with nothing but Node's standard library:
// Node 18 has no WebSocket client, so a minimal one (RFC 6455, client side: masked text frames
// out; text, fragmented, ping and close frames in) is written here over an HTTP upgrade.
'use strict';

const { spawn } = require('child_process');
const crypto = require('crypto');
const EventEmitter = require('events');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

class WebSocketClient extends EventEmitter {
  constructor(socket, head) {
    super();
    this.socket = socket;
    this.buffer = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
    this.fragments = [];
    socket.on('data', (d) => { this.buffer = Buffer.concat([this.buffer, d]); this.parse(); });
    socket.on('close', () => this.emit('close'));
    socket.on('error', (e) => this.emit('error', e));
    if (this.buffer.length) setImmediate(() => this.parse());
  }

  static connect(url) {
    return new Promise((resolve, reject) => {
      const u = new URL(url);
      const key = crypto.randomBytes(16).toString('base64');
      const req = http.request({
        host: u.hostname, port: u.port, path: u.pathname + u.search,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
      });
      req.on('upgrade', (res, socket, head) => {
        const expected = crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
        if (res.headers['sec-websocket-accept'] !== expected) {
          socket.destroy();
          reject(new Error('WebSocket handshake: wrong Sec-WebSocket-Accept'));
          return;
        }
        resolve(new WebSocketClient(socket, head));
      });
      req.on('response', (res) => reject(new Error('WebSocket handshake refused: HTTP ' + res.statusCode)));
      req.on('error', reject);
      req.end();
    });
  }

  frame(opcode, payload) {
    const mask = crypto.randomBytes(4);
    let header;
    if (payload.length < 126) {
      header = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
    } else if (payload.length < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode; header[1] = 0x80 | 126;
      header.writeUInt16BE(payload.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode; header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    const masked = Buffer.alloc(payload.length);
    for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i & 3];
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  send(text) { this.frame(0x1, Buffer.from(text, 'utf8')); }
  close() { try { this.frame(0x8, Buffer.alloc(0)); } catch (e) { /* already gone */ } this.socket.end(); }

  parse() {
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0;
      const opcode = b[0] & 0x0f;
      const masked = (b[1] & 0x80) !== 0;
      let len = b[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2); offset = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2)); offset = 10;
      }
      let mask = null;
      if (masked) {
        if (b.length < offset + 4) return;
        mask = b.subarray(offset, offset + 4); offset += 4;
      }
      if (b.length < offset + len) return;
      let payload = Buffer.from(b.subarray(offset, offset + len));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      this.buffer = b.subarray(offset + len);
      if (opcode === 0x8) { this.socket.end(); return; }
      if (opcode === 0x9) { this.frame(0xA, payload); continue; }
      if (opcode === 0xA) continue;
      if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) {
        this.fragments.push(payload);
        if (fin) {
          payload = Buffer.concat(this.fragments);
          this.fragments = [];
          this.emit('message', payload.toString('utf8'));
        }
      }
    }
  }
}

// A DevTools protocol connection: commands with ids, events to listeners; flat sessions.
class Cdp extends EventEmitter {
  constructor(ws) {
    super();
    this.ws = ws;
    this.nextId = 0;
    this.pending = new Map();
    ws.on('message', (text) => {
      const msg = JSON.parse(text);
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(p.method + ': ' + msg.error.message));
        else p.resolve(msg.result);
      } else {
        this.emit('event', msg.method, msg.params, msg.sessionId);
      }
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('DevTools connection closed'));
      this.pending.clear();
    });
  }
  send(method, params, sessionId) {
    const id = ++this.nextId;
    const msg = { id, method, params: params || {} };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify(msg));
    });
  }
}

// A page in a fresh headless Chromium: evaluate, wait for a condition (polled with a bound),
// click, screenshot. Collects script exceptions and console errors.
class Browser {
  static async launch(options) {
    const exe = options.chromium;
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'easproxy-chromium-'));
    const args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--no-default-browser-check', '--disable-extensions', '--disable-background-networking', '--disable-sync',
      '--metrics-recording-only', '--mute-audio', '--remote-debugging-port=0', '--user-data-dir=' + profile,
      '--window-size=' + options.width + ',' + options.height, 'about:blank'];
    const proc = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const wsUrl = await new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error('Chromium did not open its DevTools port within 30 s:\n' + seen)), 30000);
      proc.stderr.on('data', (d) => {
        seen += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
        if (m) { clearTimeout(timer); resolve(m[1]); }
      });
      proc.on('exit', (code) => { clearTimeout(timer); reject(new Error('Chromium exited (' + code + '):\n' + seen)); });
    });
    proc.stderr.resume();
    const cdp = new Cdp(await WebSocketClient.connect(wsUrl));
    const b = new Browser(proc, cdp, profile);
    const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
    b.session = sessionId;
    cdp.on('event', (method, params, sid) => {
      if (sid !== sessionId) return;
      if (method === 'Runtime.exceptionThrown') b.errors.push('exception: ' + (params.exceptionDetails.exception ? params.exceptionDetails.exception.description : params.exceptionDetails.text));
      if (method === 'Runtime.consoleAPICalled' && params.type === 'error') b.errors.push('console.error: ' + params.args.map((a) => a.value || a.description).join(' '));
      if (method === 'Log.entryAdded' && params.entry.level === 'error') b.errors.push('log: ' + params.entry.text + (params.entry.url ? ' (' + params.entry.url + ')' : ''));
    });
    await b.send('Page.enable');
    await b.send('Runtime.enable');
    await b.send('Log.enable');
    await b.send('Emulation.setDeviceMetricsOverride', { width: options.width, height: options.height, deviceScaleFactor: 1, mobile: false });
    return b;
  }

  constructor(proc, cdp, profile) {
    this.proc = proc;
    this.cdp = cdp;
    this.profile = profile;
    this.errors = [];
  }

  send(method, params) { return this.cdp.send(method, params, this.session); }

  async navigate(url) {
    const loaded = new Promise((resolve) => {
      const on = (method, params, sid) => {
        if (sid === this.session && method === 'Page.loadEventFired') { this.cdp.off('event', on); resolve(); }
      };
      this.cdp.on('event', on);
    });
    const r = await this.send('Page.navigate', { url });
    if (r.errorText) throw new Error('navigate ' + url + ': ' + r.errorText);
    await loaded;
  }

  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error('evaluate ' + expression + ': ' + (r.exceptionDetails.exception ? r.exceptionDetails.exception.description : r.exceptionDetails.text));
    return r.result.value;
  }

  // Polls `expression` until it is truthy, at most `seconds`; returns its value.
  async waitFor(expression, seconds) {
    const deadline = Date.now() + (seconds || 10) * 1000;
    let last;
    for (;;) {
      last = await this.evaluate(expression);
      if (last) return last;
      if (Date.now() > deadline) throw new Error('timed out after ' + (seconds || 10) + ' s waiting for: ' + expression);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async screenshot(file) {
    const { data } = await this.send('Page.captureScreenshot', { format: 'png' });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from(data, 'base64'));
    return file;
  }

  async close() {
    try { await this.cdp.send('Browser.close'); } catch (e) { /* gone already */ }
    await new Promise((resolve) => {
      if (this.proc.exitCode !== null) return resolve();
      const timer = setTimeout(() => { this.proc.kill('SIGKILL'); resolve(); }, 5000);
      this.proc.on('exit', () => { clearTimeout(timer); resolve(); });
    });
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

module.exports = { Browser, WebSocketClient, Cdp };
