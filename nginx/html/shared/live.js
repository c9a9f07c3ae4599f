// Live event connection to nchan's /ws (SPEC §7).
//
// - Tries WebSocket first; an attempt that fails before it ever opened flips to
//   EventSource (same URL, Accept: text/event-stream) for the next try, and back.
// - Reconnects with exponential backoff 0.5 s → 8 s (with a little jitter).
// - Each message is one event envelope (JSON). Envelopes are handled one at a time,
//   in arrival order, deduplicated by `seq` (anything <= lastSeq is dropped).
// - On every (re)connect, and on a seq gap when checkGaps is set, the page's
//   `resync(reason, conn)` runs before later messages are applied; it is expected
//   to fetch what was missed and feed it through conn.accept(envelope).
// - State reported through onState: 'connecting' | 'live' | 'reconnecting' | 'offline'.

const MIN_DELAY = 500;
const MAX_DELAY = 8000;
const OFFLINE_AFTER_FAILURES = 5;

export class LiveConnection {
  /**
   * @param {object} o
   * @param {string} o.url        path + query, e.g. "/ws?restaurant_id=rst_001&role=KITCHEN&access_token=…"
   * @param {(env:object)=>void} o.onEvent
   * @param {(state:string, info:object)=>void} [o.onState]
   * @param {(reason:string, conn:LiveConnection)=>Promise<void>} [o.resync]
   * @param {boolean} [o.checkGaps=true]  false for table channels (they are filtered, seq gaps are normal)
   * @param {number}  [o.lastSeq=0]
   */
  constructor({ url, onEvent, onState = () => {}, resync = async () => {}, checkGaps = true, lastSeq = 0 }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onState = onState;
    this.resync = resync;
    this.checkGaps = checkGaps;
    this.lastSeq = lastSeq;
    this.transport = typeof WebSocket === 'function' ? 'ws' : 'es';
    this.failures = 0;
    this.everOpened = false;
    this.state = 'connecting';
    this.socket = null;
    this.timer = null;
    this.stopped = true;
    this.queue = Promise.resolve();
    this.onOnline = () => { if (!this.stopped && this.state !== 'live') this.reconnectNow(); };
    this.onOffline = () => { if (!this.stopped) this.setState('offline'); };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.open();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    clearTimeout(this.timer);
    this.closeSocket();
  }

  /** Feed one envelope from a catch-up fetch: applied only if newer than lastSeq. */
  accept(env) {
    if (!env || !Number.isInteger(env.seq) || env.seq <= this.lastSeq) return false;
    this.lastSeq = env.seq;
    this.onEvent(env);
    return true;
  }

  /** Drop the current connection and reconnect immediately. */
  reconnectNow() {
    clearTimeout(this.timer);
    this.closeSocket();
    this.setState('reconnecting');
    this.open();
  }

  // ---- internals ---------------------------------------------------------

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state, { transport: this.transport, failures: this.failures });
  }

  enqueue(fn) {
    this.queue = this.queue.then(fn).catch((e) => console.warn('live: handler failed', e));
  }

  wsUrl() {
    const u = new URL(this.url, location.href);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  open() {
    if (this.stopped) return;
    const transport = this.transport;
    let opened = false;
    let done = false;
    const handle = {};

    const onOpen = () => {
      if (this.socket !== handle) return;
      opened = true;
      this.everOpened = true;
      this.failures = 0;
      this.setState('live');
      this.enqueue(() => this.runResync('connect'));
    };
    const onMessage = (data) => {
      if (this.socket !== handle || typeof data !== 'string' || !data) return;
      let env;
      try { env = JSON.parse(data); } catch { return; }
      this.enqueue(() => this.handle(env));
    };
    const onDown = () => {
      if (done) return;
      done = true;
      if (this.socket !== handle) return;
      this.closeSocket();
      if (!opened) {
        this.failures += 1;
        if (typeof WebSocket === 'function') this.transport = transport === 'ws' ? 'es' : 'ws';
      }
      this.scheduleReconnect();
    };

    this.socket = handle;
    try {
      if (transport === 'ws') {
        const ws = new WebSocket(this.wsUrl());
        handle.close = () => { try { ws.close(); } catch { /* already closed */ } };
        ws.addEventListener('open', onOpen);
        ws.addEventListener('message', (m) => onMessage(m.data));
        ws.addEventListener('close', onDown);
        ws.addEventListener('error', onDown);
      } else {
        const es = new EventSource(this.url);
        handle.close = () => es.close();
        es.addEventListener('open', onOpen);
        es.addEventListener('message', (m) => onMessage(m.data));
        // EventSource would retry on its own; we close it and use our own backoff
        // so the visible state and the catch-up stay under one policy.
        es.addEventListener('error', onDown);
      }
    } catch (e) {
      console.warn('live: cannot open', e);
      onDown();
    }
  }

  closeSocket() {
    const s = this.socket;
    this.socket = null;
    if (s && s.close) s.close();
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const offline = (typeof navigator !== 'undefined' && navigator.onLine === false) ||
      this.failures >= OFFLINE_AFTER_FAILURES;
    // Until the first successful open (e.g. WebSocket refused, EventSource next) we are still 'connecting'.
    this.setState(offline ? 'offline' : this.everOpened ? 'reconnecting' : 'connecting');
    const base = Math.min(MAX_DELAY, MIN_DELAY * 2 ** Math.max(0, this.failures - 1));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), Math.min(MAX_DELAY, delay));
  }

  async runResync(reason) {
    try {
      await this.resync(reason, this);
      return true;
    } catch (e) {
      console.warn(`live: resync (${reason}) failed`, e);
      return false;
    }
  }

  async handle(env) {
    if (!env || !Number.isInteger(env.seq)) return;
    if (env.seq <= this.lastSeq) return; // duplicate or already caught up
    if (this.checkGaps && env.seq > this.lastSeq + 1) {
      const ok = await this.runResync('gap');
      if (env.seq <= this.lastSeq) return; // catch-up delivered it
      if (!ok) {
        // Show it anyway (page handlers are idempotent) but keep lastSeq where it is,
        // and start over: the reconnect runs the catch-up again.
        this.onEvent(env);
        if (!this.stopped) this.reconnectNow();
        return;
      }
    }
    this.lastSeq = env.seq;
    this.onEvent(env);
  }
}
