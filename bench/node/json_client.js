#!/usr/bin/env node
// The Node `ws` client of the compressed JSON benchmark (scripts/bench.sh), compression on.
//
//     node json_client.js URL N SIZE MESSAGES_FILE
//
// Sends the N first messages of MESSAGES_FILE (one JSON text per line, cycled; written by
// bench_client's generator so that every client sends the same texts), then "END", waits for
// "done:N", and prints one JSON line like the Rust clients: messages/s and bytes on the wire
// per message (the TCP socket's bytesWritten).
'use strict';
const fs = require('fs');
const WebSocket = require('ws');

const [url, nText, sizeText, file] = process.argv.slice(2);
const n = Number(nText);
const messages = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
const ws = new WebSocket(url, { perMessageDeflate: true });
let start;
let before;
let payload = 0;
ws.on('open', () => {
  before = ws._socket.bytesWritten;
  start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const text = messages[i % messages.length];
    payload += Buffer.byteLength(text);
    ws.send(text);
  }
  ws.send('END');
});
ws.on('message', (data) => {
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  if (data.toString() !== `done:${n}`) throw new Error(`unexpected answer ${data}`);
  const wire = ws._socket.bytesWritten - before;
  const round = (x) => Math.round(x * 1000) / 1000;
  console.log(
    JSON.stringify({
      client: 'node-ws', mode: 'async', workload: 'json', n, size: Number(sizeText),
      secs: round(secs), msgs_s: round(n / secs), mb_s: round(payload / secs / 1e6),
      payload_b: round(payload / n), wire_b: round(wire / n),
    }),
  );
  ws.close();
});
ws.on('error', (e) => { console.error(e); process.exit(1); });
