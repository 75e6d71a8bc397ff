#!/usr/bin/env node
// A WebRTC media server's use of auralinkd, from Node.js: @grpc/grpc-js with @grpc/proto-loader loading
// the repository's protos/ directly (no generated code). tests/interop/test_node_client.py runs it against
// a real daemon; each command prints one JSON line of results on stdout and the test judges them (PESQ is
// scored on the Python side, from the PCM this writes).
//
//   node client.js <command> --addr unix:///path/auralinkd.sock --token TOKEN [options]
//
// Commands:
//   roundtrip  --in PCM --out PCM [--loss 0.1 --conceal none|plc|fec [--fec]] CompressStream, DecompressStream
//   opusin     --in PACKETS --out PCM                                     Opus RTP packets in (DecompressStream)
//   batch      --sessions 25 --seconds 4 [--bad-tick 50 --bad-slot 3] [--compact] [--max-age-ms 60]
//              CompressBatchStream at 20 ms ticks (with a staleness bound per tick)
//   resume     --in PCM --seconds 6 [--addr2 unix:///other.sock] [--ignore-drain] [--sessions-max N]
//              paced CompressStream that survives a restart (UNAVAILABLE) or a drain notice by a new session
//              (on --addr2 when given)
//   badinput                                                             documented statuses of bad input
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTOS = path.resolve(__dirname, '..', '..', '..', 'protos');
const FRAME_MS = 20;
const RATE = 16000;
const FRAME_BYTES = (RATE * FRAME_MS) / 1000 * 2; // s16le mono

function parseArgs(argv) {
  const args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) {
      const key = argv[i].slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) args[key] = true;
      else { args[key] = next; i++; }
    } else args._.push(argv[i]);
  }
  return args;
}

function loadApi() {
  const definition = protoLoader.loadSync(path.join(PROTOS, 'auralink/v1/compression.proto'), {
    includeDirs: [PROTOS], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).auralink.v1;
}

function client(api, addr) {
  return new api.AICCompressionService(addr, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    'grpc.max_send_message_length': 16 * 1024 * 1024,
  });
}

function metadata(token) {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

function deadline(seconds) { return { deadline: Date.now() + seconds * 1000 }; }

function unary(stub, method, request, md, seconds = 10) {
  return new Promise((resolve, reject) => {
    stub[method](request, md, deadline(seconds), (err, response) => (err ? reject(err) : resolve(response)));
  });
}

async function statusOf(promise) {
  try { await promise; return 'OK'; } catch (err) { return grpc.status[err.code]; }
}

// A replica over capacity sheds new sessions (RESOURCE_EXHAUSTED, "retry in 2 s") before it degrades the
// ones running: the media server waits and retries (or, with another replica, goes there).
async function startAudio(stub, md, extra = {}) {
  const until = Date.now() + 10000;
  for (;;) {
    try {
      return await startAudioOnce(stub, md, extra);
    } catch (err) {
      if (err.code !== grpc.status.RESOURCE_EXHAUSTED || Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function startAudioOnce(stub, md, extra = {}) {
  return unary(stub, 'StartSession', {
    frame_type: 'FRAME_TYPE_AUDIO',
    format: { audio: { sample_rate: RATE, channels: 1, frame_duration: { seconds: 0, nanos: FRAME_MS * 1e6 } } },
    // The largest latency budget: a loaded CI machine must not send frames by the fallback path.
    config: { max_latency: { seconds: 1, nanos: 0 }, ...extra },
  }, md);
}

function framesOf(file) {
  const pcm = fs.readFileSync(file);
  const frames = [];
  for (let i = 0; i + FRAME_BYTES <= pcm.length; i += FRAME_BYTES) frames.push(pcm.subarray(i, i + FRAME_BYTES));
  return frames;
}

// Writes every request, honouring backpressure: write() returns false when gRPC's flow-control window is
// full (the daemon has not read what was sent), and the writer waits for 'drain' before going on.
// Returns how many times it had to wait.
async function writeAll(call, requests) {
  let waits = 0;
  for (const request of requests) {
    if (!call.write(request)) {
      waits++;
      await new Promise((resolve) => call.once('drain', resolve));
    }
  }
  call.end();
  return waits;
}

function collect(call) {
  return new Promise((resolve, reject) => {
    const out = [];
    call.on('data', (r) => out.push(r));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

async function stream(stub, method, md, requests, seconds = 120) {
  const call = stub[method](md, deadline(seconds));
  const done = collect(call);
  const waits = await writeAll(call, requests);
  return { responses: await done, waits };
}

// Which frames a 10% loss drops: a fixed pseudo-random pattern, the same in every run.
function lostPattern(n, loss) {
  let seed = 12345;
  const lost = [];
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    lost.push(i > 0 && seed / 0x7fffffff < loss);
  }
  return lost;
}

async function roundtrip(api, args) {
  const stub = client(api, args.addr);
  const md = metadata(args.token);
  const frames = framesOf(args.in);
  const started = await startAudio(stub, md);
  const sid = started.session_id;
  if (args.fec) {
    // The network reports loss: the controller switches Opus in-band FEC on.
    await unary(stub, 'UpdateNetworkConditions', { session_id: sid, bandwidth_kbps: 64, loss_pct: 10 }, md);
  }
  const t0 = Date.now();
  const c = await stream(stub, 'CompressStream', md, frames.map((payload, i) => ({ session_id: sid, sequence: i, payload })));
  const compressMs = Date.now() - t0;
  const compressed = c.responses;
  const errors = compressed.filter((r) => r.error).map((r) => r.error.code);
  const bytesOut = compressed.reduce((sum, r) => sum + Number(r.output_bytes), 0);
  const loss = Number(args.loss || 0);
  const conceal = args.conceal || 'none';
  const lost = lostPattern(compressed.length, loss);
  const requests = [];
  compressed.forEach((r, i) => {
    if (!lost[i]) requests.push({ session_id: sid, sequence: r.sequence, data: r.data });
    else if (conceal === 'plc') requests.push({ session_id: sid, sequence: r.sequence, lost: true });
    else if (conceal === 'fec') {
      // The packet after the lost one, as a jitter buffer holds it: its in-band FEC rebuilds the lost frame.
      const following = i + 1 < compressed.length && !lost[i + 1] ? compressed[i + 1].data : Buffer.alloc(0);
      requests.push({ session_id: sid, sequence: r.sequence, lost: true, data: following });
    }
  });
  const d = await stream(stub, 'DecompressStream', md, requests);
  const decoded = d.responses;
  const decodeErrors = decoded.filter((r) => r.error).map((r) => `${r.sequence}:${r.error.code}:${r.error.message}`);
  // Without concealment the media server plays silence where a frame was lost.
  const bySequence = new Map(decoded.filter((r) => !r.error).map((r) => [Number(r.sequence), r.payload]));
  const pcm = compressed.map((r) => bySequence.get(Number(r.sequence)) || Buffer.alloc(FRAME_BYTES));
  if (args.out) fs.writeFileSync(args.out, Buffer.concat(pcm));
  await unary(stub, 'EndSession', { session_id: sid }, md);
  stub.close();
  return {
    frames_in: frames.length, compressed: compressed.length, decoded: decoded.length,
    lost: lost.filter(Boolean).length, concealed: { fec: decoded.filter((r) => r.concealment === 'fec').length, plc: decoded.filter((r) => r.concealment === 'plc').length },
    errors, decode_errors: decodeErrors, bytes_out: bytesOut,
    bitrate_bps: (bytesOut * 8) / (frames.length * FRAME_MS / 1000),
    codecs: [...new Set(compressed.map((r) => r.codec))], compress_ms: compressMs, write_waits: c.waits + d.waits,
  };
}

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function batch(api, args) {
  const stub = client(api, args.addr);
  const md = metadata(args.token);
  const n = Number(args.sessions || 25);
  const ticks = Math.round((Number(args.seconds || 4) * 1000) / FRAME_MS);
  const badTick = Number(args['bad-tick'] ?? 50);
  const badSlot = Number(args['bad-slot'] ?? 3);
  const compact = Boolean(args.compact);
  const maxAgeMs = Number(args['max-age-ms'] || 0);
  let codecsSeen = 0;
  let stale = 0;
  const sessions = [];
  for (let i = 0; i < n; i++) sessions.push((await startAudio(stub, md)).session_id);
  // A tone per session, so every slot carries real audio.
  const frame = (s, t) => {
    const buf = Buffer.alloc(FRAME_BYTES);
    for (let k = 0; k < FRAME_BYTES / 2; k++) {
      const x = (t * FRAME_BYTES) / 2 + k;
      buf.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * (200 + 20 * s) * x) / RATE)), 2 * k);
    }
    return buf;
  };
  const call = stub.CompressBatchStream(md, deadline(120));
  const sentAt = [];
  const delays = [];
  const slotErrors = [];
  let received = 0;
  let maxInFlight = 0;
  let wrongSlots = 0;
  let bytesOut = 0;
  const finished = new Promise((resolve, reject) => {
    call.on('data', (response) => {
      const t = received++;
      delays.push(Date.now() - sentAt[t]);
      response.frames.forEach((f, slot) => {
        const named = compact ? f.handle === slot + 1 && !f.session_id : f.session_id === sessions[slot];
        if (!named || Number(f.sequence) !== t) wrongSlots++;
        if (f.codec) codecsSeen++;
        if (f.error && f.error.code === 'DEADLINE_EXCEEDED') stale++;
        else if (f.error) slotErrors.push({ tick: t, slot, code: f.error.code, field: f.error.field });
        else bytesOut += f.data.length;
      });
    });
    call.on('error', reject);
    call.on('end', resolve);
  });
  // Paced in real time: tick t goes out at t0 + 20 ms * t, whatever the replies are doing.
  const t0 = Date.now() + 50;
  let timerLate = 0;
  for (let t = 0; t < ticks; t++) {
    const due = t0 + t * FRAME_MS;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    else if (wait < -FRAME_MS) timerLate++;
    // Compact: a handle per session, bound to its id on the first tick only (#23.5).
    const frames = sessions.map((sid, s) => ({
      session_id: compact && t > 0 ? '' : sid, handle: compact ? s + 1 : 0, sequence: t,
      payload: t === badTick && s === badSlot ? Buffer.alloc(FRAME_BYTES - 2) : frame(s, t),
    }));
    const now = Date.now();
    sentAt.push(now);
    const tick = { frames, compact };
    if (maxAgeMs) {
      // The staleness bound: a frame older than this when its turn comes is dropped (DEADLINE_EXCEEDED).
      tick.capture_time = { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 };
      tick.max_age = { seconds: 0, nanos: maxAgeMs * 1e6 };
    }
    call.write(tick);
    maxInFlight = Math.max(maxInFlight, sentAt.length - received);
  }
  call.end();
  await finished;
  for (const sid of sessions) await unary(stub, 'EndSession', { session_id: sid }, md);
  stub.close();
  const sorted = [...delays].sort((a, b) => a - b);
  return {
    sessions: n, ticks, replies: received, wrong_slots: wrongSlots, slot_errors: slotErrors,
    late_ticks: delays.filter((d) => d > FRAME_MS).length, client_timer_late: timerLate,
    reply_ms_p50: percentile(sorted, 0.5), reply_ms_p99: percentile(sorted, 0.99), reply_ms_max: sorted[sorted.length - 1],
    max_in_flight: maxInFlight, stale_slots: stale, last_second_reply_ms_p50: percentile([...delays.slice(-50)].sort((a, b) => a - b), 0.5),
    compact, slots_with_codec: codecsSeen, bitrate_bps_per_session: (bytesOut * 8) / (n * ticks * FRAME_MS / 1000),
  };
}

// A paced CompressStream that survives the daemon going away. A stream that says `draining` (SIGTERM on
// the daemon) is moved at once: a new session on the other replica (--addr2) takes the next frame while
// the old stream finishes the frames in flight. A stream cut with UNAVAILABLE (a restart, or a drain the
// client ignored: --ignore-drain) is followed by a new session as soon as one opens, on either replica.
// The gap is the longest time between two coded frames, as the listener hears it.
async function resume(api, args) {
  const md = metadata(args.token);
  const addrs = [args.addr, args.addr2 || args.addr];
  const stubs = addrs.map((a) => client(api, a));
  const frames = framesOf(args.in);
  let total = Math.round((Number(args.seconds || 6) * 1000) / FRAME_MS);
  // Frames streamed after each new session at least, so the gap before it is heard and measured.
  const after = Math.round((Number(args['after-resume'] || 1) * 1000) / FRAME_MS);
  // With --sessions-max N the run ends `after` frames into its N-th session.
  const sessionsMax = Number(args['sessions-max'] || Infinity);
  let sessionsOpened = 0;
  const events = [];
  const event = (e) => events.push({ at_ms: Date.now() - t0, ...e });
  const finishing = [];
  let which = 0;
  let next = 0; // the next frame to send
  let lastCoded = null;
  let maxGap = 0;
  let coded = 0;
  const t0 = Date.now();
  process.stderr.write('streaming\n');
  while (next < total) {
    let sid;
    const opened = Date.now();
    for (;;) {
      try {
        sid = (await startAudio(stubs[which], md)).session_id;
        break;
      } catch (err) {
        // The replica refuses (draining, restarting): try the other one, then this one again.
        const code = grpc.status[err.code];
        const last = events[events.length - 1];
        if (last && last.event === 'start_refused' && last.code === code && last.replica === which) last.times++;
        else event({ event: 'start_refused', code, replica: which, times: 1 });
        if (args.addr2) which = 1 - which;
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (Date.now() - opened > 30000) throw err;
      }
    }
    // Real-time media is dropped, never queued: frames that fell due while no session was open are skipped.
    next = Math.max(next, Math.floor((Date.now() - t0) / FRAME_MS));
    total = ++sessionsOpened >= sessionsMax ? next + after : Math.max(total, next + after);
    event({ event: 'session', replica: which, from_frame: next });
    const replica = which;
    const call = stubs[which].CompressStream(md, deadline(120));
    let drained = false;
    let status = null;
    const ended = new Promise((resolve) => {
      call.on('data', (r) => {
        if (r.draining && !drained) {
          drained = true;
          event({ event: 'drain_notice', replica });
        }
        if (r.error) { event({ event: 'frame_error', code: r.error.code }); return; }
        const now = Date.now();
        if (lastCoded !== null) maxGap = Math.max(maxGap, now - lastCoded);
        lastCoded = now;
        coded++;
      });
      call.on('error', (err) => resolve(grpc.status[err.code]));
      call.on('end', () => resolve('OK'));
    }).then((s) => {
      status = s;
      event({ event: 'stream_end', status: s, replica, drained });
      return s;
    });
    const move = () => drained && !args['ignore-drain'];
    while (next < total && status === null && !move()) {
      const wait = t0 + next * FRAME_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (status !== null || move()) break;
      call.write({ session_id: sid, sequence: next, payload: frames[next % frames.length] });
      next++;
    }
    call.end();
    if (move()) {
      finishing.push(ended); // the frames in flight still come back; the next session starts now
      if (args.addr2) which = 1 - which;
    } else await ended;
  }
  await Promise.all(finishing);
  stubs.forEach((s) => s.close());
  return { frames: total, coded, max_gap_ms: maxGap, events };
}

// Opus in: the browser's Opus packets (--in: each a 2-byte big-endian length, then the packet) sent bare
// with RTP metadata, as an SFU holds them; the sequence wraps around mid-stream. Then a duplicate and a
// backward sequence, each refused in its own response.
async function opusin(api, args) {
  const stub = client(api, args.addr);
  const md = metadata(args.token);
  const blob = fs.readFileSync(args.in);
  const packets = [];
  for (let i = 0; i + 2 <= blob.length;) {
    const n = blob.readUInt16BE(i);
    packets.push(blob.subarray(i + 2, i + 2 + n));
    i += 2 + n;
  }
  const sid = (await startAudio(stub, md)).session_id;
  const ssrc = 0x5eed;
  const seq = (k) => (65500 + k) & 0xffff;
  const requests = packets.map((data, k) => ({ session_id: sid, sequence: k, data, rtp: { sequence: seq(k), timestamp: 960 * k, ssrc } }));
  const last = packets.length - 1;
  requests.push({ session_id: sid, sequence: last + 1, data: packets[0], rtp: { sequence: seq(last), timestamp: 0, ssrc } });
  requests.push({ session_id: sid, sequence: last + 2, data: packets[0], rtp: { sequence: seq(last - 3), timestamp: 0, ssrc } });
  const { responses } = await stream(stub, 'DecompressStream', md, requests);
  const decoded = responses.slice(0, packets.length);
  if (args.out) fs.writeFileSync(args.out, Buffer.concat(decoded.filter((r) => !r.error).map((r) => r.payload)));
  await unary(stub, 'EndSession', { session_id: sid }, md);
  stub.close();
  return {
    packets: packets.length, decoded: decoded.filter((r) => !r.error).length,
    errors: decoded.filter((r) => r.error).map((r) => r.error.code),
    rtp_echoed: decoded.filter((r, k) => r.rtp && r.rtp.sequence === seq(k) && r.rtp.ssrc === ssrc && r.rtp.timestamp === 960 * k).length,
    duplicate: responses[packets.length].error ? responses[packets.length].error.code : 'OK',
    backward: responses[packets.length + 1].error ? responses[packets.length + 1].error.code : 'OK',
  };
}

// Each bad input gets its documented status, as a Node client sees it.
async function badinput(api, args) {
  const stub = client(api, args.addr);
  const md = metadata(args.token);
  const sid = (await startAudio(stub, md)).session_id;
  const out = {};
  const compress = (payload, session = sid, sequence = 0) =>
    statusOf(unary(stub, 'CompressFrame', { session_id: session, sequence, payload }, md));
  out.odd_bytes = await compress(Buffer.alloc(FRAME_BYTES + 1));
  out.wrong_frame_size = await compress(Buffer.alloc(FRAME_BYTES * 2));
  out.unknown_session = await compress(Buffer.alloc(FRAME_BYTES), 'no-such-session');
  if (args.token2) {
    const other = metadata(args.token2);
    out.other_users_session = await statusOf(
      unary(stub, 'CompressFrame', { session_id: sid, sequence: 0, payload: Buffer.alloc(FRAME_BYTES) }, other));
  }
  // 1025 frames in one batch message: the stream ends with INVALID_ARGUMENT; the session stays usable.
  const tooMany = Array.from({ length: 1025 }, (_, i) => ({ session_id: sid, sequence: i, payload: Buffer.alloc(FRAME_BYTES) }));
  out.batch_1025 = await statusOf(stream(stub, 'CompressBatchStream', md, [{ frames: tooMany }]));
  const atLimit = tooMany.slice(0, 1024);
  const ok = await stream(stub, 'CompressBatchStream', md, [{ frames: atLimit }]);
  out.batch_1024_errors = ok.responses[0].frames.filter((f) => f.error).length;
  // Sequence numbers going backwards on the stream: each frame is coded (Opus carries no sequence);
  // the decode side rejects a backward sequence when the session keeps RTP order (opusin).
  const back = await stream(stub, 'CompressStream', md, [5, 4, 6].map((s) => ({ session_id: sid, sequence: s, payload: Buffer.alloc(FRAME_BYTES) })));
  out.backward_sequences = back.responses.map((r) => (r.error ? r.error.code : 'OK'));
  out.after_all = await compress(Buffer.alloc(FRAME_BYTES), sid, 7);
  await unary(stub, 'EndSession', { session_id: sid }, md);
  stub.close();
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const api = loadApi();
  const commands = { roundtrip, opusin, batch, resume, badinput };
  const command = commands[args._[0]];
  if (!command || !args.addr || !args.token) {
    process.stderr.write('usage: node client.js roundtrip|opusin|batch|resume|badinput --addr ADDR --token TOKEN [...]\n');
    process.exit(2);
  }
  const result = await command(api, args);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n${err.code !== undefined ? `grpc status ${grpc.status[err.code]}` : ''}\n`);
  process.exit(1);
});
