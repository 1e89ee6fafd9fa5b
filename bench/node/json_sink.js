#!/usr/bin/env node
// The sink of the compressed JSON benchmark (scripts/bench.sh), on Node `ws` with
// permessage-deflate accepted (ws's default parameters).
//
//     node json_sink.js      # prints ws://127.0.0.1:PORT, serves for an hour at most
//
// /sink counts text messages until "END", then answers "done:<count>", as bench_server does.
'use strict';
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: 64 * 1024 * 1024,
  perMessageDeflate: { threshold: 0 },
});
wss.on('listening', () => console.log(`ws://127.0.0.1:${wss.address().port}`));
wss.on('connection', (ws) => {
  let count = 0;
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.length === 3 && data.toString() === 'END') {
      ws.send(`done:${count}`);
    } else {
      count += 1;
    }
  });
});
// Stops by itself should the script that started it die without stopping it.
setTimeout(() => process.exit(0), 3600 * 1000).unref();
